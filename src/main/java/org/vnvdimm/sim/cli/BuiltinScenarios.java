package org.vnvdimm.sim.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.scenario.ScenarioException;
import org.vnvdimm.sim.scenario.ScenarioLoader;

/** Scenarios shipped in the jar (src/main/resources/scenarios/NAME.yaml, listed in index.txt). */
public final class BuiltinScenarios {
    private BuiltinScenarios() {}

    public static List<String> names() {
        List<String> out = new ArrayList<>();
        for (String line : text("scenarios/index.txt").split("\n")) {
            String t = line.trim();
            if (!t.isEmpty() && !t.startsWith("#")) out.add(t);
        }
        return out;
    }

    public static String text(String resource) {
        try (InputStream in = BuiltinScenarios.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /** A built-in by name, or a YAML file by path. */
    public static Scenario resolve(String nameOrFile) throws ScenarioException {
        if (names().contains(nameOrFile)) {
            return ScenarioLoader.parse(text("scenarios/" + nameOrFile + ".yaml"), "builtin:" + nameOrFile);
        }
        Path p = Path.of(nameOrFile);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("no built-in scenario and no file named '" + nameOrFile + "' (try: vnvdimm scenarios)");
        }
        return ScenarioLoader.load(p);
    }
}
