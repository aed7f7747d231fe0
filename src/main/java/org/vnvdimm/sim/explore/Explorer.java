package org.vnvdimm.sim.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.vnvdimm.proto.CrashFault;
import org.vnvdimm.proto.DelayFault;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Fault;
import org.vnvdimm.proto.HypercallError;
import org.vnvdimm.proto.LinkFault;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.fault.MessageNames;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.wire.ChoiceSource;
import org.vnvdimm.sim.wire.Wire;

/**
 * Runs a scenario many times under different interleavings (and, optionally, random faults), in
 * parallel on independent simulators, keeping only each passing run's trace hash. Run i uses seed
 * base + i; a run is a pure function of (scenario, its faults, seed, strategy, depth), so any
 * failing run can be run again exactly: its schedule is recorded by re-running it.
 */
public final class Explorer {
    public enum Strategy { RANDOM, PCT }

    public record Options(Scenario scenario, int runs, Strategy strategy, int depth, int randomFaults, int parallel,
                          boolean stopOnFirst, long budgetNanos, long baseSeed, UnaryOperator<Wire.ComponentFactory> substitute) {
        public Options {
            if (substitute == null) substitute = UnaryOperator.identity();
        }
    }

    /** A failing run: enough to run it again. problems are oracle names, or "steps" for unexpected step failures. */
    public record Failure(long seed, Scenario scenario, TreeSet<String> problems, String firstProblem) {}

    public record Report(int runs, List<Failure> failures, TreeMap<String, List<Failure>> byProblem, double seconds,
                         long deliveries, int distinctTraces, long decisionsPerRun, double cpuSeconds, double runCpuSeconds) {
        public double runsPerSecond() { return runs / Math.max(1e-9, seconds); }

        /**
         * The CPU the simulations themselves used (the worker threads); the rest of cpuSeconds is the
         * JVM's own work: the JIT compiling the simulator while it warms up, and the garbage collector.
         */
        public double jvmCpuSeconds() { return Math.max(0, cpuSeconds - runCpuSeconds); }

        /** Runs per second of the process's CPU time: what one otherwise idle core gives, whatever else the machine runs. */
        public double runsPerCpuSecond() { return runs / Math.max(1e-9, cpuSeconds); }
    }

