package org.vnvdimm.sim.platform;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.MemAccess;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.run.Runs;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ScenarioLoader;

/**
 * End to end: the admin hands Xen a management area where the filesystem will go. Dom0's mkfs then
 * stores into it; Xen refuses the store (-EPERM), the bus never sees it, and mkfs fails with -EIO.
 */
public class Dom0WithdrawnAreaTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    /** Also used by SeededBugsTest, with a Xen that does not enforce the withdrawal. */
    public static Scenario scenario() throws Exception {
        return ScenarioLoader.parse(new String(Dom0WithdrawnAreaTest.class.getResourceAsStream("/scenarios-test/dom0-touches-xens-area.yaml").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8), "dom0-touches-xens-area.yaml");
    }

    @Test
    void mkfsOverXensAreaIsRefusedAndFailsWithEio() throws Exception {
        Scenario s = scenario();
        Runs.Run r = Runs.run(sim, s, 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        assertTrue(r.result().verdicts().isEmpty(), "no oracle fired: Xen's area was never written by Dom0");
        long superblock = 0x28a200000L;
        long asked = r.firstSeq(e -> e.hasMemAccess() && e.getFrom().equals(Roles.DOM0) && e.getMemAccess().getSpa() == superblock);
        assertNotEquals(Long.MAX_VALUE, asked, "mkfs tried to write its superblock");
        Envelope answer = r.answerTo(asked);
        assertEquals(Roles.XEN, answer.getFrom(), "Xen answered itself");
        assertEquals(Errno.EPERM.neg(), answer.getMemAccessDone().getRc());
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasMemAccess() && e.getTo().equals(Roles.PLATFORM)
                && e.getMemAccess().getInitiatorDomid() == 0 && e.getMemAccess().getSpa() == superblock), "the bus never saw it");
        assertTrue(r.delivered().stream().noneMatch(e -> e.hasMemAccess() && e.getTo().equals(Roles.PLATFORM) && !e.getFrom().equals(Roles.XEN)),
                "only Xen sends to the bus");
        assertTrue(r.delivered().stream().anyMatch(e -> e.hasMemAccess() && e.getMemAccess().getOp() == MemAccess.Op.READ && e.getFrom().equals(Roles.XEN)));
    }
}
