package org.vnvdimm.sim.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.vnvdimm.sim.scenario.FileErrors;
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
        Path p;
        try {
            p = Path.of(nameOrFile);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("no built-in scenario and no file named '" + nameOrFile + "' (try: vnvdimm scenarios)");
        }
        if (!Files.exists(p)) {
            if (Files.isSymbolicLink(p)) {
                throw new IllegalArgumentException(nameOrFile + ": is a symbolic link to a file that does not exist");
            }
            throw new IllegalArgumentException("no built-in scenario and no file named '" + nameOrFile + "' (try: vnvdimm scenarios)");
        }
        if (Files.isDirectory(p)) {
            throw new IllegalArgumentException(nameOrFile + ": is a directory, not a scenario file");
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(nameOrFile + ": is not a regular file (it is a " + FileErrors.kindOf(p) + "), not a scenario file");
        }
        return ScenarioLoader.load(p);
    }
}
