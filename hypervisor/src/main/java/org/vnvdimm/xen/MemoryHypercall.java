package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.*;
import org.vnvdimm.ranges.RangeSet;

/**
 * __HYPERVISOR_memory_op: common/memory.c (populate_physmap) and arch/x86/mm.c's arch_memory_op
 * (memory_map, machine_memory_map, set_memory_map). Each checks its arguments and the caller before
 * it acts.
 */
final class MemoryHypercall {
    private final Xen x;

    MemoryHypercall(Xen x) { this.x = x; }

    void handle(Envelope e) {
        MemoryOp op = e.getMemoryOp();
        switch (op.getCmd()) {
            case XENMEM_memory_map -> memoryMap(e, op);
            case XENMEM_machine_memory_map -> machineMemoryMap(e, op);
            case XENMEM_set_memory_map -> setMemoryMap(e, op);
            case XENMEM_populate_physmap -> populatePhysmap(e, op);
            default -> {
                if ((op.getCmd() & MEMOP_CMD_MASK) == XENMEM_populate_pmem_map) populatePmemMap(e, op);
                else x.ret(e, Errno.ENOSYS.neg());
            }
        }
    }

    /** The caller's own pseudo-physical map, as the toolstack set it (-ENOSYS if none was set). */
    private void memoryMap(Envelope e, MemoryOp op) {
        Domain d = x.domains.get(x.callerDomid(e));
        if (d == null || !op.hasMemoryMap()) { x.retErr(e, Errno.EINVAL, "memory_map"); return; }
        if (!d.e820Set) { x.ret(e, Errno.ENOSYS.neg()); return; }
        int n = Math.min(op.getMemoryMap().getNrEntries(), d.e820.size());
        x.answer(e, HypercallRet.newBuilder().setRc(0).setMemoryMap(XenMemoryMap.newBuilder().setNrEntries(n).addAllBuffer(d.e820.subList(0, n))));
    }

