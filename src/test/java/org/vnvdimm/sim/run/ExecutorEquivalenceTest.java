package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.scenario.FaultOptions;
import org.vnvdimm.sim.scenario.ScenarioException;

/**
 * The direct executor (behaviours on the calling thread) and the actor executor (the wire and each
 * component an actor) run the same behaviours in the same order: same scenario + seed, same trace
 * hash and summary, with and without faults, passing and failing runs alike.
 */
class ExecutorEquivalenceTest {
    static Simulator direct;
    static Simulator actors;

    @BeforeAll static void up() {
        direct = new Simulator(Simulator.Executor.DIRECT);
        actors = new Simulator(Simulator.Executor.ACTORS);
    }

    @AfterAll static void down() {
        direct.close();
        actors.close();
    }

    static Scenario withFaults(String name, String... faults) {
        try {
            return FaultOptions.append(Runs.builtin(name), List.of(faults));
        } catch (ScenarioException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    static void same(Scenario s, long seed) {
        RunSummary a = actors.run(s, seed).summary();
        RunSummary d = direct.run(s, seed).summary();
        assertEquals(64, a.getTraceSha256().length());
        assertEquals(a.getTraceSha256(), d.getTraceSha256(), s.getName() + " seed " + seed + ": trace hash");
        assertEquals(a, d, s.getName() + " seed " + seed + ": summary");
    }

    @Test
    void builtinsGiveTheSameTraceOnBothExecutors() {
        for (String name : List.of("boot", "two-guests", "hotplug-guest", "hotplug-host-rfc-v4", "hostile-qemu", "mgmt-too-small",
                "hotplug-host-map-first", "block-move-punch", "block-move-racy", "dma-during-move", "power-cycle-reboot", "power-cycle-before-flush")) {
            for (long seed = 1; seed <= 3; seed++) same(Runs.builtin(name), seed);
        }
    }

    @Test
    void faultScenariosGiveTheSameTraceOnBothExecutors() {
        for (String name : List.of("qemu-crash-mid-mapping", "xenstored-restart-during-create", "hypercall-enomem-undo")) {
            for (long seed = 1; seed <= 3; seed++) same(Runs.builtin(name), seed);
        }
        // every fault kind, including a dead host and a restart that loses messages
        for (long seed = 1; seed <= 3; seed++) {
            same(withFaults("boot", "crash: {role: dom0, after_step: 5}"), seed);
            same(withFaults("boot", "power_cycle: {at_seq: 400}"), seed);
            same(withFaults("boot", "crash: {role: qemu-1, on_message: ioreq, nth: 1}"), seed);
            same(withFaults("boot", "crash: {role: xenstored, after_step: 6, restart: true}"), seed);
            same(withFaults("boot", "drop: {from: xenstored, to: xl, message: xs_watch_event, nth: 2}",
                    "duplicate: {from: xen, to: qemu-1, message: hypercall_ret, nth: 1}"), seed);
            same(withFaults("boot", "delay: {from: xl, to: xenstored, nth: 1, ns: 1000000000}", "reorder: {from: xenstored, to: xl, nth: 7}"), seed);
            same(withFaults("two-guests", "drop: {from: qemu-1, to: xenstored, probability: 0.2}",
                    "delay: {from: xen, to: '*', probability: 0.1, ns: 5000}"), seed);
        }
    }

    @Test
    void theDirectExecutorIsTheDefault() {
        assertEquals(Simulator.Executor.DIRECT, Simulator.defaultExecutor());
    }
}
