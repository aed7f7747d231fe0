package org.vnvdimm.sim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceReader;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.record.TraceFiles;
import org.vnvdimm.sim.record.TraceText;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.proto.StepOutcome;
import org.vnvdimm.sim.oracle.Oracles;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ScenarioException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", description = "Run a scenario (a built-in name or a YAML file; default: boot) and print its trace.")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME|FILE", description = "Built-in scenario or YAML file (default: boot).")
    String scenario = "boot";

    @Option(names = "--seed", description = "Scheduler seed (default: the scenario's seed).")
    Long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: a new folder under runs/).")
    Path out;

    @Option(names = {"-q", "--quiet"}, description = "Print only the summary, not the trace.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Print every observation (p2m changes, extents) under each line.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        Scenario sc;
        try {
            sc = BuiltinScenarios.resolve(scenario);
        } catch (ScenarioException e) {
            System.err.println(e.getMessage());
            for (ScenarioException more : e.additional()) System.err.println(more.getMessage());
            return Main.EXIT_BAD_INPUT;
        } catch (IllegalArgumentException e) {
            System.err.println("vnvdimm: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        long s = seed != null ? seed : sc.getSeed();
        Path dir = out != null ? out : newRunDir(sc.getName(), s);
        Files.createDirectories(dir);
        Path bin = dir.resolve("trace.bin");
        RunResult result;
        // Wall-clock time is measured around the run, for the user; nothing inside the run sees it.
        long t0 = System.nanoTime();
        try (Simulator sim = new Simulator()) {
            result = sim.run(sc, s, bin, Recorders.none());
        }
        long t1 = System.nanoTime();
        PrintStream o = new PrintStream(new java.io.BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
        TraceFiles.Written w = TraceFiles.write(dir, bin, result.summary());
        long t2 = System.nanoTime();
        if (!quiet) {
            try (TraceReader r = new TraceReader(bin)) {
                w.shape().text(verbose ? TraceText.Detail.VERBOSE : TraceText.Detail.NORMAL).render(r.iterator(), o::println);
            }
            o.println();
        }
        List<Path> files = new java.util.ArrayList<>(w.files());
        files.add(0, bin);
        summary(o, sc, s, result, files);
        o.printf(Locale.ROOT, "took %.2f s to simulate, %.2f s to write the trace files%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        o.flush();
        return result.passed() ? Main.EXIT_OK : Main.EXIT_EXPECTATION_FAILED;
    }

    static Path newRunDir(String name, long seed) {
        Path base = Path.of("runs");
        for (int i = 1; ; i++) {
            Path p = base.resolve(name + "-seed" + seed + "-" + i);
            if (!Files.exists(p)) return p;
        }
    }

    static void summary(PrintStream o, Scenario sc, long seed, RunResult r, List<Path> files) {
        RunSummary s = r.summary();
        o.printf(Locale.ROOT, "scenario %s, seed %d: %d deliveries, %.3f ms virtual time%n", sc.getName(), seed, s.getDeliveries(), s.getVtimeNs() / 1e6);
        for (StepOutcome st : s.getFailedStepsList()) {
            o.printf(Locale.ROOT, "  step %s (%s) failed%s: %s%s%n", Simulator.stepName(st), st.getCommand(), st.getExpected() ? ", as expected" : "",
                    st.getErrno().isEmpty() ? "rc " + st.getRc() : st.getErrno(), st.getOutput().isEmpty() ? "" : " — " + st.getOutput());
        }
        if (s.getVerdictsCount() == 0) {
            o.println("oracles: " + String.join(", ", Oracles.ALL) + " — no violation");
        } else {
            o.printf(Locale.ROOT, "oracles: %d violation(s)%s%n", s.getVerdictsCount(),
                    s.getVerdictsFolded() + s.getVerdictsDropped() == 0 ? ""
                            : " (" + s.getVerdictsFolded() + " repeats folded, " + s.getVerdictsDropped() + " beyond the per-oracle bound dropped)");
            int shown = 0;
            for (Verdict v : s.getVerdictsList()) {
                if (shown++ == 20) { o.printf(Locale.ROOT, "  … %d more in summary.json%n", s.getVerdictsCount() - 20); break; }
                o.printf(Locale.ROOT, "  ✗ %s at #%d: %s%s%n", v.getOracle(), v.getSeq(), v.getDetail(),
                        v.getRepeats() == 0 ? "" : " (and " + v.getRepeats() + " more time(s), last at #" + v.getLastSeq() + ")");
            }
        }
        o.println((r.passed() ? "PASS: " : "FAIL: ") + s.getOutcome());
        o.println("trace sha256 " + s.getTraceSha256());
        for (Path f : files) o.println("wrote " + f);
        o.flush();
    }
}
