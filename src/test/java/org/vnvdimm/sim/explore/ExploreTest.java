package org.vnvdimm.sim.explore;

import static org.junit.jupiter.api.Assertions.*;

import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Step;
import org.vnvdimm.proto.Concurrently;
import org.vnvdimm.sim.fault.FaultsTest;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Runs;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.wire.Wire;

/** explore, PCT, schedules and shrinking, end to end. */
class ExploreTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    static Explorer.Report explore(Scenario s, int runs, Explorer.Strategy st, int depth, int faults, UnaryOperator<Wire.ComponentFactory> sub) throws Exception {
        return new Explorer(new Explorer.Options(s, runs, st, depth, faults, 2, false, 0, 1, sub)).run(null);
    }

    @Test
    void exploringBootFindsManyInterleavingsAndNoFailure() throws Exception {
        Explorer.Report r = explore(Runs.builtin("boot"), 30, Explorer.Strategy.RANDOM, 0, 0, null);
        assertEquals(30, r.runs());
        assertEquals(List.of(), r.failures());
        assertTrue(r.distinctTraces() > 20, "different seeds, different interleavings: " + r.distinctTraces());
        Explorer.Report p = explore(Runs.builtin("boot"), 30, Explorer.Strategy.PCT, 3, 0, null);
        assertEquals(List.of(), p.failures());
        assertTrue(p.distinctTraces() > 5, "PCT too: " + p.distinctTraces());
    }

    @Test
    void aRecordedScheduleReplaysTheRunExactly() {
        Scenario s = Runs.builtin("two-guests");
        Schedule.Recording rec = new Schedule.Recording(org.vnvdimm.sim.wire.ChoiceSource.seeded(42));
        RunResult a = sim.run(s, 42, null, org.vnvdimm.sim.record.Recorders.none(), UnaryOperator.identity(), rec);
        assertTrue(rec.schedule().size() > 10);
        RunResult b = sim.run(s, 42, null, org.vnvdimm.sim.record.Recorders.none(), UnaryOperator.identity(), rec.schedule().replay());
        assertEquals(a.summary().getTraceSha256(), b.summary().getTraceSha256());
        RunResult seeded = sim.run(s, 42);
        assertEquals(a.summary().getTraceSha256(), seeded.summary().getTraceSha256(), "recording does not change the run");
        RunResult dflt = sim.run(s, 42, null, org.vnvdimm.sim.record.Recorders.none(), UnaryOperator.identity(), Schedule.DEFAULT.replay());
        assertNotEquals(a.summary().getTraceSha256(), dflt.summary().getTraceSha256());
    }

    @Test
    void badScheduleFilesNameTheLine() {
        Schedule.BadSchedule e = assertThrows(Schedule.BadSchedule.class, () -> Schedule.parse(List.of("# c", "3 xl>xen", "2 xen>xl"), "s.txt"));
        assertEquals("s.txt:3:1: expected decisions in increasing order above 3, got 2", e.getMessage());
        e = assertThrows(Schedule.BadSchedule.class, () -> Schedule.parse(List.of("4 xl"), "s.txt"));
        assertEquals("s.txt:1:1: expected a link FROM>TO, got 'xl'", e.getMessage());
    }

    /**
     * A test-only Xen with an ordering bug: it crashes when qemu-2's 20th memory_mapping reaches it
     * before any of qemu-1's (one device model starved while the other runs far ahead).
     */
    static UnaryOperator<Wire.ComponentFactory> starvationBug() {
        return real -> (role, wire) -> {
            if (!role.equals("xen")) return real.create(role, wire);
            int[] calls = new int[3];
            return Behaviors.intercept(() -> new BehaviorInterceptor<Envelope, Envelope>(Envelope.class) {
                @Override
                public Behavior<Envelope> aroundReceive(TypedActorContext<Envelope> c, Envelope m, ReceiveTarget<Envelope> target) {
                    if (m.hasDomctl() && m.getDomctl().getCmd() == org.vnvdimm.contract.XenAbi.XEN_DOMCTL_memory_mapping && m.getFrom().startsWith("qemu-")) {
                        int d = m.getFrom().equals("qemu-1") ? 1 : 2;
                        calls[d]++;
                        if (d == 2 && calls[2] == 20 && calls[1] == 0) throw new IllegalStateException("seeded ordering bug: qemu-1 starved");
                    }
                    return target.apply(c, m);
                }
            }, real.create(role, wire));
        };
    }

    /** two-guests with both xl creates at once. */
    static Scenario concurrentCreates() {
        Scenario s = Runs.builtin("two-guests");
        Scenario.Builder b = s.toBuilder().clearSteps().setName("two-guests-concurrent");
        for (int i = 0; i < s.getStepsCount() - 1; i++) b.addSteps(s.getSteps(i));
        Step create = s.getSteps(s.getStepsCount() - 1);
        Concurrently.Builder c = Concurrently.newBuilder();
        for (int k = 1; k <= 2; k++) {
            var d = create.getXlCreate().getDomain().toBuilder();
            d.setName("vm" + k).setVnvdimms(0, d.getVnvdimms(0).toBuilder().setFile("/mnt/pmem0/vm" + k + ".img"));
            c.addSteps(Step.newBuilder().setXlCreate(org.vnvdimm.proto.XlCreate.newBuilder().setDomain(d)));
        }
        return b.addSteps(Step.newBuilder().setConcurrently(c)).build();
    }

    @Test
    void pctFindsAStarvationBugThatRandomMissesInTheSameBudget() throws Exception {
        Scenario s = concurrentCreates();
        assertTrue(sim.run(s, 1).passed(), "the real components pass");
        int budget = 60;
        Explorer.Report random = explore(s, budget, Explorer.Strategy.RANDOM, 0, 0, starvationBug());
        Explorer.Report pct = explore(s, budget, Explorer.Strategy.PCT, 1, 0, starvationBug());
        System.out.printf("starvation bug in %d runs: random %d failing, pct(d=1) %d failing%n", budget, random.failures().size(), pct.failures().size());
        assertEquals(0, random.failures().size(), "random scheduling practically never starves a link that long");
        assertTrue(pct.failures().size() > 0, "PCT's fixed priorities starve a link in some runs");
        assertTrue(pct.failures().get(0).problems().contains("crash"), pct.failures().get(0).problems().toString());
    }

    @Test
    void shrinkingKeepsOnlyTheFaultThatMatters(@TempDir Path tmp) throws Exception {
        // one fault leaves QEMU waiting for Dom0 forever (liveness); five others are harmless or never trigger
        Scenario s = FaultsTest.boot(
                "delay: {from: xl, to: xenstored, nth: 1, ns: 1000000}",
                "duplicate: {from: xen, to: qemu-1, message: hypercall_ret, nth: 1}",
                "reorder: {from: xenstored, to: xl, nth: 7}",
                "drop: {from: qemu-1, to: dom0, nth: 4}",
                "delay: {from: xen, to: platform, nth: 2, ns: 5000}",
                "drop: {from: xl, to: xen, message: XENPF_pmem_add}");
        Schedule.Recording rec = new Schedule.Recording(org.vnvdimm.sim.wire.ChoiceSource.seeded(3));
        RunResult r = sim.run(s, 3, null, org.vnvdimm.sim.record.Recorders.none(), UnaryOperator.identity(), rec);
        assertEquals(List.of("liveness"), List.copyOf(r.firedOracles()));
        Path dir = tmp.resolve("seed-3");
        FailureFolder.write(dir, s, rec.schedule(), 3, "test", sim, null);
        FailureFolder.Loaded l = FailureFolder.read(dir);
        assertEquals(s, l.scenario(), "scenario.yaml reads back as the scenario that ran");
        Shrinker.Result sh = new Shrinker(sim, 3, null).shrink(l.scenario(), l.schedule());
        assertEquals(6, sh.faultsBefore());
        assertEquals(1, sh.faultsAfter(), sh.scenario().getFaultsList().toString());
        assertTrue(sh.scenario().getFaults(0).hasDrop());
        assertTrue(sh.choicesAfter() < sh.choicesBefore());
        assertEquals("liveness", sh.target());
        // the shrunk files reproduce it
        FailureFolder.write(tmp.resolve("shrunk"), sh.scenario(), sh.schedule(), 3, "shrunk", sim, null);
        FailureFolder.Loaded m = FailureFolder.read(tmp.resolve("shrunk"));
        RunResult again = sim.run(m.scenario(), m.seed(), null, org.vnvdimm.sim.record.Recorders.none(), UnaryOperator.identity(), m.schedule().replay());
        assertEquals(List.of("liveness"), List.copyOf(again.firedOracles()));
        assertTrue(Files.readString(tmp.resolve("shrunk/run/summary.json")).contains("liveness"));
    }

    @Test
    void anExplorationIsAFunctionOfItsOptions() throws Exception {
        Explorer.Report a = explore(Runs.builtin("boot"), 12, Explorer.Strategy.RANDOM, 0, 4, null);
        Explorer.Report b = explore(Runs.builtin("boot"), 12, Explorer.Strategy.RANDOM, 0, 4, null);
        assertFalse(a.failures().isEmpty(), "random faults make some boots fail");
        assertEquals(a.failures().stream().map(Explorer.Failure::seed).toList(), b.failures().stream().map(Explorer.Failure::seed).toList());
        assertEquals(a.failures().stream().map(Explorer.Failure::scenario).toList(), b.failures().stream().map(Explorer.Failure::scenario).toList());
        assertEquals(a.byProblem().keySet(), b.byProblem().keySet());
    }

    @Test
    void ddminFindsTheTwoThatMatter() {
        List<Integer> all = List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertEquals(List.of(3, 8), Shrinker.ddmin(all, l -> l.contains(3) && l.contains(8)));
    }
}
