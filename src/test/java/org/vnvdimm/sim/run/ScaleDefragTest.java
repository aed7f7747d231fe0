package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;

/**
 * Issue 8's scale case: scale-defrag-1tib (a 1 TiB file of 100,000 extents mapped into a guest,
 * defragmented while mapped, every extent re-mapped). The full run is `vnvdimm bench --scale`'s
 * (about 1.4 million deliveries); here the built-in is loaded and checked, and the same scenario,
 * scaled down to 16 GiB and 1,000 extents by rewriting only its sizes and offsets, runs with its
 * trace kept: one memory_mapping per extent at start-up and per extent at the move, the whole range
 * re-mapped after the first trapped load, the guest's data back; a QEMU that re-maps from its
 * start-up FIEMAP is caught.
 */
class ScaleDefragTest {
    static final String NAME = "scale-defrag-1tib";
    static final long MIB = 1L << 20, GIB = 1L << 30, TIB = 1L << 40;
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    @Test
    void theBuiltinLoadsAndIsTheIssuesCase() {
        assertTrue(org.vnvdimm.sim.cli.BuiltinScenarios.names().contains(NAME));
        Scenario s = Runs.builtin(NAME);
        assertEquals("notifier", s.getDesign().getInvalidation());
        assertEquals("shared-ept", s.getDesign().getIommu());
        CreateFile f = s.getSteps(4).getFile();
        assertEquals(TIB, f.getSizeBytes(), "exactly 1 TiB");
        assertEquals(100_000, f.getExtents());
        assertEquals(2 * MIB, f.getExtentSizeBytes());
        assertEquals(f.getPath(), s.getSteps(5).getXlCreate().getDomain().getVnvdimms(0).getFile());
        FsStep d = s.getSteps(9).getFs();
        assertEquals("defrag", d.getOp());
        assertEquals(List.of(0L, 0L), List.of(d.getOffsetBytes(), d.getLengthBytes()), "the whole file");
        assertTrue(s.getExpect().getViolationsList().isEmpty());
    }

    /** The built-in with its file, DIMM and guest offsets scaled from 1 TiB to fileBytes. */
    static Scenario scaled(long fileBytes, int extents) {
        Scenario s = Runs.builtin(NAME);
        Scenario.Builder b = s.toBuilder().setName("scale-defrag-scaled");
        b.getPlatformBuilder().getDimmsBuilder(0).setSizeBytes(4 * fileBytes);
        b.getStepsBuilder(4).getFileBuilder().setSizeBytes(fileBytes).setExtents(extents);
        long mid = fileBytes / 2, last = fileBytes - 3 * MIB;   // the region is the file less 2 MiB (label, aligned)
        for (int i : new int[] {7, 11}) b.getStepsBuilder(i).getGuestIoBuilder().setOffsetBytes(mid);
        for (int i : new int[] {8, 12}) b.getStepsBuilder(i).getGuestIoBuilder().setOffsetBytes(last);
        return b.build();
    }

    static boolean mapping(Envelope e, String from, int add) {
        return e.hasDomctl() && e.getFrom().equals(from) && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping
                && e.getDomctl().getMemoryMapping().getAddMapping() == add;
    }

    static long stepStart(Runs.Run r, int step) {
        return r.firstSeq(e -> e.getFrom().equals("admin") && e.getTag() == ScenarioDriver.tag(step, 0));
    }

