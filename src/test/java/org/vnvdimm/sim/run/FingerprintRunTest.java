package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.wire.ChoiceSource;

/**
 * explore's fingerprinted runs leave out the trace record and the components' console lines; they
 * must judge exactly as a recorded run of the same seed does (same deliveries, verdicts, outcome),
 * passing runs and failing ones alike, and the console lines must be back for the next full run.
 */
class FingerprintRunTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    static RunSummary fingerprinted(Scenario s, long seed) {
        return sim.run(s, seed, null, Recorders.none(), UnaryOperator.identity(), ChoiceSource.seeded(seed), true).summary();
    }

    static long consoleLines(List<TraceRecord> records) {
        long n = 0;
        for (TraceRecord t : records) for (Observation o : t.getObservedList()) if (o.hasLog()) n++;
        return n;
    }

    @Test
    void aFingerprintedRunJudgesAsTheRecordedOne() {
        // boot passes; hostile-qemu-unchecked and block-move-punch fire oracles; power-cycle-before-flush judges durability
        for (String name : List.of("boot", "two-guests", "hostile-qemu-unchecked", "block-move-punch", "power-cycle-before-flush", "qemu-crash-mid-mapping")) {
            Scenario s = Runs.builtin(name);
            for (long seed = 1; seed <= 2; seed++) {
                MemoryRecorder mem = new MemoryRecorder();
                RunSummary full = sim.run(s, seed, mem).summary();
                RunSummary fp = fingerprinted(s, seed);
                assertTrue(fp.getTraceSha256().startsWith("fp-"), fp.getTraceSha256());
                assertEquals(full.getDeliveries(), fp.getDeliveries(), name + " seed " + seed);
                assertEquals(full.getVerdictsList(), fp.getVerdictsList(), name + " seed " + seed);
                assertEquals(full.getOutcome(), fp.getOutcome(), name + " seed " + seed);
                assertEquals(full.getExpectationsMet(), fp.getExpectationsMet(), name + " seed " + seed);
                assertEquals(full.getFailedStepsList(), fp.getFailedStepsList(), name + " seed " + seed);
                assertTrue(consoleLines(mem.records()) > 0, name + ": a recorded run has console lines");
            }
        }
    }

    @Test
    void consoleLinesComeBackAfterAFingerprintedRun() {
        Scenario s = Runs.builtin("boot");
        MemoryRecorder before = new MemoryRecorder();
        sim.run(s, 7, before);
        fingerprinted(s, 7);
        MemoryRecorder after = new MemoryRecorder();
        sim.run(s, 7, after);
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (TraceRecord t : before.records()) a.add(t.toString());
        for (TraceRecord t : after.records()) b.add(t.toString());
        assertEquals(a, b);
        assertTrue(consoleLines(after.records()) > 100, "console lines: " + consoleLines(after.records()));
    }
}
