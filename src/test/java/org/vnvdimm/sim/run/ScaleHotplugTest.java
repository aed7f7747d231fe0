package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 DIMMs of 256 GiB hot-added in one run (16 TiB through _FIT) in a JVM capped at 256 MiB: the
 * platform's _FIT, Dom0's merge, Xen's registry and the media stay O(DIMMs and extents).
 */
class ScaleHotplugTest {
    static final String NAME = "scale-hotplug-64";
    @TempDir Path tmp;

    @Test
    void sixtyFourHotAddedDimmsInA256MiBHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-Dslf4j.internal.verbosity=ERROR", "-cp", System.getProperty("java.class.path"),
                "org.vnvdimm.sim.cli.Main", "run", NAME, "-q", "--out", tmp.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("PASS: no violation"), out);
        assertFalse(out.contains("OutOfMemoryError"));
        String text = Files.readString(tmp.resolve("trace.txt"));
        assertEquals(64, text.lines().filter(l -> l.contains("Notify(\\_SB.NVDR, 0x80)") && l.contains("platform  → dom0")).count(), "one Notify per DIMM");
        assertTrue(text.contains("nd_region region64: "), "the 64th hot-added DIMM became region64");
        assertTrue(text.contains("check data-readback: ok"), "and a guest ran on it");
    }
}
