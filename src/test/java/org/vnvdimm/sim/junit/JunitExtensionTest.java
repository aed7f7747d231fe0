package org.vnvdimm.sim.junit;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.sim.junit.Trace.delivery;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.explore.Explorer;

/** The JUnit 5 extension and the Java API, as a user's fault-injection tests would use them. */
class JunitExtensionTest {
    @ScenarioTest("boot")
    void dom0ReportsThePmemBeforeQemuMapsIt(Run run) {
        assertTrue(run.passed(), run.toString());
        assertEquals(List.of(), run.verdicts());
        assertTrue(run.trace().happensBefore(delivery("XENPF_pmem_add"), delivery("XEN_DOMCTL_memory_mapping")));
        assertFalse(run.trace().happensBefore(delivery("XEN_DOMCTL_memory_mapping"), delivery("XENPF_pmem_add")));
    }

    @ScenarioTest(value = "boot", faults = "hypercall_error: {hypercall: XEN_DOMCTL_memory_mapping, nth: 3, errno: ENOMEM}")
    void anEnomemMappingIsUndoneAndXlCreateTimesOut(Run run) {
        assertFalse(run.passed(), "boot does not expect the failed step");
        assertEquals(List.of(), run.verdicts());
        assertTrue(run.steps().stream().anyMatch(s -> s.getStep() == 6 && s.getErrno().equals("ETIMEDOUT")));
        assertTrue(run.trace().logged("memory_mapping failed (-ENOMEM): undoing gfn 0x100000 mfn 0x28a300 nr 5632"));
        assertTrue(run.trace().happensBefore(delivery("XEN_DOMCTL_memory_mapping", "qemu-1", "xen"), delivery("XEN_DOMCTL_destroydomain")));
    }

    @Explore(scenario = "boot", runs = 16, strategy = Explorer.Strategy.PCT, depth = 2)
    void bootHoldsUnderPct(ExploreResult r) {
        assertEquals(16, r.runs());
        assertTrue(r.distinctTraces() > 1);
    }

    @Test
    void anExplorationWithFailuresFailsWithTheCommandsThatReproduceThem() {
        Scenario boot = Vnvdimm.scenario("boot").build();
        AssertionError e = assertThrows(AssertionError.class, () -> Vnvdimm.explore(boot, 8, Explorer.Strategy.RANDOM, 2, 6, 2, 1));
        assertTrue(e.getMessage().startsWith("boot: "), e.getMessage());
        assertTrue(e.getMessage().contains("liveness"), e.getMessage());
        assertTrue(e.getMessage().contains("reproduce: ./vnvdimm run /"), e.getMessage());
        assertTrue(e.getMessage().contains("/seed-1/scenario.yaml --seed 1 --schedule /"), e.getMessage());
    }

    @Test
    void theBuilderMakesFaultPlansAndChecksThem() {
        Scenario s = Vnvdimm.scenario("boot").name("boot-qemu-dies").fault(Vnvdimm.crashOnMessage("qemu-1", "ioreq", 1, false))
                .expectViolations("liveness").build();
        Run r = Vnvdimm.run(s);
        assertTrue(r.passed(), r.toString());
        assertEquals(List.of("liveness"), List.copyOf(r.fired()));
        assertEquals(-1, r.trace().first(delivery("ioreq_done")));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Vnvdimm.scenario("boot").fault(Vnvdimm.crashOnMessage("qemu-1", "no_such_message", 1, false)).build());
        assertTrue(bad.getMessage().contains("faults[0].crash.on_message"), bad.getMessage());
        Scenario d = Vnvdimm.scenario("boot").fault(Vnvdimm.drop("xenstored", "xl", "xs_watch_event", 2)).expectStepFailure(6, "ETIMEDOUT").build();
        assertTrue(Vnvdimm.run(d).passed());
    }
}
