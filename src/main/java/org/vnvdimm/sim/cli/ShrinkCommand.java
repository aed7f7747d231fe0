package org.vnvdimm.sim.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.sim.explore.FailureFolder;
import org.vnvdimm.sim.explore.Schedule;
import org.vnvdimm.sim.explore.Shrinker;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.wire.Wire;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "shrink", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Shrink a failing run kept by explore (a folder with scenario.yaml, schedule.txt and seed.txt): delta debugging over its",
                "faults and its schedule's non-default choices while the same oracle still fires. Writes RUN/shrunk/ and prints how to run it.",
                "Exit 0: shrunk; 1: the run does not fail; 2: bad input."})
final class ShrinkCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "A failing run's folder (explore keeps them under runs/explore-NAME-K/seed-S).")
    String run;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the shrunk run goes (default RUN/shrunk).")
    String out;

    @Override
    public Integer call() throws Exception {
        Path dir = Path.of(run);
        if (!Files.isRegularFile(dir.resolve("scenario.yaml")) || !Files.isRegularFile(dir.resolve("schedule.txt")) || !Files.isRegularFile(dir.resolve("seed.txt"))) {
            System.err.println("vnvdimm shrink: " + run + ": not a failing run's folder (it needs scenario.yaml, schedule.txt and seed.txt, as explore writes them)");
            return Main.EXIT_BAD_INPUT;
        }
        PrintStream o = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Simulator sim = new Simulator()) {
            String line = shrink(sim, dir, out != null ? Path.of(out) : dir.resolve("shrunk"), null, o);
            o.println(line);
            return line.startsWith("shrink:") ? Main.EXIT_OK : Main.EXIT_EXPECTATION_FAILED;
        } catch (org.vnvdimm.sim.scenario.ScenarioException e) {
            System.err.println(e.getMessage());
            return Main.EXIT_BAD_INPUT;
        } catch (Schedule.BadSchedule e) {
            System.err.println("vnvdimm shrink: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
    }

    /** Shrink the failing run in dir into target; returns the line that says what was removed and how to reproduce it. */
    static String shrink(Simulator sim, Path dir, Path target, UnaryOperator<Wire.ComponentFactory> substitute, PrintStream o) throws Exception {
        FailureFolder.Loaded l = FailureFolder.read(dir);
        Shrinker.Result r;
        try {
            r = new Shrinker(sim, l.seed(), substitute).shrink(l.scenario(), l.schedule());
        } catch (IllegalArgumentException e) {
            return "vnvdimm shrink: " + dir + ": " + e.getMessage();
        }
        RunSummary s = FailureFolder.write(target, r.scenario(), r.schedule(), l.seed(), "shrunk from " + dir, sim, substitute);
        return r.line() + "\n  reproduce: " + FailureFolder.reproduce(target, l.seed()) + (s.getExpectationsMet() ? "  (warning: it passed when re-run)" : "");
    }
}
