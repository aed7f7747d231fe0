package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.sim.cli.CliTest.vnvdimm;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** explore, shrink, run --fault and --schedule as a user types them. */
class ExploreCliTest {
    @TempDir Path tmp;

    @Test
    void exploreKeepsFailingRunsThatRunReproducesAndShrinkMinimises() throws Exception {
        Path out = tmp.resolve("ex");
        CliTest.Out r = vnvdimm("explore", "boot", "--runs", "8", "--faults", "random:6", "--parallel", "2", "--out", out.toString());
        assertEquals(1, r.rc(), r.err());
        assertTrue(r.out().contains("explore: 8/8 runs"), r.out());
        assertTrue(r.out().contains("| liveness | "), r.out());
        assertTrue(r.out().contains("reproduce: ./vnvdimm run " + out.resolve("seed-1/scenario.yaml") + " --seed 1 --schedule "), r.out());
        // and the kept failing run is in the run journal, under the id printed beside the command
        assertTrue(java.util.regex.Pattern.compile("schedule\\.txt  \\(or \\./vnvdimm replay run-boot-1-[0-9]+, recorded in the journal ").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("shrink: liveness still fails with "), r.out());
        String sha = Files.readString(out.resolve("seed-1/run/summary.json")).replaceAll("(?s).*\"traceSha256\": \"([0-9a-f]+)\".*", "$1");
        CliTest.Out again = vnvdimm("run", out.resolve("seed-1/scenario.yaml").toString(), "--seed", "1", "--schedule",
                out.resolve("seed-1/schedule.txt").toString(), "-q", "--out", tmp.resolve("again").toString());
        assertEquals(1, again.rc());
        assertTrue(again.out().contains("trace sha256 " + sha), "the kept run reproduces byte for byte");
        CliTest.Out shr = vnvdimm("shrink", out.resolve("seed-1").toString(), "--out", tmp.resolve("s2").toString());
        assertEquals(0, shr.rc(), shr.err());
        assertTrue(shr.out().startsWith("shrink: liveness still fails with "), shr.out());
    }

    @Test
    void exploreWithoutFailuresExitsZero() {
        CliTest.Out r = vnvdimm("explore", "boot", "--runs", "6", "--strategy", "pct", "--depth", "3", "--parallel", "2");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("explored boot: 6 runs in "), r.out());
        assertTrue(r.out().contains("(pct depth 3, 2 parallel"), r.out());
        assertTrue(r.out().contains("no failing run"), r.out());
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        CliTest.Out r = vnvdimm("explore", "boot", "--strategy", "dfs");
        assertEquals(2, r.rc());
        assertEquals("vnvdimm explore: --strategy: expected random or pct, got 'dfs'\n", r.err());
        r = vnvdimm("explore", "boot", "--faults", "some");
        assertEquals("vnvdimm explore: --faults: expected random:K with K from 1 to 999, got 'some'\n", r.err());
        r = vnvdimm("explore", "boot", "--time", "10 minutes");
        assertEquals(2, r.rc());
        r = vnvdimm("run", "boot", "--fault", "drop: {from: xl, to: xen, nth: zero}");
        assertEquals(2, r.rc());
        assertTrue(r.err().startsWith("--fault:1:"), r.err());
        Path bad = tmp.resolve("s.txt");
        Files.writeString(bad, "1 xl>xen\nfoo\n");
        r = vnvdimm("run", "boot", "--schedule", bad.toString());
        assertEquals(2, r.rc());
        assertEquals("vnvdimm run: --schedule " + bad + ":2:1: expected 'DECISION FROM>TO', got 'foo'\n", r.err());
        r = vnvdimm("shrink", tmp.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("not a failing run's folder"), r.err());
    }
}
