package org.vnvdimm.sim.junit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.vnvdimm.proto.CrashFault;
import org.vnvdimm.proto.DelayFault;
import org.vnvdimm.proto.ExpectedStepFailure;
import org.vnvdimm.proto.Fault;
import org.vnvdimm.proto.HypercallError;
import org.vnvdimm.proto.LinkFault;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.explore.Explorer;
import org.vnvdimm.sim.explore.FailureFolder;
import org.vnvdimm.sim.explore.Schedule;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ScenarioException;
import org.vnvdimm.sim.scenario.ScenarioValidator;

/**
 * The Java API for fault-injection tests: build a scenario and its fault plan, run it, explore it.
 * <pre>
 * Scenario s = Vnvdimm.scenario("boot").fault(Vnvdimm.hypercallError("XEN_DOMCTL_memory_mapping", 3, "ENOMEM"))
 *         .expectStepFailure(6, "ETIMEDOUT").build();
 * Run run = Vnvdimm.run(s);
 * </pre>
 */
public final class Vnvdimm {
    private Vnvdimm() {}

    /** A built-in scenario's name or a YAML file, as a builder. */
    public static ScenarioBuilder scenario(String nameOrFile) {
        try {
            return new ScenarioBuilder(BuiltinScenarios.resolve(nameOrFile).toBuilder());
        } catch (ScenarioException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static final class ScenarioBuilder {
        private final Scenario.Builder b;

        ScenarioBuilder(Scenario.Builder b) { this.b = b; }

        public ScenarioBuilder name(String name) { b.setName(name); return this; }

        public ScenarioBuilder seed(long seed) { b.setSeed(seed); return this; }

        public ScenarioBuilder fault(Fault f) { b.addFaults(f); return this; }

        /** A fault written as in a scenario file. */
        public ScenarioBuilder fault(String yaml) {
            try {
                Scenario s = org.vnvdimm.sim.scenario.FaultOptions.append(b.build(), List.of(yaml));
                b.clearFaults().addAllFaults(s.getFaultsList());
            } catch (ScenarioException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            return this;
        }

        public ScenarioBuilder expectViolations(String... oracles) { b.getExpectBuilder().clearViolations().addAllViolations(List.of(oracles)); return this; }

        public ScenarioBuilder expectStepFailure(int step, String errno) {
            b.getExpectBuilder().addStepFailures(ExpectedStepFailure.newBuilder().setStep(step).setErrno(errno));
            return this;
        }

        /** The scenario, checked by the same rules as a file (IllegalArgumentException with the problem). */
        public Scenario build() {
            Scenario s = b.build();
            try {
                ScenarioValidator.validate(s, "builder:" + s.getName());
            } catch (ScenarioException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            return s;
        }
    }

    public static Fault hypercallError(String hypercall, int nth, String errno) {
        return Fault.newBuilder().setHypercallError(HypercallError.newBuilder().setHypercall(hypercall).setNth(nth).setErrno(errno)).build();
    }

    public static Fault crashAfterStep(String role, int step) {
        return Fault.newBuilder().setCrash(CrashFault.newBuilder().setRole(role).setAfterStep(step)).build();
    }

    public static Fault crashOnMessage(String role, String message, int nth, boolean restart) {
        return Fault.newBuilder().setCrash(CrashFault.newBuilder().setRole(role).setOnMessage(message).setNth(nth).setRestart(restart)).build();
    }

    public static Fault drop(String from, String to, String message, int nth) {
        return Fault.newBuilder().setDrop(link(from, to, message, nth)).build();
    }

    public static Fault duplicate(String from, String to, String message, int nth) {
        return Fault.newBuilder().setDuplicate(link(from, to, message, nth)).build();
    }

    public static Fault reorder(String from, String to, String message, int nth) {
        return Fault.newBuilder().setReorder(link(from, to, message, nth)).build();
    }

    public static Fault delay(String from, String to, String message, int nth, long ns) {
        return Fault.newBuilder().setDelay(DelayFault.newBuilder().setFrom(from).setTo(to).setMessage(message == null ? "" : message)
                .setNth(nth).setNs(ns)).build();
    }

    private static LinkFault link(String from, String to, String message, int nth) {
        return LinkFault.newBuilder().setFrom(from).setTo(to).setMessage(message == null ? "" : message).setNth(nth).build();
    }

    /** One run with the scenario's seed, its trace kept in memory. */
    public static Run run(Scenario s) { return run(s, s.getSeed()); }

    public static Run run(Scenario s, long seed) {
        try (Simulator sim = new Simulator()) {
            return run(sim, s, seed);
        }
    }

    static Run run(Simulator sim, Scenario s, long seed) {
        MemoryRecorder mem = new MemoryRecorder();
        RunResult r = sim.run(s, seed, mem);
        return new Run(s, seed, r, mem.records());
    }

    /**
     * Explore; when runs failed, keep up to five in folders under a new temporary folder and throw
     * an AssertionError listing them, each with the command that reproduces it.
     */
    public static ExploreResult explore(Scenario s, int runs, Explorer.Strategy strategy, int depth, int randomFaults, int parallel, long seed) {
        Explorer ex = new Explorer(new Explorer.Options(s, runs, strategy, depth, randomFaults, parallel, false, 0, seed, null));
        Explorer.Report rep;
        try {
            rep = ex.run(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (rep.failures().isEmpty()) return new ExploreResult(rep);
        StringBuilder msg = new StringBuilder(String.format(java.util.Locale.ROOT, "%s: %d of %d explored runs failed (%s)", s.getName(),
                rep.failures().size(), rep.runs(), String.join(", ", rep.byProblem().keySet())));
        try (Simulator sim = new Simulator()) {
            Path dir = Files.createTempDirectory("vnvdimm-explore-" + s.getName() + "-");
            int kept = 0;
            for (Explorer.Failure f : rep.failures()) {
                if (kept++ == 5) break;
                Schedule sch = ex.scheduleOf(sim, f);
                Path fd = dir.resolve("seed-" + Long.toUnsignedString(f.seed()));
                FailureFolder.write(fd, f.scenario(), sch, f.seed(), "explore " + s.getName(), sim, null);
                msg.append("\n  seed ").append(Long.toUnsignedString(f.seed())).append(": ").append(f.firstProblem())
                        .append("\n    reproduce: ").append(FailureFolder.reproduce(fd, f.seed()));
            }
        } catch (Exception e) {
            msg.append("\n  (could not keep the failing runs: ").append(e).append(')');
        }
        throw new AssertionError(msg.toString());
    }
}
