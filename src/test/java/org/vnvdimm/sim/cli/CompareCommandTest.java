package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** `vnvdimm compare`: the design x oracle table in its three formats, and its refusals. */
class CompareCommandTest {
    @Test
    void csvCountsFailingSeedsPerDesignAndOracle() {
        CliTest.Out r = CliTest.vnvdimm("compare", "block-move-punch", "--design", "invalidation=none,notifier", "--seeds", "1..3", "--format", "csv", "--jobs", "2");
        assertEquals(0, r.rc(), r.err());
        // (logback may print its start-up status first when this is the JVM's first actor system)
        List<String> lines = r.out().lines().filter(l -> l.startsWith("scenario,") || l.startsWith("block-move-punch,")).toList();
        assertEquals(3, lines.size(), r.out());
        List<String> head = List.of(lines.get(0).split(","));
        int coh = head.indexOf("mapping-coherence_failing"), integ = head.indexOf("data-integrity_failing"), iso = head.indexOf("isolation_failing");
        int held = head.indexOf("as_expected");
        String[] none = lines.get(1).split(",", -1), notifier = lines.get(2).split(",", -1);
        assertEquals("invalidation=none", none[1]);
        assertEquals("3", none[coh]);
        assertEquals("1", none[coh + 1], "first failing seed");
        assertEquals("3", none[integ]);
        assertEquals("0", none[iso]);
        assertEquals("3", none[held], "the scenario expects these violations under its own design");
        assertEquals("invalidation=notifier", notifier[1]);
        assertEquals("0", notifier[coh]);
        assertEquals("0", notifier[integ]);
        assertEquals("0", notifier[held], "no violation, while the scenario expects some");
        assertTrue(r.err().contains("compare: 6/6 runs"), r.err());
    }

    @Test
    void markdownAndJsonCarryTheSameCounts() {
        CliTest.Out md = CliTest.vnvdimm("compare", "block-move-refuse", "--design", "invalidation=refuse,none", "--seeds", "2", "--jobs", "1");
        assertEquals(0, md.rc(), md.err());
        assertTrue(md.out().contains("| invalidation=refuse | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | as expected on 1/1 |"), md.out());
        assertTrue(md.out().contains("| invalidation=none | 0 | 0 | 1 (first 2) | 1 (first 2) |"), md.out());
        CliTest.Out js = CliTest.vnvdimm("compare", "block-move-refuse", "--design", "invalidation=none", "--seeds", "2..2", "--format", "json");
        assertEquals(0, js.rc(), js.err());
        assertTrue(js.out().contains("\"mapping-coherence\": {\"failing\": 1, \"first\": 2}"), js.out());
        assertTrue(js.out().contains("\"not_as_expected\": 1"), js.out());
    }

    @Test
    void badInputIsRefusedWithExitTwo() {
        CliTest.Out key = CliTest.vnvdimm("compare", "block-move-punch", "--design", "nosuch=a,b");
        assertEquals(2, key.rc());
        assertTrue(key.err().startsWith("vnvdimm compare: --design: expected a design key ("), key.err());
        CliTest.Out value = CliTest.vnvdimm("compare", "block-move-punch", "--design", "invalidation=none,sometimes");
        assertEquals(2, value.rc());
        assertTrue(value.err().contains("design.invalidation: expected one of none, notifier, notifier-racy, refuse"), value.err());
        assertEquals(2, CliTest.vnvdimm("compare", "block-move-punch", "--design", "invalidation=none", "--seeds", "5..1").rc());
        assertEquals(2, CliTest.vnvdimm("compare", "block-move-punch", "--design", "invalidation=none", "--format", "xml").rc());
        assertEquals(2, CliTest.vnvdimm("compare", "no-such-scenario", "--design", "invalidation=none").rc());
    }
}
