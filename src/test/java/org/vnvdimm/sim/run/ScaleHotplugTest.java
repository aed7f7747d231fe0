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

    /** Runs a built-in in a child JVM capped at 256 MiB; returns trace.txt after asserting a pass. */
    private String runIn256MiB(String name, Path out) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-Dslf4j.internal.verbosity=ERROR", "-cp", System.getProperty("java.class.path"),
                "org.vnvdimm.sim.cli.Main", "run", name, "-q", "--out", out.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("PASS: no violation"), text);
        assertFalse(text.contains("OutOfMemoryError"));
        return Files.readString(out.resolve("trace.txt"));
    }

    @Test
    void sixtyFourHotAddedDimmsInA256MiBHeap() throws Exception {
        String text = runIn256MiB(NAME, tmp.resolve("host"));
        assertEquals(64, text.lines().filter(l -> l.contains("Notify(\\_SB.NVDR, 0x80)") && l.contains("platform  → dom0")).count(), "one Notify per DIMM");
        assertTrue(text.contains("nd_region region64: "), "the 64th hot-added DIMM became region64");
        assertTrue(text.contains("check data-readback: ok"), "and a guest ran on it");
    }

    /**
     * The same 64 host DIMMs, then 64 vNVDIMMs hot-added to one guest (_E04, _FIT re-read each
     * time): every one becomes usable (the liveness oracle judges that; the run passes) in 256 MiB.
     */
    @Test
    void sixtyFourHotAddedDimmsAndSixtyFourGuestHotplugsInA256MiBHeap() throws Exception {
        String text = runIn256MiB("scale-hotplug-64-guest", tmp.resolve("guest"));
        assertEquals(64, text.lines().filter(l -> l.contains("Notify(\\_SB.NVDR, 0x80)") && l.contains("platform  → dom0")).count(), "one host Notify per DIMM");
        assertEquals(64, text.lines().filter(l -> l.contains("check nvdimm-usable: ok")).count(), "every hot-added vNVDIMM became usable");
        assertTrue(text.contains("nmem handle 0x41: region"), "the 64th hot-added vNVDIMM has handle 0x41");
        assertTrue(text.contains("check data-readback: ok"));
    }
}
