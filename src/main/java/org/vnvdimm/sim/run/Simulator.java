package org.vnvdimm.sim.run;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.SpawnProtocol;
import akka.actor.typed.javadsl.AskPattern;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.vnvdimm.proto.ExpectedStepFailure;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.StepOutcome;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.oracle.Oracles;
import org.vnvdimm.sim.platform.MediaStore;
import org.vnvdimm.sim.platform.PlatformModel;
import org.vnvdimm.sim.record.DigestRecorder;
import org.vnvdimm.sim.record.Recorder;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.fault.FaultPlan;
import org.vnvdimm.sim.wire.ChoiceSource;
import org.vnvdimm.sim.wire.Faults;
import org.vnvdimm.sim.wire.Wire;

/**
 * Runs scenarios: each run is a fresh wire with fresh components. Two executors drive the same
 * component behaviours and give the same trace: {@link Executor#DIRECT} (default) runs them on the
 * calling thread ({@link org.vnvdimm.sim.wire.DirectExecutor}); {@link Executor#ACTORS} runs the
 * wire and each component as actors in one ActorSystem, reused across runs. Inside a run nothing
 * depends on wall-clock time or thread timing.
 */
public final class Simulator implements AutoCloseable {
    public static final String CODE_VERSION = org.vnvdimm.sim.record.CodeVersion.id();
    /** Default liveness bound on deliveries when the scenario sets none. */
    public static final long DEFAULT_MAX_DELIVERIES = 50_000_000L;
    /** Real-time guard around a run: only ever hit by a bug (a component that stops answering). */
    static final Duration RUN_GUARD = Duration.ofMinutes(30);

    /** What drives the component behaviours. */
    public enum Executor { DIRECT, ACTORS }

    private final Executor executor;
    private final ActorSystem<SpawnProtocol.Command> system;
    private int runs;

    /** The executor the system property vnvdimm.executor names (direct or actors; direct when unset). */
    public Simulator() { this(defaultExecutor()); }

    public Simulator(Executor executor) {
        this.executor = executor;
        system = executor == Executor.ACTORS ? ActorSystem.create(SpawnProtocol.create(), "vnvdimm", akkaConfig()) : null;
    }

    public static Executor defaultExecutor() {
        String p = System.getProperty("vnvdimm.executor", "direct");
        return switch (p) {
            case "direct" -> Executor.DIRECT;
            case "actors" -> Executor.ACTORS;
            default -> throw new IllegalArgumentException("vnvdimm.executor: expected direct or actors, got '" + p + "'");
        };
    }

    public Executor executor() { return executor; }

    /** One dispatcher thread or two: the wire delivers one message at a time anyway. */
    public static Config akkaConfig() {
        return ConfigFactory.parseString("""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.log-dead-letters = off
                akka.log-dead-letters-during-shutdown = off
                akka.loggers = ["akka.event.slf4j.Slf4jLogger"]
                akka.logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
                akka.actor.default-dispatcher {
                  throughput = 100
                  # One message is in flight at a time: one thread avoids a cross-thread hand-off per delivery.
                  fork-join-executor { parallelism-min = 1, parallelism-max = 1 }
                }
                akka.coordinated-shutdown.exit-jvm = off
                akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                """).withFallback(ConfigFactory.load());
    }

    /** Run without writing files: the trace is hashed as it streams. */
    public RunResult run(Scenario scenario, long seed) { return run(scenario, seed, null, Recorders.none()); }

    public RunResult run(Scenario scenario, long seed, Recorder recorder) { return run(scenario, seed, null, recorder); }

    /**
     * Run a scenario. The canonical trace (length-delimited protobuf) is hashed as it streams and,
     * when traceBin is given, written there; recorder gets every record too.
     */
    public RunResult run(Scenario scenario, long seed, java.nio.file.Path traceBin, Recorder recorder) {
        return run(scenario, seed, traceBin, recorder, UnaryOperator.identity());
    }

    /**
     * Run with some components substituted: substitute gets the real factory and returns the one
     * the wire uses. Only tests use it, to build deliberately broken variants (seeded bugs).
     */
    public RunResult run(Scenario scenario, long seed, java.nio.file.Path traceBin, Recorder recorder,
                         UnaryOperator<Wire.ComponentFactory> substitute) {
        return run(scenario, seed, traceBin, recorder, substitute, null);
    }