    @Test
    void scaledDownTheDataComesBackAndEveryExtentIsMappedAgain() {
        long fileBytes = 16 * GIB;
        int extents = 1000;
        Runs.Run r = Runs.run(sim, scaled(fileBytes, extents), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        assertTrue(r.result().verdicts().isEmpty());
        for (StepOutcome o : r.result().steps()) assertEquals(0, o.getRc(), o.toString());
        StepOutcome file = r.result().steps().stream().filter(o -> o.getStep() == 5).findFirst().orElseThrow();
        StepOutcome defragged = r.result().steps().stream().filter(o -> o.getStep() == 10).findFirst().orElseThrow();
        assertEquals("xfs_io -f -c 'extsize 2m' /mnt/pmem0/vm1.img && fallocate -l 17179869184 /mnt/pmem0/vm1.img", file.getCommand());
        assertTrue(file.getOutput().contains("in 1000 extent(s), each a multiple of the 2048 KiB extent size hint"), file.getOutput());
        assertTrue(defragged.getOutput().contains("1000 piece(s) moved or freed into a run aligned to the file's 2048 KiB extent size hint [inferred"), defragged.getOutput());
        long regionPages = (fileBytes - 2 * MIB) >>> PAGE_SHIFT;
        long guestWrites = stepStart(r, 7), defrag = stepStart(r, 10), verify = stepStart(r, 11);

        // Start-up: one memory_mapping per extent, each done in one call (2 MiB orders, at most 64 of them).
        List<Envelope> boot = r.delivered().stream().filter(e -> e.getSeq() < guestWrites && mapping(e, "qemu-1", DPCI_ADD_MAPPING)).toList();
        assertEquals(extents, boot.size());
        long bootPages = 0;
        for (Envelope e : boot) {
            DomctlMemoryMapping m = e.getDomctl().getMemoryMapping();
            assertEquals(0, (m.getFirstGfn() | m.getFirstMfn() | m.getNrMfns()) & 511, "2 MiB aligned: " + m);
            assertEquals(0, r.answerTo(e.getSeq()).getHypercallRet().getRc());
            bootPages += m.getNrMfns();
        }
        assertEquals(regionPages, bootPages);

        // The move: Dom0 removes each extent's entries with one call, all before the layout break reaches QEMU.
        long lb = r.firstSeq(e -> e.hasLayoutBreak() && e.getTo().equals("qemu-1"));
        assertTrue(lb > defrag && lb < verify);
        List<Envelope> removes = r.delivered().stream().filter(e -> mapping(e, Roles.DOM0, DPCI_REMOVE_MAPPING)).toList();
        assertEquals(extents, removes.size());
        for (Envelope e : removes) {
            assertTrue(e.getSeq() > defrag && r.answerTo(e.getSeq()).getSeq() < lb);
            assertEquals(0, r.answerTo(e.getSeq()).getHypercallRet().getRc());
        }
        assertEquals(extents, r.delivered().stream().filter(e -> e.getSeq() > defrag && e.getSeq() < lb && e.hasMemAccess()
                && e.getFrom().equals(Roles.DOM0) && e.getMemAccess().getOp() == MemAccess.Op.COPY).count(), "one bus copy per extent");

        // After the move: the guest's first load traps, QEMU re-maps the whole region (at most 64 x 2 MiB a call), no load traps again.
        List<Envelope> traps = r.delivered().stream().filter(e -> e.hasIoreq() && e.getIoreq().getType() == IOREQ_TYPE_COPY).toList();
        assertEquals(1, traps.size(), "only the first load after the move traps");
        assertTrue(traps.get(0).getSeq() > verify);
        long remapped = 0, calls = 0;
        TreeMap<Long, Long> byGfn = new TreeMap<>();
        for (Envelope e : r.delivered()) {
            if (e.getSeq() < verify || !mapping(e, "qemu-1", DPCI_ADD_MAPPING)) continue;
            DomctlMemoryMapping m = e.getDomctl().getMemoryMapping();
            long rc = r.answerTo(e.getSeq()).getHypercallRet().getRc();
            assertTrue(rc >= 0, "Xen took the re-map: " + rc);
            long done = rc == 0 ? m.getNrMfns() : rc;
            assertTrue(done <= 64 * 512);
            byGfn.put(m.getFirstGfn(), m.getFirstMfn());
            remapped += done;
            calls++;
        }
        assertEquals(regionPages, remapped, "every page of every moved extent is mapped again");
        assertEquals((regionPages + 64 * 512 - 1) / (64 * 512), calls);
        // ... at the blocks the defrag gave it (one run), not the old ones.
        long oldFirstMfn = boot.get(0).getDomctl().getMemoryMapping().getFirstMfn();
        assertNotEquals(oldFirstMfn, byGfn.firstEntry().getValue());
    }

    /**
     * A QEMU that re-maps a broken range from the FIEMAP it read at start-up: each call names the
     * old extent that held its first guest frame (granted at start-up, so Xen accepts it), and
     * mapping-coherence fires at Xen's first answer: the guest frames map blocks the file left.
     */
    @Test
    void seededBug_remapFromTheStartUpFiemap() {
        boolean[] broke = {false};
        TreeMap<Long, long[]> boot = new TreeMap<>();   // gfn -> {mfn, nr} of each start-up extent
        Scenario s = scaled(16 * GIB, 1000);
        org.vnvdimm.sim.record.MemoryRecorder mem = new org.vnvdimm.sim.record.MemoryRecorder();
        RunResult res = sim.run(s, s.getSeed(), null, mem, SeededBugsTest.broken(Roles::isQemu, in -> {
            if (in.hasLayoutBreak()) broke[0] = true;
            return in;
        }, (in, out) -> SeededBugsTest.mapSent(out, e -> {
            if (!e.hasDomctl() || e.getDomctl().getCmd() != XEN_DOMCTL_memory_mapping) return e;
            DomctlMemoryMapping m = e.getDomctl().getMemoryMapping();
            if (m.getAddMapping() != DPCI_ADD_MAPPING) return e;
            if (!broke[0]) { boot.put(m.getFirstGfn(), new long[] {m.getFirstMfn(), m.getNrMfns()}); return e; }
            // The old extent holding first_gfn, as the start-up FIEMAP had it (frames granted then).
            var at = boot.floorEntry(m.getFirstGfn());
            long off = m.getFirstGfn() - at.getKey();
            return e.toBuilder().setDomctl(e.getDomctl().toBuilder().setMemoryMapping(m.toBuilder().setFirstMfn(at.getValue()[0] + off)
                    .setNrMfns(Math.min(m.getNrMfns(), at.getValue()[1] - off)))).build();
        })));
        Runs.Run r = new Runs.Run(res, mem.records());
        assertEquals(1000, boot.size());
        long verify = stepStart(r, 11);
        long add = r.firstSeq(e -> e.getSeq() > verify && mapping(e, "qemu-1", DPCI_ADD_MAPPING));
        assertTrue(r.answerTo(add).getHypercallRet().getRc() >= 0, "Xen cannot tell a stale frame from a fresh one: " + r.answerTo(add).getHypercallRet().getRc());
        SeededBugsTest.caught(r, "mapping-coherence", r.answerTo(add).getSeq());
    }
}
