package org.vnvdimm.sim.view;

import com.google.protobuf.util.JsonFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;

/** Test helper: a built-in scenario run into a folder holding trace.bin and summary.json, as `run --out` leaves it. */
final class RunFolders {
    private RunFolders() {}

    static RunResult run(String scenario, long seed, Path dir) throws Exception {
        Files.createDirectories(dir);
        RunResult res;
        try (Simulator sim = new Simulator()) {
            res = sim.run(BuiltinScenarios.resolve(scenario), seed, dir.resolve("trace.bin"), Recorders.none());
        }
        RunSummary s = res.summary();
        Files.writeString(dir.resolve("summary.json"), JsonFormat.printer().print(s) + "\n", StandardCharsets.UTF_8);
        return res;
    }
}