    /**
     * The general form: choices (null = seeded from seed) decides the interleaving; the scenario's
     * faults are applied on the wire.
     */
    public RunResult run(Scenario scenario, long seed, java.nio.file.Path traceBin, Recorder recorder,
                         UnaryOperator<Wire.ComponentFactory> substitute, ChoiceSource choices) {
        return run(scenario, seed, traceBin, recorder, substitute, choices, false);
    }

    /**
     * fingerprintOnly: no trace serialization; the summary's trace_sha256 is a cheap fingerprint
     * ("fp-…", {@link org.vnvdimm.sim.record.FingerprintRecorder}) instead of the trace hash.
     * For explore's passing runs.
     */
    public RunResult run(Scenario scenario, long seed, java.nio.file.Path traceBin, Recorder recorder,
                         UnaryOperator<Wire.ComponentFactory> substitute, ChoiceSource choices, boolean fingerprintOnly) {
        return run(scenario, seed, traceBin, recorder, substitute, choices, fingerprintOnly, null);
    }

    /** stopAt (not null): the run stops after that delivery and collects the components' state dumps (`vnvdimm show`). */
    public RunResult run(Scenario scenario, long seed, java.nio.file.Path traceBin, Recorder recorder,
                         UnaryOperator<Wire.ComponentFactory> substitute, ChoiceSource choices, boolean fingerprintOnly,
                         Wire.StopAt stopAt) {
        PlatformModel model = new PlatformModel(scenario.getPlatform());
        Oracles oracles = new Oracles(model);
        ScenarioDriver driver = new ScenarioDriver(scenario);
        Wire.ComponentFactory components = substitute.apply(new Components(scenario, seed, model, new MediaStore(), new MediaStore()));
        DigestRecorder digest = fingerprintOnly ? null : new DigestRecorder(traceBin);
        org.vnvdimm.sim.record.FingerprintRecorder fp = fingerprintOnly ? new org.vnvdimm.sim.record.FingerprintRecorder() : null;
        Recorder rec = Recorders.all(fingerprintOnly ? fp : digest, recorder);
        TraceHeader header = TraceHeader.newBuilder().setScenario(scenario).setSeed(seed).setCodeVersion(CODE_VERSION).build();
        long max = scenario.getLimits().getMaxDeliveries() > 0 ? scenario.getLimits().getMaxDeliveries() : DEFAULT_MAX_DELIVERIES;
        CompletableFuture<Wire.Outcome> done = new CompletableFuture<>();
        FaultPlan faults = scenario.getFaultsCount() == 0 ? null : new FaultPlan(scenario.getFaultsList(), seed);
        ChoiceSource source = choices != null ? choices : ChoiceSource.seeded(seed);
        String name = "run-" + (runs++);
        Faults f = faults == null ? Faults.NONE : faults;
        if (executor == Executor.DIRECT) {
            Runnable direct = () -> org.vnvdimm.sim.wire.DirectExecutor.run(host -> new Wire(host, header, components, driver, oracles, rec, max, done, source, f, stopAt));
            // A fingerprinted run's trace is never read: its console lines need not be formatted.
            if (fingerprintOnly) org.vnvdimm.contract.ComponentBehavior.withoutConsoleLines(direct); else direct.run();
            if (!done.isDone()) done.completeExceptionally(new IllegalStateException("wire protocol: the run stopped before its end"));
        } else {
            runOnActors(name, header, components, driver, oracles, rec, max, done, source, f, stopAt);
        }
        Wire.Outcome o;
        try {
            o = done.get(RUN_GUARD.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("run did not finish within " + RUN_GUARD + ": " + e, e);
        }
        return finish(scenario, seed, recorder, oracles, driver, faults, digest, fp, o);
    }

    private void runOnActors(String name, TraceHeader header, Wire.ComponentFactory components, ScenarioDriver driver,
                             Oracles oracles, Recorder rec, long max, CompletableFuture<Wire.Outcome> done,
                             ChoiceSource source, Faults faults, Wire.StopAt stopAt) {
        ActorRef<Wire.Command> wire;
        try {
            wire = AskPattern.<SpawnProtocol.Command, ActorRef<Wire.Command>>ask(system,
                    replyTo -> new SpawnProtocol.Spawn<>(Wire.create(header, components, driver, oracles, rec, max, done, source,
                            faults, stopAt), name, Props.empty(), replyTo),
                    Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot start the wire: " + e, e);
        }
        wire.tell(new Wire.Start());
    }

    private RunResult finish(Scenario scenario, long seed, Recorder recorder, Oracles oracles, ScenarioDriver driver, FaultPlan faults,
                             DigestRecorder digest, org.vnvdimm.sim.record.FingerprintRecorder fp, Wire.Outcome o) {
        driver.end();
        RunSummary.Builder s = RunSummary.newBuilder().setDeliveries(o.deliveries()).setVtimeNs(o.vtimeNs())
                .addAllVerdicts(oracles.verdicts()).setVerdictsFolded(oracles.folded()).setVerdictsDropped(oracles.dropped())
                .setScenario(scenario.getName()).setSeed(seed).setCodeVersion(CODE_VERSION).setStepsRun(driver.stepsRun());
        if (faults != null) s.addAllFaultsApplied(faults.appliedList()).addAllFaultWarnings(faults.warnings());
        judge(scenario, driver.outcomes(), s);
        // The digest covers header and records; the summary is derived from them.
        if (digest != null) {
            digest.end(RunSummary.getDefaultInstance());
            s.setTraceSha256(digest.sha256());
        } else {
            s.setTraceSha256(fp.fingerprint());
        }
        RunSummary summary = s.build();
        recorder.end(summary);
        return new RunResult(summary, List.copyOf(driver.outcomes()));
    }

    /**
     * A run passes when everything in it held: exactly the expected oracles fired, every step
     * succeeded except those expect.step_failures names (with that errno), and each of those did
     * fail. The outcome says why in words; first_problem names the earliest unexpected event.
     */
    static void judge(Scenario scenario, List<StepOutcome> steps, RunSummary.Builder s) {
        TreeSet<String> fired = new TreeSet<>();
        for (Verdict v : s.getVerdictsList()) fired.add(v.getOracle());
        TreeSet<String> expected = new TreeSet<>(scenario.getExpect().getViolationsList());
        TreeSet<String> missing = new TreeSet<>(expected);
        missing.removeAll(fired);
        TreeSet<String> extra = new TreeSet<>(fired);
        extra.removeAll(expected);
        List<String> problems = new ArrayList<>();
        long firstSeq = Long.MAX_VALUE;
        String first = "";
        for (StepOutcome st : steps) {
            if (st.getRc() == 0) continue;
            s.addFailedSteps(st);
            if (!st.getExpected()) {
                String p = "step " + stepName(st) + " (" + st.getCommand() + ") failed unexpectedly: "
                        + (st.getErrno().isEmpty() ? "rc " + st.getRc() : st.getErrno()) + (st.getOutput().isEmpty() ? "" : " — " + st.getOutput());
                problems.add(p);
                long at = st.getSeq() == 0 ? Long.MAX_VALUE - 1 : st.getSeq();
                if (at < firstSeq) { firstSeq = at; first = p + (st.getSeq() == 0 ? "" : " (#" + st.getSeq() + ")"); }
            }
        }
        for (ExpectedStepFailure x : scenario.getExpect().getStepFailuresList()) {
            boolean seen = false;
            for (StepOutcome st : steps) seen |= st.getStep() == x.getStep() && st.getExpected() && st.getErrno().equals(x.getErrno());
            if (!seen) problems.add("step " + x.getStep() + " was expected to fail with " + x.getErrno() + " and did not");
        }
        for (Verdict v : s.getVerdictsList()) {
            if (extra.contains(v.getOracle()) && v.getSeq() < firstSeq) {
                firstSeq = v.getSeq();
                first = v.getOracle() + " at #" + v.getSeq() + ": " + v.getDetail();
            }
        }
        if (!extra.isEmpty()) problems.add("unexpected violations: " + String.join(", ", extra));
        if (!missing.isEmpty()) problems.add("expected but did not fire: " + String.join(", ", missing));
        if (first.isEmpty() && !problems.isEmpty()) first = problems.get(0);
        boolean met = problems.isEmpty();
        String why;
        if (met) {
            List<String> parts = new ArrayList<>();
            parts.add(expected.isEmpty() ? "no violation, as expected" : "expected violations fired: " + String.join(", ", expected));
            if (!scenario.getExpect().getStepFailuresList().isEmpty()) {
                parts.add(scenario.getExpect().getStepFailuresCount() + " expected step failure(s) seen");
            }
            why = String.join("; ", parts);
        } else {
            why = String.join("; ", problems);
        }
        s.setExpectationsMet(met).setOutcome(why).setFirstProblem(first);
    }

    /** "6", or "6.3" for the third instance of a step with count. */
    public static String stepName(StepOutcome st) {
        return st.getInstance() == 0 ? Integer.toString(st.getStep()) : st.getStep() + "." + st.getInstance();
    }

    @Override
    public void close() {
        if (system == null) return;
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            Thread.currentThread().interrupt();
        }
    }
}
