package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** What `bench --scale` runs and how it reads a child JVM's heap from its -Xlog:gc log. */
class BenchScaleTest {
    @Test
    void scaleRunsIncludeTheDefragAndAreBuiltins() {
        assertTrue(BenchCommand.SCALE_RUNS.contains("scale-defrag-1tib"));
        for (String s : BenchCommand.SCALE_RUNS) assertTrue(BuiltinScenarios.names().contains(s), s);
        assertEquals(256, BenchCommand.SCALE_HEAP_MIB);
    }

    @Test
    void heapFiguresFromAGcLog() {
        String log = String.join("\n",
                "[2.443s][info][gc] GC(3) Pause Young (Normal) (G1 Evacuation Pause) 80M->54M(180M) 9.594ms",
                "[8.520s][info][gc] GC(39) Pause Cleanup 162M->162M(254M) 0.086ms",
                "[9.613s][info][gc] GC(45) Pause Remark 171M->159M(256M) 5.146ms",
                "[9.140s][info][gc] GC(41) Pause Young (Mixed) (G1 Evacuation Pause) 210M->136M(255M) 6.227ms",
                "[9.900s][info][gc] GC(46) Pause Full (G1 Compaction Pause) 140M->120M(256M) 30.0ms");
        assertEquals(210, BenchCommand.peakHeapBeforeGcMiB(log));
        // Remark and Cleanup free nothing yet: their "after" is not what the run holds.
        assertEquals(136, BenchCommand.peakLiveAfterGcMiB(log));
        assertEquals(-1, BenchCommand.peakLiveAfterGcMiB("no collections"));
    }
}
