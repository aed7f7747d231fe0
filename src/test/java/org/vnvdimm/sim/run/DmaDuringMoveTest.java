package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.sim.scenario.ScenarioException;
import org.vnvdimm.sim.scenario.ScenarioLoader;

/**
 * A passthrough device's DMA across a block move (issue 8 item 4), each `dma` design and both
 * `iommu` table layouts, judged at the delivery where the device's write reaches the bus; and
 * profile rfc-v4, where no block move can happen.
 */
class DmaDuringMoveTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    static boolean removal(Envelope e) {
        return e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping && e.getDomctl().getMemoryMapping().getAddMapping() == DPCI_REMOVE_MAPPING;
    }

    /** A bus write by the passthrough device of d1 (Xen issues it on the device's behalf, initiator d1). */
    static boolean deviceWrite(Envelope e) {
        return e.hasMemAccess() && e.getFrom().equals(Roles.XEN) && e.getTo().equals(Roles.PLATFORM)
                && e.getMemAccess().getInitiatorDomid() == 1 && e.getMemAccess().getOp() == MemAccess.Op.WRITE
                && e.getMemAccess().getReplyTo().equals(Roles.XEN);   // a vCPU store is answered to the guest
    }

    @Test
    void noneLetsTheDeviceWriteFramesXenNoLongerMapsAndIsolationFiresAtThatBusWrite() {
        Scenario s = Runs.builtin("dma-during-move");
        assertEquals("none", s.getDesign().getDma());
        assertEquals("separate", s.getDesign().getIommu());
        for (long seed = 1; seed <= 6; seed++) {
            Runs.Run r = Runs.run(sim, s, seed);
            assertTrue(r.result().passed(), "seed " + seed + ": " + r.result().summary().getOutcome());
            long removed = r.answerTo(r.firstSeq(DmaDuringMoveTest::removal)).getSeq();
            long write = r.firstSeq(e -> deviceWrite(e) && e.getSeq() > removed);
            assertNotEquals(Long.MAX_VALUE, write, "seed " + seed + ": the device wrote nothing after the removal");
            Verdict v = BlockMoveTest.firedAt(r, "isolation", write);
            assertTrue(v.getDetail().startsWith("d1 wrote pmem MFNs"), v.getDetail());
            // The frame written is one Dom0 removed from d1 and the filesystem freed.
            long mfn = r.bySeq(write).getMemAccess().getSpa() >>> PAGE_SHIFT;
            DomctlMemoryMapping m = r.bySeq(r.firstSeq(DmaDuringMoveTest::removal)).getDomctl().getMemoryMapping();
            assertTrue(mfn >= m.getFirstMfn() && mfn < m.getFirstMfn() + m.getNrMfns(), "mfn " + Long.toHexString(mfn));
            assertEquals(java.util.Set.of("isolation"), r.result().verdicts().stream().map(Verdict::getOracle).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void leaseAnswersTheRemovalOnlyAfterTheDeviceWentIdleSoItNeverWritesAFreedFrame() {
        Scenario s = Runs.builtin("dma-during-move-lease");
        Runs.Run r = Runs.run(sim, s, s.getSeed());
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        assertTrue(r.result().verdicts().isEmpty());
        long removal = r.firstSeq(DmaDuringMoveTest::removal);
        long answer = r.answerTo(removal).getSeq();
        long lastWrite = 0;
        for (var t : r.trace()) if (deviceWrite(t.getDelivered())) lastWrite = t.getDelivered().getSeq();
        long firstWrite = r.firstSeq(DmaDuringMoveTest::deviceWrite);
        assertTrue(removal < firstWrite && lastWrite < answer, "removal #" + removal + ", device writes #" + firstWrite + "-#" + lastWrite + ", answer #" + answer);
        // and the filesystem freed nothing before the answer: its layout break comes after.
        assertTrue(r.firstSeq(BlockMoveTest::layoutBreak) > answer);
        // Whatever the interleaving, no seed lets the device reach a freed frame; where the removal
        // comes first, the device finds no IOMMU entry and the DMA fails with EIO.
        int waited = 0, faulted = 0;
        for (long seed = 1; seed <= 8; seed++) {
            Runs.Run q = Runs.run(sim, s, seed);
            assertTrue(q.result().verdicts().isEmpty(), "seed " + seed + ": " + q.result().verdicts());
            if (q.result().passed()) waited++;
            else faulted++;
        }
        assertTrue(waited > 0 && faulted > 0, waited + " waited, " + faulted + " faulted");
    }

    @Test
    void sharedEptTablesLoseTheIommuEntryWithTheP2mEntrySoTheDeviceFaultsInsteadOfWriting() {
        Scenario s = Runs.builtin("dma-during-move-shared");
        assertEquals("none", s.getDesign().getDma());
        Runs.Run r = Runs.run(sim, s, s.getSeed());
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        assertTrue(r.result().verdicts().isEmpty());
        long removed = r.answerTo(r.firstSeq(DmaDuringMoveTest::removal)).getSeq();
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> deviceWrite(e) && e.getSeq() > removed));
        Envelope done = r.trace().stream().map(TraceRecord::getDelivered)
                .filter(e -> e.getFrom().equals("guest-1") && e.hasAdminResult() && e.getAdminResult().getOutput().contains("by DMA")).findFirst().orElseThrow();
        assertEquals(Errno.EIO.neg(), done.getAdminResult().getRc());
    }

    @Test
    void refuseStopsXlBeforeTheDomainExists() {
        Runs.Run r = Runs.run(sim, Runs.builtin("dma-during-move-refuse"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_createdomain && e.getSeq() > 0
                && e.getFrom().equals(Roles.XL)));
        // The same scenario under dma: none builds the domain and assigns the device.
        Scenario none = Runs.builtin("dma-during-move-refuse").toBuilder().setDesign(Runs.builtin("dma-during-move-refuse").getDesign().toBuilder().setDma("none")).build();
        Runs.Run n = Runs.run(sim, none, 1);
        assertNotEquals(Long.MAX_VALUE, n.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_assign_device));
        assertFalse(n.result().passed(), "xl create must succeed under none, which the refuse scenario does not expect");
    }

    @Test
    void underRfcV4NothingMovesTheGuestsPagesAndAnFsStepIsRefusedAtItsLine() throws Exception {
        Runs.Run r = Runs.run(sim, Runs.builtin("block-move-rfc-v4"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        assertTrue(r.result().verdicts().isEmpty());
        assertEquals(Long.MAX_VALUE, r.firstSeq(BlockMoveTest::layoutBreak));
        String text = resource("block-move-rfc-v4.yaml").replace("  - mkfs: {dev: /dev/pmem0, type: xfs, mount: /mnt/pmem0}",
                "  - fs: {op: punch_hole, path: /mnt/pmem0/vm1.img}");
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(text, "v4.yaml"));
        assertTrue(e.getMessage().startsWith("v4.yaml:27:"), e.getMessage());
        assertTrue(e.getMessage().contains("steps[4].fs: expected no fs step under profile rfc-v4"), e.getMessage());
    }

    @Test
    void badDmaSettingsAreRefusedAtLoadTime() throws Exception {
        String text = resource("dma-during-move.yaml");
        String noIommu = text.replace("  iommu: separate", "  iommu: none    ");
        ScenarioException e1 = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(noIommu, "d.yaml"));
        assertTrue(e1.getMessage().contains("steps[5].xl_create.domain.passthrough: expected design.iommu separate or shared-ept"), e1.getMessage());
        String read = text.replace("op: write, via: dma", "op: read, via: dma");
        ScenarioException e2 = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(read, "d.yaml"));
        assertTrue(e2.getMessage().contains("guest_io.op: expected write with via: dma"), e2.getMessage());
        String lease = text.replace("  dma: none", "  dma: lease").replace("  invalidation: notifier", "  invalidation: none");
        ScenarioException e3 = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(lease, "d.yaml"));
        assertTrue(e3.getMessage().contains("design.dma: expected lease only with invalidation: notifier"), e3.getMessage());
        String via = text.replace("via: dma", "via: rdma");
        ScenarioException e4 = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(via, "d.yaml"));
        assertTrue(e4.getMessage().matches("d\\.yaml:\\d+:\\d+: steps\\[6\\]\\.concurrently\\[0\\]\\.guest_io\\.via: expected one of cpu, dma.*"), e4.getMessage());
    }

    static String resource(String name) throws Exception {
        try (InputStream in = DmaDuringMoveTest.class.getResourceAsStream("/scenarios/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
