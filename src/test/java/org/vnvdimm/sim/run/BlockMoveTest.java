package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.sim.record.MemoryRecorder;

/**
 * Filesystem block moves under a running guest (issue 8): each design's outcome, the oracles firing
 * at the delivery where the layout changed or the guest read foreign data, and broken components
 * under the notifier design caught by the same oracles.
 */
class BlockMoveTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    static final List<String> OPS = List.of("punch", "truncate", "defrag", "reflink");

    /** A run with the component variant, its expectations cleared, so any verdict fails it. */
    static Runs.Run run(Scenario s, UnaryOperator<org.vnvdimm.sim.wire.Wire.ComponentFactory> variant) {
        MemoryRecorder mem = new MemoryRecorder();
        RunResult r = sim.run(s, s.getSeed(), null, mem, variant);
        return new Runs.Run(r, mem.records());
    }

    /** `oracle` fired first at `seq`, and its verdict is in that delivery's trace record. */
    static Verdict firedAt(Runs.Run r, String oracle, long seq) {
        assertNotEquals(Long.MAX_VALUE, seq, "the event never showed on the wire");
        Verdict v = r.result().verdicts().stream().filter(x -> x.getOracle().equals(oracle)).findFirst()
                .orElseThrow(() -> new AssertionError(oracle + " did not fire: " + r.result().summary().getOutcome()));
        assertEquals(seq, v.getSeq(), oracle + " fired at the wrong delivery: " + v);
        assertTrue(r.trace().get((int) seq - 1).getVerdictsList().stream().anyMatch(x -> x.getOracle().equals(oracle)));
        return v;
    }

    static boolean layoutBreak(Envelope e) { return e.hasLayoutBreak() && e.getTo().equals("qemu-1"); }

    static boolean domctlRemove(Envelope e) {
        return e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping && e.getDomctl().getMemoryMapping().getAddMapping() == DPCI_REMOVE_MAPPING;
    }

    /** The first step instance tagged `step` (its admin command), as delivered. */
    static long stepStart(Runs.Run r, int step) {
        return r.firstSeq(e -> e.getFrom().equals("admin") && e.getTag() == ScenarioDriver.tag(step, 0));
    }

    /** The step whose number is `verify` in each `none` scenario: the guest's read-back. */
    static int verifyStep(Scenario s) {
        return s.getExpect().getStepFailuresList().get(0).getStep();
    }

    @Test
    void noneFiresCoherenceAtTheLayoutBreakAndIntegrityAtTheFirstForeignLoad() {
        for (String op : OPS) {
            Scenario s = Runs.builtin("block-move-" + op);
            assertEquals("none", s.getDesign().getInvalidation());
            Runs.Run r = Runs.run(sim, s, s.getSeed());
            assertTrue(r.result().passed(), op + ": " + r.result().summary().getOutcome());
            // Nothing told Xen: Dom0 never removed a p2m entry.
            assertEquals(Long.MAX_VALUE, r.firstSeq(BlockMoveTest::domctlRemove), op);
            long lb = r.firstSeq(BlockMoveTest::layoutBreak);
            Verdict coherence = firedAt(r, "mapping-coherence", lb);
            assertTrue(coherence.getDetail().startsWith("d1 gfn 0x"), coherence.getDetail());
            // The guest's first load in the verify step returns another file's bytes.
            long verify = stepStart(r, verifyStep(s));
            long firstLoad = r.firstSeq(e -> e.getSeq() > verify && e.getTo().equals("guest-1") && e.hasMemAccessDone() && !e.getMemAccessDone().getData().isEmpty());
            firedAt(r, "data-integrity", firstLoad);
            // and what it read is what Dom0 wrote for the other file, not zeros or noise: the frame was reused.
            byte[] got = r.bySeq(firstLoad).getMemAccessDone().getData().toByteArray();
            long otherSeed = op.equals("reflink") ? 31 : 99;
            long fileOff = op.equals("reflink") ? 1 << 20 : 0;
            assertEquals(org.vnvdimm.contract.Pattern.at(otherSeed, fileOff), got[0], op + ": the guest reads the other file's data");
        }
    }

    @Test
    void notifierRemovesTheMappingsBeforeTheMoveAndRemapsOnTheNextAccess() {
        for (String op : OPS) {
            Scenario s = Runs.builtin("block-move-" + op + "-notifier");
            Runs.Run r = Runs.run(sim, s, s.getSeed());
            assertTrue(r.result().passed(), op + ": " + r.result().summary().getOutcome() + " " + r.result().verdicts());
            assertTrue(r.result().verdicts().isEmpty(), op);
            long lb = r.firstSeq(BlockMoveTest::layoutBreak);
            long remove = r.firstSeq(e -> domctlRemove(e) && e.getFrom().equals(Roles.DOM0));
            assertTrue(remove < lb, op + ": the p2m entries go before the layout break");
            Envelope ret = r.answerTo(remove);
            assertEquals(0, ret.getHypercallRet().getRc(), op);
            assertTrue(ret.getSeq() < lb, op + ": Xen answered the removal before the blocks moved");
            // The guest's next access traps to QEMU, which maps the range again.
            long trap = r.firstSeq(e -> e.getSeq() > lb && e.hasIoreq() && e.getIoreq().getType() == IOREQ_TYPE_COPY);
            assertNotEquals(Long.MAX_VALUE, trap, op + ": an access trapped");
            long remap = r.firstSeq(e -> e.getSeq() > trap && e.hasDomctl() && e.getFrom().equals("qemu-1")
                    && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping && e.getDomctl().getMemoryMapping().getAddMapping() == DPCI_ADD_MAPPING);
            assertNotEquals(Long.MAX_VALUE, remap, op + ": QEMU mapped the range again");
            assertEquals(0, r.answerTo(remap).getHypercallRet().getRc());
            for (StepOutcome o : r.result().steps()) assertEquals(0, o.getRc(), op + ": " + o);
        }
    }

    /** The notifier is coherent whatever the interleaving. */
    @Test
    void notifierIsCoherentForEverySeedTried() {
        Scenario s = Runs.builtin("block-move-punch-notifier");
        for (long seed = 1; seed <= 12; seed++) {
            RunResult r = sim.run(s, seed);
            assertTrue(r.passed() && r.verdicts().isEmpty(), "seed " + seed + ": " + r.summary().getOutcome());
        }
    }

    /** notifier-racy fails only for some interleavings: a search over seeds finds both kinds. */
    @Test
    void racyNotifierFailsForSomeSeedsOnly() {
        Scenario s = Runs.builtin("block-move-racy").toBuilder().setExpect(Expect.getDefaultInstance()).build();
        long racy = -1, lucky = -1;
        for (long seed = 1; seed <= 40 && (racy < 0 || lucky < 0); seed++) {
            MemoryRecorder mem = new MemoryRecorder();
            RunResult r = sim.run(s, seed, null, mem, UnaryOperator.identity());
            Runs.Run run = new Runs.Run(r, mem.records());
            if (r.verdicts().isEmpty()) {
                if (lucky < 0) lucky = seed;
                continue;
            }
            if (racy >= 0) continue;
            racy = seed;
            // It fired when the layout break overtook Xen's answer to the removal.
            long lb = run.firstSeq(BlockMoveTest::layoutBreak);
            long remove = run.firstSeq(e -> domctlRemove(e) && e.getFrom().equals(Roles.DOM0));
            Envelope ret = run.answerTo(remove);
            assertTrue(ret == null || ret.getSeq() > lb, "seed " + seed + ": the layout break came first");
            assertEquals(List.of("mapping-coherence"), List.copyOf(r.firedOracles()), "seed " + seed);
            assertEquals(lb, r.verdicts().get(0).getSeq());
        }
        assertTrue(racy > 0, "no seed in 1..40 lets the layout break overtake the removal");
        assertTrue(lucky > 0, "no seed in 1..40 has the removal first");
        // The built-in names a racy seed and expects the verdict.
        Scenario b = Runs.builtin("block-move-racy");
        assertTrue(sim.run(b, b.getSeed()).passed());
    }

    /** Same scenario, seed and code: the same trace, also when the outcome hangs on the interleaving. */
    @Test
    void aRacyRunIsReproducible() {
        Scenario s = Runs.builtin("block-move-racy");
        for (long seed : new long[] {1, 5}) {
            RunResult a = sim.run(s, seed), b = sim.run(s, seed);
            assertEquals(a.summary().getTraceSha256(), b.summary().getTraceSha256(), "seed " + seed);
            assertEquals(a.firedOracles(), b.firedOracles());
        }
        assertNotEquals(sim.run(s, 1).firedOracles(), sim.run(s, 5).firedOracles(), "seeds 1 and 5 interleave differently");
    }

    @Test
    void refuseFailsTheHostOperationWithEtxtbsy() {
        Runs.Run r = Runs.run(sim, Runs.builtin("block-move-refuse"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        assertEquals(List.of("8 ETXTBSY"), r.result().summary().getFailedStepsList().stream().map(f -> f.getStep() + " " + f.getErrno()).toList());
        assertEquals(Long.MAX_VALUE, r.firstSeq(BlockMoveTest::layoutBreak), "nothing moved");
        assertTrue(r.result().verdicts().isEmpty());
    }

    /** host_kernel 4.15: XFS refuses reflink on a DAX mount, so nothing is shared and nothing moves. */
    @Test
    void linux415RefusesReflinkOnDax() {
        Scenario s = Runs.builtin("block-move-reflink");
        Scenario old = s.toBuilder().setDesign(s.getDesign().toBuilder().setHostKernel("4.15")).build();
        Runs.Run r = Runs.run(sim, old, 1);
        StepOutcome reflink = r.result().steps().stream().filter(o -> o.getStep() == 8).findFirst().orElseThrow();
        assertEquals("EINVAL", reflink.getErrno(), reflink.toString());
        assertTrue(reflink.getOutput().contains("DAX and reflink cannot be used together"), reflink.getOutput());
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> layoutBreak(e) && e.getLayoutBreak().getCause().equals("cow")));
        assertFalse(r.result().firedOracles().contains("mapping-coherence"));
    }

    /**
     * qemu_prealloc: without it the guest's stores leave fallocate's extents unwritten, and after a
     * defrag the notifier's trapped read through the file returns zeros; remount shows the same.
     */
    @Test
    void withoutPreallocTheGuestsDataOnUnwrittenExtentsReadsAsZerosThroughTheFile() {
        Scenario s = Runs.builtin("block-move-defrag-notifier");
        assertEquals("on", s.getDesign().getQemuPrealloc());
        Scenario off = s.toBuilder().setDesign(s.getDesign().toBuilder().setQemuPrealloc("off")).setExpect(Expect.getDefaultInstance()).build();
        Runs.Run r = Runs.run(sim, off, 1);
        assertEquals(List.of("data-integrity"), List.copyOf(r.result().firedOracles()));
        long trapped = r.firstSeq(e -> e.hasIoreq() && e.getIoreq().getType() == IOREQ_TYPE_COPY && e.getIoreq().getDir() == IOREQ_READ);
        long answer = r.firstSeq(e -> e.getSeq() > trapped && e.getTo().equals("guest-1") && e.hasMemAccessDone());
        firedAt(r, "data-integrity", answer);
        assertArrayEquals(new byte[4096], r.bySeq(answer).getMemAccessDone().getData().toByteArray(), "zeros: the extent is unwritten");
        // The remount pair: prealloc off loses the data, on keeps it.
        Runs.Run lost = Runs.run(sim, Runs.builtin("remount-unwritten"), 1);
        assertTrue(lost.result().passed(), lost.result().summary().getOutcome());
        assertEquals(List.of("data-integrity"), List.copyOf(lost.result().firedOracles()));
        Runs.Run kept = Runs.run(sim, Runs.builtin("remount-unwritten-prealloc"), 1);
        assertTrue(kept.result().passed() && kept.result().verdicts().isEmpty(), kept.result().summary().getOutcome());
        assertTrue(kept.delivered().stream().anyMatch(e -> e.hasFileIo() && e.getFileIo().getPopulate()), "QEMU's prealloc write faults reached Dom0");
        assertTrue(kept.delivered().stream().anyMatch(e -> e.hasDeviceModelStart() && String.join(" ", e.getDeviceModelStart().getArgvList()).contains(",prealloc=on")));
    }

    // ------------------------------------------------------------------ broken components under the notifier

    /** A Dom0 whose notifier removes the wrong guest frames (one page further on): Xen obliges, the guest keeps the old ones. */
    @Test
    void seededBug_notifierRemovesTheWrongFrames() {
        Runs.Run r = run(Runs.builtin("block-move-defrag-notifier"), SeededBugsTest.brokenOut(Roles.DOM0, (in, out) -> SeededBugsTest.mapSent(out, e -> {
            if (!domctlRemove(e)) return e;
            DomctlMemoryMapping m = e.getDomctl().getMemoryMapping();
            return e.toBuilder().setDomctl(e.getDomctl().toBuilder().setMemoryMapping(m.toBuilder().setFirstGfn(m.getFirstGfn() + 1).setFirstMfn(m.getFirstMfn() + 1))).build();
        })));
        SeededBugsTest.caught(r, "mapping-coherence", r.firstSeq(BlockMoveTest::layoutBreak));
    }

    /**
     * A QEMU that re-maps a broken range from a stale FIEMAP (the blocks the file had at start-up):
     * Xen accepts it (those frames were granted at boot), and coherence fires at Xen's answer.
     */
    @Test
    void seededBug_qemuRemapsFromAStaleFiemap() {
        boolean[] broke = {false};
        long[] boot = {-1, -1};
        Runs.Run r = run(Runs.builtin("block-move-defrag-notifier"), SeededBugsTest.broken(Roles::isQemu, in -> {
            if (in.hasLayoutBreak()) broke[0] = true;
            return in;
        }, (in, out) -> SeededBugsTest.mapSent(out, e -> {
            if (!e.hasDomctl() || e.getDomctl().getCmd() != XEN_DOMCTL_memory_mapping) return e;
            DomctlMemoryMapping m = e.getDomctl().getMemoryMapping();
            if (m.getAddMapping() != DPCI_ADD_MAPPING) return e;
            if (boot[0] < 0) { boot[0] = m.getFirstGfn(); boot[1] = m.getFirstMfn(); }   // one extent at start-up
            if (!broke[0]) return e;
            return e.toBuilder().setDomctl(e.getDomctl().toBuilder().setMemoryMapping(m.toBuilder().setFirstMfn(boot[1] + m.getFirstGfn() - boot[0]))).build();
        })));
        long add = r.firstSeq(e -> e.getSeq() > r.firstSeq(BlockMoveTest::layoutBreak) && e.hasDomctl() && e.getFrom().equals("qemu-1")
                && e.getDomctl().getMemoryMapping().getAddMapping() == DPCI_ADD_MAPPING);
        assertEquals(0, r.answerTo(add).getHypercallRet().getRc(), "Xen cannot tell a stale frame from a fresh one");
        SeededBugsTest.caught(r, "mapping-coherence", r.answerTo(add).getSeq());
    }

    /** A QEMU that answers trapped loads with zeros: the guest's load returns what it never stored. */
    @Test
    void seededBug_qemuServesTrappedLoadsAsZeros() {
        Runs.Run r = run(Runs.builtin("block-move-defrag-notifier"), SeededBugsTest.brokenOut("qemu-1", (in, out) -> SeededBugsTest.mapSent(out, e -> {
            if (!e.hasIoreqDone() || e.getIoreqDone().getBuf().isEmpty()) return e;
            return e.toBuilder().setIoreqDone(e.getIoreqDone().toBuilder().setBuf(ByteString.copyFrom(new byte[e.getIoreqDone().getBuf().size()]))).build();
        })));
        long trapped = r.firstSeq(e -> e.hasIoreq() && e.getIoreq().getType() == IOREQ_TYPE_COPY && e.getIoreq().getDir() == IOREQ_READ);
        long answer = r.firstSeq(e -> e.getSeq() > trapped && e.getTo().equals("guest-1") && e.hasMemAccessDone());
        SeededBugsTest.caught(r, "data-integrity", answer);
    }

    /** A Dom0 whose defrag copies zeros instead of the blocks' data: the guest's read through QEMU sees the loss. */
    @Test
    void seededBug_defragLosesTheData() {
        Runs.Run r = run(Runs.builtin("block-move-defrag-notifier"), SeededBugsTest.brokenOut(Roles.DOM0, (in, out) -> SeededBugsTest.mapSent(out, e -> {
            // The defrag's bus copy of the 32 KiB extent becomes a zero fill of its destination.
            if (!e.hasMemAccess() || e.getMemAccess().getOp() != MemAccess.Op.COPY || e.getMemAccess().getLen() != 32 << 10) return e;
            return e.toBuilder().setMemAccess(e.getMemAccess().toBuilder().setOp(MemAccess.Op.FILL).clearSrcSpa()).build();
        })));
        long trapped = r.firstSeq(e -> e.hasIoreq() && e.getIoreq().getType() == IOREQ_TYPE_COPY && e.getIoreq().getDir() == IOREQ_READ);
        long answer = r.firstSeq(e -> e.getSeq() > trapped && e.getTo().equals("guest-1") && e.hasMemAccessDone());
        SeededBugsTest.caught(r, "data-integrity", answer);
    }

    // ------------------------------------------------------------------ the guest's flush

    /** guest_io flush: one CLWB+SFENCE per page on the bus, by the guest, at the frame its gfn maps. */
    @Test
    void guestFlushReachesTheBusAtTheMappedFrame() {
        Scenario base = Runs.builtin("block-move-punch-notifier");
        Scenario.Builder b = base.toBuilder().clearSteps().setExpect(Expect.getDefaultInstance());
        for (int i = 0; i < 6; i++) b.addSteps(base.getSteps(i));
        b.addSteps(Step.newBuilder().setGuestIo(GuestIoStep.newBuilder().setDomain("vm1").setOp("write").setOffsetBytes(8192).setLengthBytes(8192).setPatternSeed(5)));
        b.addSteps(Step.newBuilder().setGuestIo(GuestIoStep.newBuilder().setDomain("vm1").setOp("flush").setOffsetBytes(8192).setLengthBytes(8192)));
        Runs.Run r = Runs.run(sim, b.build(), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        List<Envelope> flushes = r.delivered().stream().filter(e -> e.getTo().equals(Roles.PLATFORM) && e.hasMemAccess() && e.getMemAccess().getOp() == MemAccess.Op.FLUSH).toList();
        assertEquals(2, flushes.size());
        for (Envelope f : flushes) {
            assertEquals(1, f.getMemAccess().getInitiatorDomid());
            assertEquals(PAGE_SIZE, f.getMemAccess().getLen());
            // the same frame the guest's store to that gpa reached
            long gpa = f.getMemAccess().getGpa();
            Envelope store = r.delivered().stream().filter(e -> e.getTo().equals(Roles.PLATFORM) && e.hasMemAccess() && e.getMemAccess().getOp() == MemAccess.Op.WRITE
                    && e.getMemAccess().getGpa() == gpa).findFirst().orElseThrow();
            assertEquals(store.getMemAccess().getSpa(), f.getMemAccess().getSpa());
        }
        assertEquals(0, r.result().steps().get(r.result().steps().size() - 1).getRc());
    }

    /** A guest_io on a vNVDIMM the guest does not have, or past its end, is refused by the guest. */
    @Test
    void guestIoOutsideTheRegionIsRefused() {
        Scenario base = Runs.builtin("block-move-punch-notifier");
        Scenario.Builder b = base.toBuilder().clearSteps().setExpect(Expect.getDefaultInstance());
        for (int i = 0; i < 6; i++) b.addSteps(base.getSteps(i));
        b.addSteps(Step.newBuilder().setGuestIo(GuestIoStep.newBuilder().setDomain("vm1").setOp("read").setVnvdimm(1).setLengthBytes(4096)));
        b.addSteps(Step.newBuilder().setGuestIo(GuestIoStep.newBuilder().setDomain("vm1").setOp("read").setOffsetBytes(64L << 20).setLengthBytes(4096)));
        b.addSteps(Step.newBuilder().setGuestIo(GuestIoStep.newBuilder().setDomain("nosuch").setOp("read").setLengthBytes(4096)));
        Runs.Run r = Runs.run(sim, b.build(), 1);
        assertEquals(List.of("7 ENODEV", "8 EINVAL", "9 EINVAL"), r.result().summary().getFailedStepsList().stream().map(f -> f.getStep() + " " + f.getErrno()).toList());
    }
}
