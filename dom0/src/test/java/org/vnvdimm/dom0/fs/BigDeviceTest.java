package org.vnvdimm.dom0.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A 16 TiB NVDIMM (2^32 pages) with a 1 TiB guest image: the structures must stay a handful of ranges.
 * The scenario lives in {@link BigDeviceScenario} so it can also run in a child JVM with a 48 MiB heap.
 */
class BigDeviceTest {

    @Test
    void sixteenTiBDeviceWithAOneTiBFileInThreeExtents() {
        BigDeviceScenario.Result r = BigDeviceScenario.run();
        assertEquals(3, r.extentsAfterCreate());
        assertEquals(3, r.fiemapEntries());
        assertEquals(1L << 40, r.fileBytes());
        assertTrue(r.freeRangesAfterCreate() <= 3, "free ranges " + r.freeRangesAfterCreate());
        assertEquals(4, r.extentsAfterPunch(), "a hole in the middle of one extent splits it");
        assertEquals(1, r.punchInvalidations());
        assertEquals(1L << 18, r.punchedPages(), "1 GiB punched = 2^18 pages, as one record");
        assertTrue(r.totalExtents() < 20 && r.sharedRanges() < 20, r.toString());
        assertTrue(r.consistent(), r.toString());
        // the xen reserve of the 16 TiB namespace: 40 B per data page
        assertEquals(4253023744L, r.dataPages());
        assertTrue(r.reserveBytes() >= 40 * r.dataPages());
    }

    @Test
    void runsInA48MiBHeap() throws IOException, InterruptedException {
        File java = new File(System.getProperty("java.home"), "bin/java");
        Assumptions.assumeTrue(java.canExecute(), "needs the running JDK's java launcher to start a small-heap JVM");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.getPath(), "-Xmx48m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), BigDeviceScenario.class.getName()));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("extentsAfterCreate=3"), out);
    }
}
