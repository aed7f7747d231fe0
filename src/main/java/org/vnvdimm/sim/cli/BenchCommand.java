package org.vnvdimm.sim.cli;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.SpawnProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.bench.Bench;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.JournalRecorder;
import org.vnvdimm.sim.journal.JournalSettings;
import org.vnvdimm.sim.run.Simulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = {"Measure the simulator: wire deliveries/s with recording on, boot runs/s (also recorded into an H2 journal),",
        "and (--scale) the 1,000-guest, 16 TiB, 64-DIMM hotplug and 1 TiB / 100,000-extent defrag runs in child JVMs capped at -Xmx256m."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--deliveries", defaultValue = "2000000", description = "Deliveries per wire measurement (default ${DEFAULT-VALUE}).")
    long deliveries;

    @Option(names = "--rounds", defaultValue = "5", description = "Measured rounds after one warm-up (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--boots", defaultValue = "200", description = "Boot scenario runs to time (default ${DEFAULT-VALUE}).")
    int boots;

    @Option(names = "--explore", defaultValue = "0", description = "Also time explore of boot, two-guests and boot with random faults, this many runs each, 2 in parallel (0: skip).")
    int explore;

    @Option(names = "--scale", description = "Also run scale-16tib, scale-1000-guests, scale-hotplug-64, scale-hotplug-64-guest and scale-defrag-1tib, each in a JVM with -Xmx256m.")
    boolean scale;

    /** The --scale scenarios, each run in a child JVM with -Xmx256m. */
    static final List<String> SCALE_RUNS = List.of("scale-16tib", "scale-1000-guests", "scale-hotplug-64", "scale-hotplug-64-guest", "scale-defrag-1tib");
    /** The child JVM's heap bound. */
    static final long SCALE_HEAP_MIB = 256;

    static final long MAX_DELIVERIES = 1_000_000_000L;
    static final int MAX_ROUNDS = 1_000;
    static final int MAX_BOOTS = 1_000_000;

    /** One precise line per bad argument; true if all are usable. */
    boolean argumentsUsable() {
        return inRange("--deliveries", deliveries, 4, MAX_DELIVERIES, "deliveries per measurement")
                & inRange("--rounds", rounds, 1, MAX_ROUNDS, "measured rounds")
                & inRange("--boots", boots, 1, MAX_BOOTS, "boot runs");
    }

    private static boolean inRange(String option, long value, long min, long max, String what) {
        if (value >= min && value <= max) return true;
        System.err.printf(Locale.ROOT, "vnvdimm bench: %s: expected a number of %s from %,d to %,d, got '%d'%n", option, what, min, max, value);
        return false;
    }

    @Override
    public Integer call() throws Exception {
        if (!argumentsUsable()) return Main.EXIT_BAD_INPUT;
        System.out.printf(Locale.ROOT, "JVM %s, %d cores, max heap %d MiB%n", System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        ActorSystem<SpawnProtocol.Command> sys = ActorSystem.create(SpawnProtocol.create(), "bench", org.vnvdimm.sim.run.Simulator.akkaConfig());
        try {
            System.out.println("wire (deterministic, one delivery at a time, every delivery serialized + SHA-256):");
            int run = 0;
            for (int[] shape : new int[][] {{1, 1}, {4, 64}}) {
                Bench.wire(sys, deliveries / 4, shape[0], shape[1], 1, run++);   // warm-up
                List<Double> rates = new ArrayList<>();
                String sha = "";
                for (int i = 0; i < rounds; i++) {
                    Bench.WireResult r = Bench.wire(sys, deliveries, shape[0], shape[1], 1, run++);
                    rates.add(r.perSecond());
                    if (!sha.isEmpty() && !sha.equals(r.sha256())) throw new IllegalStateException("same seed, different trace");
                    sha = r.sha256();
                }
                rates.sort(Double::compare);
                System.out.printf(Locale.ROOT, "  %d pair(s), %d ball(s) in flight: median %,.0f deliveries/s (min %,.0f, max %,.0f) over %d x %,d; trace sha %s…%n",
                        shape[0], shape[1], rates.get(rates.size() / 2), rates.get(0), rates.get(rates.size() - 1), rounds, deliveries, sha.substring(0, 12));
            }
        } finally {
            sys.terminate();
            sys.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        try (Simulator sim = new Simulator()) {
            Scenario boot = BuiltinScenarios.resolve("boot");
            Bench.boots(sim, boot, Math.max(1, boots / 4));   // warm-up
            Bench.BootResult b = Bench.boots(sim, boot, boots);
            System.out.printf(Locale.ROOT, "boot scenario: %d runs in %.2f s = %.1f runs/s, %,.0f deliveries/s (oracles on), all passed: %s%n",
                    b.runs(), b.seconds(), b.runs() / b.seconds(), b.deliveries() / b.seconds(), b.allPassed());
            // The same runs, each recorded into the run journal (an H2 file in a temporary folder).
            Path dir = Files.createTempDirectory("vnvdimm-bench-journal-");
            try (Journal j = Journal.open(JournalSettings.resolve("jdbc:h2:file:" + dir.resolve("journal")))) {
                int n = Math.max(1, boots / 4);
                long t0 = System.nanoTime();
                boolean ok = true;
                for (int i = 0; i < n; i++) {
                    JournalRecorder jr = new JournalRecorder(java.util.concurrent.CompletableFuture.completedFuture(j));
                    ok &= sim.run(boot, boot.getSeed(), jr).passed();
                    ok &= !jr.runId().isEmpty();
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "boot scenario recorded into the journal (H2): %d runs in %.2f s = %.1f runs/s, all passed and recorded: %s%n",
                        n, secs, n / secs, ok);
            } finally {
                for (String f : List.of("journal.mv.db", "journal.trace.db", "journal.lock.db")) Files.deleteIfExists(dir.resolve(f));
                Files.deleteIfExists(dir);
            }
        }
        if (explore > 0) {
            System.out.println("explore (independent simulators in parallel, passing runs keep only their trace hash, all oracles on):");
            String saved = System.getProperty("vnvdimm.executor");
            // The direct executor (the default) for all three, then boot on the actor executor for comparison.
            for (String[] c : new String[][] {{"boot", "0", "direct"}, {"two-guests", "0", "direct"}, {"boot", "3", "direct"}, {"boot", "0", "actors"}}) {
                Scenario s = BuiltinScenarios.resolve(c[0]);
                int k = Integer.parseInt(c[1]);
                System.setProperty("vnvdimm.executor", c[2]);
                new org.vnvdimm.sim.explore.Explorer(new org.vnvdimm.sim.explore.Explorer.Options(s, Math.max(2, explore / 4),
                        org.vnvdimm.sim.explore.Explorer.Strategy.RANDOM, 2, k, 2, false, 0, 1000, null)).run(null);   // warm-up
                var r = new org.vnvdimm.sim.explore.Explorer(new org.vnvdimm.sim.explore.Explorer.Options(s, explore,
                        org.vnvdimm.sim.explore.Explorer.Strategy.RANDOM, 2, k, 2, false, 0, 1, null)).run(null);
                System.out.printf(Locale.ROOT, "  %s%s, %s executor: %,d runs in %.2f s = %,.1f runs/s (%,.0f deliveries/s), %,.1f runs per CPU-second, %d failing%n", c[0],
                        k > 0 ? " + random:" + k + " faults" : "", c[2], r.runs(), r.seconds(), r.runsPerSecond(), r.deliveries() / r.seconds(),
                        r.runsPerCpuSecond(), r.failures().size());
            }
            if (saved == null) System.clearProperty("vnvdimm.executor"); else System.setProperty("vnvdimm.executor", saved);
            System.out.printf(Locale.ROOT, "  (load average %.1f on %d cores while measuring)%n",
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), Runtime.getRuntime().availableProcessors());
        }
        System.out.printf(Locale.ROOT, "peak heap in this JVM: %d MiB%n", Bench.peakHeapMiB());
        if (scale) {
            for (String s : SCALE_RUNS) scaleRun(s, "--no-journal");
            Path dir = Files.createTempDirectory("vnvdimm-bench-journal-");
            scaleRun("scale-1000-guests", "--journal", "jdbc:h2:file:" + dir.resolve("journal"));
            for (String f : List.of("journal.mv.db", "journal.trace.db", "journal.lock.db")) Files.deleteIfExists(dir.resolve(f));
            Files.deleteIfExists(dir);
        }
        return Main.EXIT_OK;
    }

    /** A scale scenario in a fresh JVM with a 256 MiB heap: the bound is the JVM's, the verdict the run's. */
    private static void scaleRun(String scenario, String... journal) throws Exception {
        Path jar = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path out = Files.createTempDirectory("vnvdimm-bench-");
        Path gcLog = Files.createTempFile("vnvdimm-bench-gc-", ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Xlog:gc:file=" + gcLog, "-Dslf4j.internal.verbosity=ERROR", "-cp", jar.toString(), Main.class.getName(), "run", scenario, "-q", "--out", out.toString()));
        cmd.addAll(List.of(journal));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        double s = (System.nanoTime() - t0) / 1e9;
        String line = output.lines().filter(l -> l.startsWith("scenario ")).findFirst().orElse(output.strip());
        String took = output.lines().filter(l -> l.startsWith("took ")).findFirst().orElse("");
        String gc = Files.readString(gcLog);
        long peak = peakHeapBeforeGcMiB(gc);
        long live = peakLiveAfterGcMiB(gc);
        boolean oom = output.contains("OutOfMemoryError");
        Files.deleteIfExists(gcLog);
        Files.deleteIfExists(Path.of(gcLog + ".0"));   // the JVM moved the empty temp file aside when it opened the log
        for (String f : List.of("trace.bin", "trace.jsonl", "trace.txt", "trace.mmd", "summary.json")) Files.deleteIfExists(out.resolve(f));
        try {
            Files.deleteIfExists(out);   // the 1 TiB defrag's trace files are about 550 MB
        } catch (java.nio.file.DirectoryNotEmptyException kept) {
            System.out.println("kept " + out + " (it holds more than the run's files)");
        }
        System.out.printf(Locale.ROOT, "%s%s with -Xmx%dm: exit %d in %.1f s (simulation, trace files and checks%s), peak heap %s, largest live heap after a GC %s, %s — %s%n",
                scenario, journal[0].equals("--no-journal") ? "" : " recorded into the journal (H2)", SCALE_HEAP_MIB, rc, s,
                took.isEmpty() ? "" : "; " + took, peak < 0 ? "unknown (no GC)" : peak + " MiB (before a GC)", live < 0 ? "unknown" : live + " MiB",
                oom ? "OUT OF MEMORY" : "within " + SCALE_HEAP_MIB + " MiB", line);
    }

    /** The largest heap in use before a collection, from a -Xlog:gc log's "USEDM->AFTERM(TOTALM)" fields; -1 without any. */
    static long peakHeapBeforeGcMiB(Path gcLog) throws java.io.IOException {
        return peakHeapBeforeGcMiB(Files.readString(gcLog));
    }

    static long peakHeapBeforeGcMiB(String gcLog) {
        java.util.regex.Matcher m = GC_LINE.matcher(gcLog);
        long peak = -1;
        while (m.find()) peak = Math.max(peak, Long.parseLong(m.group(1)));
        return peak;
    }

    /**
     * The largest heap still in use after a young or full collection (about what the run holds at
     * that moment), from the same fields; -1 without any. G1's Remark and Cleanup pauses free
     * nothing yet, so their "after" is not counted.
     */
    static long peakLiveAfterGcMiB(String gcLog) {
        long peak = -1;
        for (String line : gcLog.split("\n")) {
            if (!line.contains("Pause Young") && !line.contains("Pause Full")) continue;
            java.util.regex.Matcher m = GC_LINE.matcher(line);
            if (m.find()) peak = Math.max(peak, Long.parseLong(m.group(2)));
        }
        return peak;
    }

    private static final java.util.regex.Pattern GC_LINE = java.util.regex.Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)");
}
