package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 16 TiB NVDIMM (4 billion pages) boots in a JVM whose heap is capped at 256 MiB: nothing in the
 * stack keeps per-page state. Not a timing test: it fails only if the run runs out of memory or
 * breaks an oracle. (The 1,000-guest run is Scale1000GuestsTest; its timing is `vnvdimm bench --scale`.)
 */
class ScaleTest {
    @TempDir Path tmp;

    @Test
    void sixteenTebibytesInA256MiBHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-Dslf4j.internal.verbosity=ERROR", "-cp", System.getProperty("java.class.path"),
                "org.vnvdimm.sim.cli.Main", "run", "scale-16tib", "-q", "--out", tmp.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("PASS: no violation"), out);
        assertFalse(out.contains("OutOfMemoryError"));
        assertTrue(Files.size(tmp.resolve("trace.bin")) > 0);
    }
}
