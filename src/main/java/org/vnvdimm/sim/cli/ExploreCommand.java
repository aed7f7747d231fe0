package org.vnvdimm.sim.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.explore.Explorer;
import org.vnvdimm.sim.explore.FailureFolder;
import org.vnvdimm.sim.explore.Schedule;
import org.vnvdimm.sim.explore.Shrinker;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ScenarioException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "explore", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Run a scenario many times under different interleavings (and random faults), in parallel; keep only the trace hash of",
                "passing runs; print a table of failing runs per oracle and a command that reproduces each; shrink the first failure.",
                "Exit 0: no run failed; 1: some did; 2: bad input."})
final class ExploreCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME|FILE", description = "Built-in scenario or YAML file.")
    String scenario;

    @Option(names = "--runs", paramLabel = "N", description = "Runs (default 1000).")
    int runs = 1000;

    @Option(names = "--strategy", paramLabel = "random|pct", description = "random: uniform among waiting links (as run); pct: probabilistic concurrency testing.")
    String strategy = "random";

    @Option(names = "--depth", paramLabel = "D", description = "PCT's bug depth d (d-1 priority change points; default 2).")
    int depth = 2;

    @Option(names = "--faults", paramLabel = "random:K", description = "Add 1 to K random faults to each run (drop, duplicate, delay, reorder, hypercall_error, crash, power_cycle).")
    String faults;

    @Option(names = "--parallel", paramLabel = "P", description = "Independent simulators running at once (default: the number of cores).")
    int parallel = Runtime.getRuntime().availableProcessors();

    @Option(names = "--stop-on-first", description = "Stop at the first failing run.")
    boolean stopOnFirst;

    @Option(names = "--time", paramLabel = "BUDGET", description = "Stop after this much wall-clock time: 30s, 5m, 1h.")
    String time;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the first run (run i uses N + i; default: the scenario's seed).")
    String seed;

    @Option(names = "--no-shrink", description = "Do not shrink the first failure.")
    boolean noShrink;

    @Option(names = "--out", paramLabel = "DIR", description = "Where failing runs are kept (default: a new runs/explore-NAME-K).")
    String out;

    @Option(names = "--journal", paramLabel = "URL", description = "Record the kept failing runs in this journal (default: as `run`: runs/journal.mv.db).")
    String journal;

    @Option(names = "--no-journal", description = "Do not record failing runs in the journal (their run folders are still written).")
    boolean noJournal;

    static final int MAX_KEPT = 5;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || runs > 100_000_000) return bad("--runs: expected a number of runs from 1 to 100,000,000, got " + runs);
        if (parallel < 1 || parallel > 64) return bad("--parallel: expected 1 to 64 simulators, got " + parallel);
        if (depth < 1 || depth > 100) return bad("--depth: expected a PCT depth from 1 to 100, got " + depth);
        Explorer.Strategy st;
        switch (strategy) {
            case "random" -> st = Explorer.Strategy.RANDOM;
            case "pct" -> st = Explorer.Strategy.PCT;
            default -> { return bad("--strategy: expected random or pct, got '" + strategy + "'"); }
        }
        int k = 0;
        if (faults != null) {
            if (!faults.matches("random:[1-9][0-9]{0,2}")) return bad("--faults: expected random:K with K from 1 to 999, got '" + faults + "'");
            k = Integer.parseInt(faults.substring(7));
        }
        long budget = 0;
        if (time != null) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([1-9][0-9]{0,6})(s|m|h)").matcher(time);
            if (!m.matches()) return bad("--time: expected a budget like 30s, 5m or 1h, got '" + time + "'");
            budget = Long.parseLong(m.group(1)) * switch (m.group(2)) { case "s" -> 1L; case "m" -> 60L; default -> 3600L; } * 1_000_000_000L;
        }
        Scenario sc;
        try {
            sc = BuiltinScenarios.resolve(scenario);
        } catch (ScenarioException e) {
            System.err.println(e.getMessage());
            return Main.EXIT_BAD_INPUT;
        } catch (IllegalArgumentException e) {
            System.err.println("vnvdimm: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        Long base = sc.getSeed();
        if (seed != null && (base = RunCommand.parseSeed(seed)) == null) return Main.EXIT_BAD_INPUT;
        PrintStream o = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        boolean tty = System.console() != null;
        Explorer ex = new Explorer(new Explorer.Options(sc, runs, st, depth, k, parallel, stopOnFirst, budget, base, null));
        final long[] lastLine = {System.nanoTime()};
        Explorer.Report rep = ex.run((done, failed, secs) -> {
            double rate = done / Math.max(1e-9, secs);
            String eta = rate > 0 ? String.format(Locale.ROOT, "%.0f s", (runs - done) / rate) : "?";
            if (tty) {
                int width = 30, filled = (int) ((long) width * done / runs);
                o.printf(Locale.ROOT, "\r[%s%s] %,d/%,d runs  %,.0f runs/s  %d failing  ETA %s ", "#".repeat(filled), ".".repeat(width - filled),
                        done, runs, rate, failed, eta);
            } else if (System.nanoTime() - lastLine[0] > 2_000_000_000L || done == runs) {
                lastLine[0] = System.nanoTime();
                o.printf(Locale.ROOT, "explore: %,d/%,d runs, %,.0f runs/s, %d failing, ETA %s%n", done, runs, rate, failed, eta);
            }
        });
        if (tty) o.println();
        o.printf(Locale.ROOT, "explored %s: %,d runs in %.2f s = %,.0f runs/s (%s%s, %d parallel, %,d deliveries, %,d distinct traces)%n",
                sc.getName(), rep.runs(), rep.seconds(), rep.runsPerSecond(), strategy, st == Explorer.Strategy.PCT ? " depth " + depth : "",
                parallel, rep.deliveries(), rep.distinctTraces());
        o.printf(Locale.ROOT, "CPU: %.2f s of process CPU time, %,.0f runs per CPU-second (the load average was %.1f on %d cores)%n", rep.cpuSeconds(),
                rep.runsPerCpuSecond(), java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
        o.printf(Locale.ROOT, "     of which %.2f s in the simulations (%,.0f runs per CPU-second there) and %.2f s the JVM's own (JIT compiling while it warms up, GC)%n",
                rep.cpuSeconds() - rep.jvmCpuSeconds(), rep.runs() / Math.max(1e-9, rep.cpuSeconds() - rep.jvmCpuSeconds()), rep.jvmCpuSeconds());
        if (rep.failures().isEmpty()) {
            o.println("no failing run");
            return Main.EXIT_OK;
        }
        o.printf(Locale.ROOT, "%d failing run(s):%n", rep.failures().size());
        o.println("| oracle | failing runs | first seeds |");
        o.println("|---|---|---|");
        for (Map.Entry<String, List<Explorer.Failure>> e : rep.byProblem().entrySet()) {
            List<String> seeds = new ArrayList<>();
            for (Explorer.Failure f : e.getValue()) { if (seeds.size() == 5) { seeds.add("…"); break; } seeds.add(Long.toUnsignedString(f.seed())); }
            o.printf(Locale.ROOT, "| %s | %d | %s |%n", e.getKey(), e.getValue().size(), String.join(", ", seeds));
        }
        Path dir = out != null ? Path.of(out) : newDir(sc.getName());
        Files.createDirectories(dir);
        // Kept failing runs also go to the run journal (as `run` records), unless told not to.
        org.vnvdimm.sim.journal.JournalSettings js = null;
        if (!noJournal) {
            try {
                js = org.vnvdimm.sim.journal.JournalSettings.resolve(journal);
            } catch (org.vnvdimm.sim.journal.JournalSettings.Unusable e) {
                o.println("warning: failing runs are not recorded in the journal: " + e.getMessage());
            }
        }
        org.vnvdimm.sim.journal.JournalSettings jsFinal = js;
        java.util.concurrent.CompletableFuture<org.vnvdimm.sim.journal.Journal> opening = js == null ? null
                : java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return org.vnvdimm.sim.journal.Journal.open(jsFinal);
                    } catch (org.vnvdimm.sim.journal.JournalSettings.Unusable e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                }, r -> { Thread t = new Thread(r, "vnvdimm-journal-open"); t.setDaemon(true); t.start(); });
        try (Simulator sim = new Simulator()) {
            int kept = 0;
            for (Explorer.Failure f : rep.failures()) {
                if (kept++ == MAX_KEPT) { o.printf(Locale.ROOT, "(%d more failing runs not kept)%n", rep.failures().size() - MAX_KEPT); break; }
                Schedule sch = ex.scheduleOf(sim, f);
                Path fd = dir.resolve("seed-" + Long.toUnsignedString(f.seed()));
                org.vnvdimm.sim.journal.JournalRecorder jr = opening == null ? null : new org.vnvdimm.sim.journal.JournalRecorder(opening);
                FailureFolder.write(fd, f.scenario(), sch, f.seed(), "explore " + sc.getName() + " run seed " + Long.toUnsignedString(f.seed()) + ", " + strategy, sim, null,
                        jr == null ? org.vnvdimm.sim.record.Recorders.none() : jr);
                String id = null;
                if (jr != null) {
                    try {
                        id = jr.runId();
                    } catch (IllegalStateException e) {
                        o.println("warning: seed " + Long.toUnsignedString(f.seed()) + " was not recorded in the journal: " + e.getMessage());
                    }
                }
                o.printf(Locale.ROOT, "seed %s: %s — %s%n  reproduce: %s%s%n", Long.toUnsignedString(f.seed()), String.join(", ", f.problems()), f.firstProblem(),
                        FailureFolder.reproduce(fd, f.seed()), id == null ? "" : "  (or ./vnvdimm replay " + id + ", recorded in the journal " + js.shown() + ")");
            }
            if (!noShrink) {
                Explorer.Failure first = rep.failures().get(0);
                Path fd = dir.resolve("seed-" + Long.toUnsignedString(first.seed()));
                o.println(ShrinkCommand.shrink(sim, fd, fd.resolve("shrunk"), null, o));
            }
        } finally {
            if (opening != null) opening.thenAccept(org.vnvdimm.sim.journal.Journal::close).exceptionally(e -> null).join();
        }
        return Main.EXIT_EXPECTATION_FAILED;
    }

    static Path newDir(String name) {
        for (int i = 1; ; i++) {
            Path p = Path.of("runs").resolve("explore-" + name + "-" + i);
            if (!Files.exists(p)) return p;
        }
    }

    private static int bad(String msg) {
        System.err.println("vnvdimm explore: " + msg);
        return Main.EXIT_BAD_INPUT;
    }
}
