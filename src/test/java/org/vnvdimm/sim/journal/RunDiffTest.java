package org.vnvdimm.sim.journal;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.run.Simulator;

/** diff on two designs (Xen checks QEMU's memory_mapping, or does not), two seeds, and a run against itself. */
class RunDiffTest {
    static Simulator sim;

    @BeforeAll
    static void start() { sim = new Simulator(); }

    @AfterAll
    static void stop() { sim.close(); }

    static RecordedRun run(String scenario, long seed) throws Exception {
        MemoryRecorder m = new MemoryRecorder();
        sim.run(BuiltinScenarios.resolve(scenario), seed, m);
        List<TraceRecord> records = m.records();
        return new RecordedRun() {
            public String id() { return scenario + "-" + seed; }
            public TraceHeader header() { return m.header(); }
            public String recordedAt() { return ""; }
            public RunSummary summary() { return m.summary(); }
            public long deliveriesRecorded() { return records.size(); }
            public CloseableIterator<TraceRecord> deliveries() {
                var it = records.iterator();
                return new CloseableIterator<>() {
                    public boolean hasNext() { return it.hasNext(); }
                    public TraceRecord next() { return it.next(); }
                    public void close() {}
                };
            }
        };
    }

    @Test
    void twoDesignsDivergeWhereXenAnswersTheHostileMapping() throws Exception {
        RecordedRun checked = run("hostile-qemu", 1), unchecked = run("hostile-qemu-unchecked", 1);
        RunDiff.Result d = RunDiff.diff(checked, unchecked, 400);
        assertFalse(d.identical());
        // The first difference is QEMU's hostile XEN_DOMCTL_memory_mapping of host RAM: refused (-EPERM) or done.
        TraceRecord first = d.rows().get(0).a();
        assertEquals(d.firstDiffSeq(), first.getDelivered().getSeq());
        assertTrue(first.getDelivered().hasDomctl(), RunDiff.line(first));
        assertEquals(RunDiff.Mark.CHANGED, d.rows().get(0).mark());
        assertEquals(RunDiff.Mark.CHANGED, d.rows().get(1).mark());
        assertTrue(RunDiff.line(d.rows().get(1).a()).endsWith("ret -EPERM"), RunDiff.line(d.rows().get(1).a()));
        assertTrue(RunDiff.line(d.rows().get(1).b()).endsWith("ret 0"), RunDiff.line(d.rows().get(1).b()));
        // Only the checked run has QEMU's clean-up call; after it the two runs line up again.
        assertEquals(RunDiff.Mark.ONLY_A, d.rows().get(2).mark());
        assertEquals(RunDiff.Mark.SAME, d.rows().get(4).mark());
        assertNotEquals(d.rows().get(4).a().getDelivered().getSeq(), d.rows().get(4).b().getDelivered().getSeq());
        assertTrue(d.onlyA().isEmpty());
        assertEquals(1, d.onlyB().size());
        assertEquals("isolation", d.onlyB().get(0).getOracle());
    }

    @Test
    void twoSeedsDifferAndARunEqualsItself() throws Exception {
        RecordedRun a = run("boot", 1), b = run("boot", 2);
        RunDiff.Result d = RunDiff.diff(a, b, 50);
        assertTrue(d.firstDiffSeq() > 0);
        assertEquals(d.firstDiffSeq() - 1, d.identicalPrefix());
        assertTrue(d.rows().size() >= 50);
        RunDiff.Result same = RunDiff.diff(a, run("boot", 1), 50);
        assertTrue(same.identical());
        assertEquals(a.deliveriesRecorded(), same.identicalPrefix());
        assertTrue(same.rows().isEmpty());
    }
}
