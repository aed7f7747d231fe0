package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.record.TraceText;

/** The hotplug flows read in Xen's and ACPI's words in the text trace (issue 7 item 7). */
class HotplugTraceWordsTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    static String text(String builtin, long seed) {
        MemoryRecorder mem = new MemoryRecorder();
        var s = Runs.builtin(builtin);
        RunResult r = sim.run(s, seed, mem);
        assertTrue(r.passed(), builtin + ": " + r.summary().getOutcome());
        return String.join("\n", TraceText.lines(mem.records(), TraceText.Detail.NORMAL));
    }

    static void has(String trace, String regex) {
        assertTrue(Pattern.compile(regex).matcher(trace).find(), "no line matches " + regex);
    }

    @Test
    void hostHotplugUnderSeeds() {
        String t = text("hotplug-host", 1);
        has(t, "platform  → dom0 +Notify\\(\\\\_SB\\.NVDR, 0x80\\)");
        has(t, "evaluate \\\\_SB\\.NVDR\\._FIT");
        has(t, "XENPF_pmem_add spfn=0x680000 epfn=0xa80000 rsv=0x680002-0x68a200 data=0x68a200-0xa80000 → 0");
    }

    @Test
    void guestHotplugAndItsRaceAndRfcV4sContinuation() {
        String t = text("hotplug-guest", 1);
        has(t, "QMP \\{\"execute\": \"device_add\", \"arguments\": \\{\"driver\": \"nvdimm\"");
        has(t, "device_add nvdimm");
        has(t, "GPE0\\.4 status set");
        has(t, "\\\\_GPE\\._E04: Notify\\(\\\\_SB\\.NVDR, 0x80\\)");
        has(text("hotplug-guest-race", 21), "Read FIT at offset \\d+: status 0x100 → restart at offset 0");
        has(text("hotplug-guest-rfc-v4", 1), "XENMEM_populate_pmem_map dom=1 mfn=0x28e000 gfn=0x104000 nr_mfns=8192 → -ERESTART \\(continuation\\)");
    }
}