    /**
     * XENMEM_machine_memory_map (4.10 arch/x86/mm.c), for the hardware domain (xsm XSM_PRIV):
     * with a NULL buffer only the count; otherwise nr_entries must hold the host map plus one
     * (-EINVAL). The host E820 is copied in order, and in each hole before, between and after its
     * entries every stretch the caller does NOT hold in iomem_caps (below paddr_bits) that ends
     * where a permitted stretch starts becomes a synthetic E820_RESERVED entry.
     */
    private void machineMemoryMap(Envelope e, MemoryOp op) {
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, "machine_memory_map: " + e.getFrom() + " is not the hardware domain"); return; }
        if (!op.hasMemoryMap()) { x.retErr(e, Errno.EINVAL, "machine_memory_map arguments"); return; }
        XenMemoryMap in = op.getMemoryMap();
        boolean store = !in.getNullBuffer();
        List<E820Entry> host = x.hostE820;
        if (store && Integer.toUnsignedLong(in.getNrEntries()) < host.size() + 1L) {
            x.retErr(e, Errno.EINVAL, "machine_memory_map: nr_entries below the host map's + 1");
            return;
        }
        RangeSet caps = x.domains.get(x.callerDomid(e)).iomemCaps;
        List<E820Entry> out = new ArrayList<>();
        long[] cursor = {0};   // ctxt.s: the first frame not yet accounted for
        long capacity = Integer.toUnsignedLong(in.getNrEntries());
        for (int i = 0; i < host.size(); i++) {
            E820Entry ent = host.get(i);
            long s = ent.getAddr() >>> PAGE_SHIFT;
            if (s > cursor[0] && !holes(caps, cursor, s - 1, out, store, capacity)) { einval(e); return; }
            if (store && capacity <= out.size() + (host.size() - i)) { einval(e); return; }
            out.add(ent);
            cursor[0] = (ent.getAddr() + ent.getSize() + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        }
        if (cursor[0] != 0 && !holes(caps, cursor, Long.MAX_VALUE, out, store, capacity)) { einval(e); return; }
        XenMemoryMap.Builder b = XenMemoryMap.newBuilder().setNrEntries(out.size());
        if (store) b.addAllBuffer(out);
        x.answer(e, HypercallRet.newBuilder().setRc(0).setMemoryMap(b));
    }

    private void einval(Envelope e) { x.retErr(e, Errno.EINVAL, "machine_memory_map: buffer too small"); }

    /** rangeset_report_ranges(caps, cursor, last, handle_iomem_range): false when the buffer is full. */
    private boolean holes(RangeSet caps, long[] cursor, long last, List<E820Entry> out, boolean store, long capacity) {
        long end = last == Long.MAX_VALUE ? Long.MAX_VALUE : last + 1;
        for (RangeSet.Range r : caps.intersection(cursor[0], end)) {
            long s = r.start();
            if (s > cursor[0] && !x.beyondPaddr(s)) {
                if (store && out.size() + 1 >= capacity) return false;
                out.add(E820Entry.newBuilder().setAddr(pfnToAddr(cursor[0])).setSize(pfnToAddr(s - cursor[0])).setType(E820_RESERVED).build());
            }
            cursor[0] = r.end();
        }
        return true;
    }

    private void setMemoryMap(Envelope e, MemoryOp op) {
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, "set_memory_map"); return; }
        if (!op.hasSetMemoryMap()) { x.retErr(e, Errno.EINVAL, "set_memory_map arguments"); return; }
        List<E820Entry> map = op.getSetMemoryMap().getMap().getBufferList();
        if (map.size() > E820MAX || op.getSetMemoryMap().getMap().getNrEntries() != map.size()) {
            x.retErr(e, Errno.EINVAL, "set_memory_map: nr_entries");
            return;
        }
        Domain d = x.domains.get(op.getSetMemoryMap().getDomid());
        if (d == null) { x.ret(e, Errno.ESRCH.neg()); return; }
        d.e820 = List.copyOf(map);
        d.e820Set = true;
        x.ret(e, 0);
    }

    private void populatePhysmap(Envelope e, MemoryOp op) {
        if (!op.hasReservation()) { x.retErr(e, Errno.EINVAL, "populate_physmap arguments"); return; }
        XenMemoryReservation r = op.getReservation();
        int caller = x.callerDomid(e);
        int dom = r.getDomid() == DOMID_SELF ? caller : r.getDomid();
        if (r.getExtentOrder() > 18 || r.getNrExtents() != r.getExtentStartCount()) { x.retErr(e, Errno.EINVAL, "populate_physmap: extents"); return; }
        Domain d = x.domains.get(dom);
        if (d == null) { x.ret(e, Errno.ESRCH.neg()); return; }
        if (caller != 0 && dom != caller) { x.retErr(e, Errno.EPERM, "populate_physmap for another domain"); return; }
        long n = 1L << r.getExtentOrder();
        int done = 0;
        List<long[]> scrubbed = new ArrayList<>();
        List<long[]> bulk = allAtOnce(d, r, n);
        if (bulk != null) {
            // The same frames, p2m and accounting as the extent-by-extent loop below gives when
            // every extent succeeds, in one pass (a 512 MiB guest is 256 order-9 extents).
            long g = r.getExtentStart(0);
            for (long[] run : bulk) {
                d.p2m.set(g, run[1], run[0], p2m_ram_rw);
                d.ramRuns.add(run);
                coalesce(scrubbed, run[0], run[1], g);
                g += run[1];
            }
            d.totPages += n * r.getExtentStartCount();
            done = r.getExtentStartCount();
        }
        for (long gpfn : bulk != null ? List.<Long>of() : r.getExtentStartList()) {
            if ((gpfn & (n - 1)) != 0 || Xen.inclusiveEnd(gpfn, n) < 0) break;
            if (!d.p2m.overlapping(gpfn, n).isEmpty()) break;
            if (d.totPages + n > d.maxPages) break;
            List<long[]> runs = x.heap.allocate(n, r.getExtentOrder());
            if (runs == null) break;
            long g = gpfn;
            for (long[] run : runs) {
                d.p2m.set(g, run[1], run[0], p2m_ram_rw);
                d.ramRuns.add(run);
                coalesce(scrubbed, run[0], run[1], g);
                g += run[1];
            }
            d.totPages += n;
            done++;
        }
        // One scrub and one p2m observation per contiguous run, not per extent. Xen scrubs the
        // frames before the domain gets them: the answer follows the scrubbing.
        for (long[] run : scrubbed) x.xobserve(Xen.p2m(dom, run[2], run[1], run[0], p2m_ram_rw, false));
        int[] left = {scrubbed.size()};
        int nrDone = done;
        if (left[0] == 0) { x.ret(e, nrDone); return; }
        for (long[] run : scrubbed) {
            x.xenWrite(run[0], run[1], "", w -> {
                if (--left[0] == 0) x.ret(e, nrDone);
            });
        }
    }

    /**
     * rfc-v4 XENMEM_populate_pmem_map (common/memory.c, common/pmem.c pmem_populate): the arguments
     * (DOMID_SELF, wrapping ranges: -EINVAL), the domain (-ESRCH), the caller's right over it
     * (xsm_populate_pmem_map XSM_TARGET: -EPERM), the domain's state (dying or not HVM: -EINVAL), the
     * frames all in DATA regions (-ENXIO), then page by page: each must be free (-EBUSY, undoing
     * the pages this call did), becomes owned by the domain (PGC_allocated | inuse | pmem), enters
     * its p2m as p2m_ram_rw (guest_physmap_add_page, which writes the M2P entry) and its
     * pmem_page_list. After {@link Xen#PMEM_POPULATE_PREEMPT_PAGES} pages with more to go the call
     * is preempted: -ERESTART, with the cmd to re-issue carrying nr_done << MEMOP_EXTENT_SHIFT.
     */
    private void populatePmemMap(Envelope e, MemoryOp op) {
        if (!op.hasPmemMap()) { x.retErr(e, Errno.EINVAL, "populate_pmem_map arguments"); return; }
        XenPmemMap m = op.getPmemMap();
        long start = Integer.toUnsignedLong(op.getCmd()) >>> MEMOP_EXTENT_SHIFT;
        long nr = Integer.toUnsignedLong(m.getNrMfns());
        if (m.getDomid() == DOMID_SELF) { x.retErr(e, Errno.EINVAL, "populate_pmem_map: DOMID_SELF"); return; }
        if (start > nr) { x.retErr(e, Errno.EINVAL, "populate_pmem_map: continuation past nr_mfns"); return; }
        if (nr == 0) { x.ret(e, 0); return; }
        long mfnEnd = Xen.inclusiveEnd(m.getMfn(), nr), gfnEnd = Xen.inclusiveEnd(m.getGfn(), nr);
        if (mfnEnd < 0 || gfnEnd < 0 || x.beyondPaddr(mfnEnd)) { x.retErr(e, Errno.EINVAL, "populate_pmem_map: range wraps"); return; }
        Domain d = x.domains.get(m.getDomid());
        if (d == null) { x.ret(e, Errno.ESRCH.neg()); return; }
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, "populate_pmem_map: " + e.getFrom() + " has no right over d" + d.domid); return; }
        if (d.dying || !d.hvm) { x.retErr(e, Errno.EINVAL, "populate_pmem_map: d" + d.domid + " is dying or not HVM"); return; }
        if (!x.pmem.dataAreas().containsAll(m.getMfn(), mfnEnd + 1)) {
            x.retErr(e, Errno.ENXIO, org.vnvdimm.contract.ComponentBehavior.format("populate_pmem_map: MFNs %#x - %#x are not in PMEM data regions", m.getMfn(), mfnEnd + 1));
            return;
        }
        long from = m.getMfn() + start;
        long stop = Math.min(m.getMfn() + nr, from + Xen.PMEM_POPULATE_PREEMPT_PAGES);
        if (x.pmem.inuse().intersects(from, stop)) {
            // the first busy page ends the call; the pages before it (this call's) are undone
            x.retErr(e, Errno.EBUSY, org.vnvdimm.contract.ComponentBehavior.format("populate_pmem_map: MFN %#x is not a free PMEM page",
                    x.pmem.inuse().intersection(from, stop).get(0).start()));
            return;
        }
        long gfn = m.getGfn() + start;
        long n = stop - from;
        x.pmem.inuse().add(from, stop);
        d.pmemPages.add(from, stop);
        d.p2m.set(gfn, n, from, p2m_ram_rw);
        x.pmem.owners().put(from, n, new PmemRegistry.Owner(d.domid, gfn, false));
        x.xobserve(Xen.p2m(d.domid, gfn, n, from, p2m_ram_rw, false));
        long done = start + n;
        if (done < nr) {
            x.xlog("(XEN) populate_pmem_map: d%d %d of %d pages done, preempted: -ERESTART [inferred: where Xen preempts]", d.domid, done, nr);
            x.answer(e, HypercallRet.newBuilder().setRc(Errno.ERESTART.neg())
                    .setContinuationCmd((int) (XENMEM_populate_pmem_map | (done << MEMOP_EXTENT_SHIFT))));
            return;
        }
        x.xlog("(XEN) populate_pmem_map: d%d MFNs %#x - %#x at gfn %#x, owned, p2m_ram_rw", d.domid, m.getMfn(), m.getMfn() + nr, m.getGfn());
        x.ret(e, 0);
    }

    /** Append {mfn, nr, gfn} to runs, merging with the last when both frame ranges continue it. */
    /**
     * When the extents are consecutive GFNs, each aligned to its order, none of them populated,
     * within the domain's max_pages, and the heap has them all: the frames for all of them, as
     * allocating them one by one would give (lowest address first, aligned, in order). Else null,
     * and the extents go one by one, stopping at the first that fails as Xen does.
     */
    private List<long[]> allAtOnce(Domain d, XenMemoryReservation r, long n) {
        int count = r.getExtentStartCount();
        if (count < 2) return null;
        long first = r.getExtentStart(0);
        for (int i = 0; i < count; i++) {
            long gpfn = r.getExtentStart(i);
            if (gpfn != first + i * n || (gpfn & (n - 1)) != 0 || Xen.inclusiveEnd(gpfn, n) < 0) return null;
        }
        long total = n * count;
        if (!d.p2m.overlapping(first, total).isEmpty() || d.totPages + total > d.maxPages) return null;
        return x.heap.allocate(total, r.getExtentOrder());
    }

    private static void coalesce(List<long[]> runs, long mfn, long nr, long gfn) {
        if (!runs.isEmpty()) {
            long[] last = runs.get(runs.size() - 1);
            if (last[0] + last[1] == mfn && last[2] + last[1] == gfn) {
                last[1] += nr;
                return;
            }
        }
        runs.add(new long[] {mfn, nr, gfn});
    }
}
