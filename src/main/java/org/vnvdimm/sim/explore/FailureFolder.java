package org.vnvdimm.sim.explore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.record.RunFolder;
import org.vnvdimm.sim.record.TraceFiles;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ProtoYaml;
import org.vnvdimm.sim.wire.Wire;

/**
 * A failing run kept for later: scenario.yaml (the scenario with every fault it ran with),
 * schedule.txt, seed.txt, and run/ (the run folder `run --out` writes, made by running it again
 * from those files). `./vnvdimm run DIR/scenario.yaml --seed S --schedule DIR/schedule.txt`
 * reproduces it; `./vnvdimm shrink DIR` minimises it.
 */
public final class FailureFolder {
    private FailureFolder() {}

    public record Loaded(Scenario scenario, Schedule schedule, long seed) {}

    public static RunSummary write(Path dir, Scenario s, Schedule schedule, long seed, String comment, Simulator sim,
                                   UnaryOperator<Wire.ComponentFactory> substitute) throws IOException, RunFolder.Refused {
        return write(dir, s, schedule, seed, comment, sim, substitute, Recorders.none());
    }

    /** The same, and the run goes to recorder too (the run journal, for one). */
    public static RunSummary write(Path dir, Scenario s, Schedule schedule, long seed, String comment, Simulator sim,
                                   UnaryOperator<Wire.ComponentFactory> substitute, org.vnvdimm.sim.record.Recorder recorder) throws IOException, RunFolder.Refused {
        if (substitute == null) substitute = UnaryOperator.identity();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("scenario.yaml"), "# written by vnvdimm: " + comment + "\n" + ProtoYaml.write(s), StandardCharsets.UTF_8);
        schedule.write(dir.resolve("schedule.txt"), comment);
        Files.writeString(dir.resolve("seed.txt"), Long.toUnsignedString(seed) + "\n", StandardCharsets.UTF_8);
        RunFolder folder = RunFolder.prepare(dir.resolve("run"), true, false);
        Path bin = folder.work().resolve("trace.bin");
        RunResult r = sim.run(s, seed, bin, recorder, substitute, schedule.replay());
        TraceFiles.write(folder.work(), bin, r.summary());
        folder.commit();
        return r.summary();
    }

    public static String reproduce(Path dir, long seed) {
        return "./vnvdimm run " + dir.resolve("scenario.yaml") + " --seed " + Long.toUnsignedString(seed) + " --schedule " + dir.resolve("schedule.txt");
    }

    public static Loaded read(Path dir) throws IOException, org.vnvdimm.sim.scenario.ScenarioException, Schedule.BadSchedule {
        Scenario s = org.vnvdimm.sim.scenario.ScenarioLoader.load(dir.resolve("scenario.yaml"));
        Schedule sch = Schedule.read(dir.resolve("schedule.txt"));
        String seedText = Files.readString(dir.resolve("seed.txt"), StandardCharsets.UTF_8).strip();
        long seed;
        try {
            seed = Long.parseUnsignedLong(seedText);
        } catch (NumberFormatException e) {
            throw new IOException(dir.resolve("seed.txt") + ":1:1: expected an unsigned 64-bit seed, got '" + seedText + "'");
        }
        return new Loaded(s, sch, seed);
    }
}