    /** The process's CPU time so far (all threads), or -1 where the JVM does not say. */
    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() / 1e9 : -1;
    }

    /** Called now and then with the runs done and the failures so far. */
    public interface Progress {
        void update(int done, int failures, double seconds);
    }

    private final Options o;
    /** What a default run of the scenario delivers: links and message names to aim random faults at. */
    private final List<String[]> links = new ArrayList<>();
    private final List<String> hypercalls = new ArrayList<>();
    private final TreeMap<String, Integer> messageCounts = new TreeMap<>();
    private long decisions;
    private long defaultDeliveries;

    public Explorer(Options o) { this.o = o; }

    /** Failure criterion: an oracle the scenario does not expect fired; or, in a run without added faults, any unmet expectation. */
    public static TreeSet<String> problems(Scenario s, RunResult r, boolean faultsAdded) {
        TreeSet<String> p = new TreeSet<>(r.firedOracles());
        p.removeAll(s.getExpect().getViolationsList());
        if (!faultsAdded && !r.passed() && p.isEmpty()) p.add(r.summary().getFailedStepsList().stream().anyMatch(x -> !x.getExpected()) ? "steps" : "expect");
        return p;
    }

    /** The choice source of run `seed` under the options' strategy. */
    public ChoiceSource choices(long seed) {
        return o.strategy() == Strategy.PCT ? new Pct(seed, o.depth(), Math.max(1, decisions)) : ChoiceSource.seeded(seed);
    }

    public static ChoiceSource choices(Strategy strategy, int depth, long decisions, long seed) {
        return strategy == Strategy.PCT ? new Pct(seed, depth, Math.max(1, decisions)) : ChoiceSource.seeded(seed);
    }

    /** The scenario run `seed` runs: the given one plus up to randomFaults faults drawn from the seed. */
    public Scenario scenarioFor(long seed) {
        if (o.randomFaults() == 0) return o.scenario();
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1);
        Scenario.Builder b = o.scenario().toBuilder();
        int n = 1 + rng.nextInt(o.randomFaults());
        for (int i = 0; i < n; i++) b.addFaults(randomFault(rng));
        // One kind in seven: the last fault is a power cycle instead, at a delivery a default run
        // reaches. Its own stream, so the other faults are the ones drawn without it.
        SplittableRandom power = new SplittableRandom(seed ^ POWER_STREAM);
        if (defaultDeliveries > 1 && power.nextInt(7) == 0) {
            b.setFaults(b.getFaultsCount() - 1, Fault.newBuilder().setPowerCycle(org.vnvdimm.proto.PowerCycleFault.newBuilder()
                    .setAtSeq(2 + power.nextLong(defaultDeliveries - 1))));
        }
        return b.build();
    }

    /** Where the power-cycle stream departs from the run's seed. */
    static final long POWER_STREAM = 0xbb67ae8584caa73bL;

    static final List<String> ERRNOS = List.of("ENOMEM", "EBUSY", "EAGAIN", "EFAULT", "EINVAL");

    private Fault randomFault(SplittableRandom rng) {
        int kind = rng.nextInt(6);
        if (kind == 0 && !hypercalls.isEmpty()) {
            String h = hypercalls.get(rng.nextInt(hypercalls.size()));
            return Fault.newBuilder().setHypercallError(HypercallError.newBuilder().setHypercall(h)
                    .setNth(1 + rng.nextInt(messageCounts.get("xen|" + h))).setErrno(ERRNOS.get(rng.nextInt(ERRNOS.size())))).build();
        }
        String[] l = links.get(rng.nextInt(links.size()));
        int nth = 1 + rng.nextInt(messageCounts.get(l[0] + ">" + l[1]));
        if (kind == 1 && (l[1].equals("xenstored") || l[1].startsWith("qemu-"))) {
            // A daemon dies on a message it receives: xenstored restarts as C xenstored did, QEMU does not.
            return Fault.newBuilder().setCrash(CrashFault.newBuilder().setRole(l[1]).setOnMessage(l[2])
                    .setNth(1 + rng.nextInt(messageCounts.get(l[1] + "<" + l[2]))).setRestart(l[1].equals("xenstored"))).build();
        }
        LinkFault lf = LinkFault.newBuilder().setFrom(l[0]).setTo(l[1]).setNth(nth).build();
        return switch (kind) {
            case 2 -> Fault.newBuilder().setDuplicate(lf).build();
            case 3 -> Fault.newBuilder().setDelay(DelayFault.newBuilder().setFrom(l[0]).setTo(l[1]).setNth(nth)
                    .setNs(1_000L * (1 + rng.nextInt(1_000_000)))).build();
            case 4 -> Fault.newBuilder().setReorder(lf).build();
            default -> Fault.newBuilder().setDrop(lf).build();
        };
    }

    /** One default-order run: how many decisions a run makes (PCT's k) and what the faults can aim at. */
    private void survey(Simulator sim) {
        MemoryRecorder mem = new MemoryRecorder();
        Schedule.Recording rec = new Schedule.Recording(ChoiceSource.seeded(o.baseSeed()));
        sim.run(o.scenario(), o.baseSeed(), null, mem, o.substitute(), rec);
        decisions = rec.decisions();
        defaultDeliveries = mem.records().size();
        java.util.TreeSet<String> seen = new java.util.TreeSet<>();
        for (TraceRecord t : mem.records()) {
            Envelope e = t.getDelivered();
            if (e.getFrom().equals(Wire.ADMIN) || e.getTo().equals(Wire.ADMIN)) continue;
            String name = MessageNames.of(e);
            String link = e.getFrom() + ">" + e.getTo();
            messageCounts.merge(link, 1, Integer::sum);
            messageCounts.merge(e.getTo() + "<" + name, 1, Integer::sum);
            if (seen.add(link + "|" + name)) links.add(new String[] {e.getFrom(), e.getTo(), name});
            if (e.getTo().equals("xen") && MessageNames.isHypercall(e)) {
                if (messageCounts.merge("xen|" + name, 1, Integer::sum) == 1) hypercalls.add(name);
            }
        }
    }

    public long decisionsPerRun() { return decisions; }

    public Report run(Progress progress) throws InterruptedException {
        long t0 = System.nanoTime();
        int p = Math.max(1, o.parallel());
        double cpu0 = processCpuSeconds();
        List<Simulator> sims = new ArrayList<>();
        for (int i = 0; i < p; i++) sims.add(new Simulator());
        try {
            // PCT needs the number of decisions and random faults the links before the first run;
            // plain random exploration needs neither, so its survey runs on the first worker while
            // the others start (on 2 cores, a core no longer waits out the first run's class loading).
            boolean surveyFirst = o.strategy() == Strategy.PCT || o.randomFaults() > 0;
            if (surveyFirst) survey(sims.get(0));
            AtomicInteger next = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            List<Failure> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.Set<String> hashes = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.atomic.AtomicLong deliveries = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong workerCpuNanos = new java.util.concurrent.atomic.AtomicLong();
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            ExecutorService pool = Executors.newFixedThreadPool(p, r -> { Thread t = new Thread(r, "explore"); t.setDaemon(true); return t; });
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < p; w++) {
                Simulator sim = sims.get(w);
                boolean surveyHere = !surveyFirst && w == 0;
                fs.add(pool.submit(() -> {
                    long c0 = threads.getCurrentThreadCpuTime();
                    try {
                    if (surveyHere) survey(sim);
                    while (!stop.get()) {
                        int i = next.getAndIncrement();
                        if (i >= o.runs()) break;
                        if (o.budgetNanos() > 0 && System.nanoTime() - t0 > o.budgetNanos()) { stop.set(true); break; }
                        long seed = o.baseSeed() + i;
                        Scenario s = scenarioFor(seed);
                        RunResult r = sim.run(s, seed, null, Recorders.none(), o.substitute(), choices(seed), true);
                        deliveries.addAndGet(r.summary().getDeliveries());
                        hashes.add(r.summary().getTraceSha256());
                        TreeSet<String> pr = problems(s, r, s.getFaultsCount() > o.scenario().getFaultsCount());
                        if (!pr.isEmpty()) {
                            failures.add(new Failure(seed, s, pr, r.summary().getFirstProblem()));
                            if (o.stopOnFirst()) stop.set(true);
                        }
                        done.incrementAndGet();
                    }
                    } finally {
                        workerCpuNanos.addAndGet(threads.getCurrentThreadCpuTime() - c0);
                    }
                    return null;
                }));
            }
            pool.shutdown();
            while (!pool.awaitTermination(250, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (progress != null) progress.update(done.get(), failures.size(), (System.nanoTime() - t0) / 1e9);
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("an explore run failed: " + e.getCause(), e.getCause());
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = processCpuSeconds() - cpu0;
            if (progress != null) progress.update(done.get(), failures.size(), secs);
            List<Failure> sorted = new ArrayList<>(failures);
            sorted.sort(java.util.Comparator.comparingLong(f -> f.seed() - o.baseSeed()));
            TreeMap<String, List<Failure>> by = new TreeMap<>();
            for (Failure f : sorted) for (String pr : f.problems()) by.computeIfAbsent(pr, k -> new ArrayList<>()).add(f);
            return new Report(done.get(), sorted, by, secs, deliveries.get(), hashes.size(), decisions, cpu, workerCpuNanos.get() / 1e9);
        } finally {
            for (Simulator s : sims) s.close();
        }
    }

    /** Re-run one failure, recording its schedule (the choices that differ from the default order). */
    public Schedule scheduleOf(Simulator sim, Failure f) {
        Schedule.Recording rec = new Schedule.Recording(choices(f.seed()));
        sim.run(f.scenario(), f.seed(), null, Recorders.none(), o.substitute(), rec);
        return rec.schedule();
    }

    static String fmt(double v) { return String.format(Locale.ROOT, "%,.1f", v); }
}
