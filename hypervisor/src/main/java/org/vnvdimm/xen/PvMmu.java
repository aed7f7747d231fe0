package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;

/**
 * A PV Dom0's loads and stores to machine memory. A PV kernel reaches a frame only through a page
 * table entry Xen validated (arch/x86/mm.c get_page_from_l1e): a RAM frame must be the kernel's own,
 * a frame that is not RAM (I/O memory, pmem) must be in its iomem_caps (iomem_access_permitted),
 * else -EPERM. The simulation makes that check at every access: Dom0 sends its MemAccess here, and
 * Xen either forwards it to the bus (the bus answers Dom0 directly) or answers -EPERM itself.
 * A mapping the kernel installs for good with mmu_update (a driver's memremap of a whole range) is
 * checked once, when installed; an access through it is not checked again, and a later
 * iomem_deny_access does not take it away (Xen keeps no reverse map of MMIO PTEs).
 */
final class PvMmu {
    private final Xen x;

    PvMmu(Xen x) { this.x = x; }

    void access(Envelope e) {
        if (!e.getFrom().equals(Roles.DOM0)) throw new org.vnvdimm.contract.ComponentBehavior.ProtocolError("memory access from " + e.getFrom() + "; only Dom0's CPU reaches the bus this way");
        MemAccess m = e.getMemAccess();
        if (!m.getReplyTo().isEmpty() && !m.getReplyTo().equals(Roles.DOM0)) {
            throw new org.vnvdimm.contract.ComponentBehavior.ProtocolError("Dom0's access asks the bus to answer " + m.getReplyTo());
        }
        long len = m.getOp() == MemAccess.Op.WRITE ? m.getData().size() : m.getLen();
        if (m.getSpa() < 0 || len <= 0) { done(m, Errno.EINVAL); return; }
        boolean copy = m.getOp() == MemAccess.Op.COPY;
        if (copy && (m.getSrcSpa() < 0 || m.getSrcSpa() + len < m.getSrcSpa())) { done(m, Errno.EINVAL); return; }
        // A copy reads its source and writes its destination: Dom0 must reach both.
        if (!reaches(m, m.getSpa(), len) || (copy && !reaches(m, m.getSrcSpa(), len))) return;
        x.xsend(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(m.toBuilder().setInitiatorDomid(0)));
    }

    /** Whether Dom0 reaches [spa, +len); if not, says why and answers -EPERM. */
    private boolean reaches(MemAccess m, long spa, long len) {
        long s = spa >>> PAGE_SHIFT;
        long t = (spa + len + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        Domain d0 = x.domains.get(0);
        if (d0.pvMapped.containsAll(s, t)) return true;   // through a PTE Xen validated when it was installed
        // Frame by frame as the PTEs would be validated: RAM must be Dom0's, anything else in iomem_caps.
        for (long mfn = s; mfn < t; ) {
            boolean ram = x.heap.ram().contains(mfn);
            long next = Math.min(t, nextBoundary(mfn, ram));
            if (ram ? !x.dom0OwnsRam(mfn, next) : !d0.iomemCaps.containsAll(mfn, next)) {
                long bad = firstBad(mfn, next, ram, d0);
                if (ram) x.xlog("(XEN) d0 may not map MFN %05x: not its RAM", bad);
                else x.xlog("d0 non-privileged attempt to map MMIO space %05x", bad);
                done(m, Errno.EPERM);
                return false;
            }
            mfn = next;
        }
        return true;
    }

    /**
     * __HYPERVISOR_mmu_update, MMU_NORMAL_PT_UPDATE on Dom0's own page tables: arguments first
     * (-EINVAL), then each new PTE as get_page_from_l1e validates it (-EPERM), then install them all.
     */
    void mmuUpdate(Envelope e) {
        if (!e.getFrom().equals(Roles.DOM0)) { x.retErr(e, Errno.EPERM, e.getFrom() + " is not a PV domain"); return; }
        MmuUpdate u = e.getMmuUpdate();
        if (u.getCmd() != MMU_NORMAL_PT_UPDATE) { x.retErr(e, Errno.ENOSYS, "mmu_update cmd " + u.getCmd()); return; }
        if (u.getForeigndom() != DOMID_SELF) { x.retErr(e, Errno.EINVAL, "mmu_update: foreign frames are not modelled"); return; }
        long s = u.getMfn(), n = u.getNrPtes();
        if (s < 0 || n <= 0 || n > MMU_UPDATE_MAX_PTES || x.beyondPaddr(s + n - 1)) { x.retErr(e, Errno.EINVAL, "mmu_update: frames"); return; }
        long t = s + n;
        Domain d0 = x.domains.get(0);
        for (long mfn = s; mfn < t; ) {
            boolean ram = x.heap.ram().contains(mfn);
            long next = Math.min(t, nextBoundary(mfn, ram));
            if (ram ? !x.dom0OwnsRam(mfn, next) : !d0.iomemCaps.containsAll(mfn, next)) {
                long bad = firstBad(mfn, next, ram, d0);
                x.retErr(e, Errno.EPERM, String.format(java.util.Locale.ROOT, "d0 non-privileged attempt to map MMIO space %05x", bad));
                return;
            }
            mfn = next;
        }
        // RAM PTEs are Dom0's own pages, reference-counted; only the I/O-memory ones are kept here.
        for (long mfn = s; mfn < t; ) {
            boolean ram = x.heap.ram().contains(mfn);
            long next = Math.min(t, nextBoundary(mfn, ram));
            if (!ram) d0.pvMapped.add(mfn, next);
            mfn = next;
        }
        x.ret(e, 0);
    }

    /** The end of the run of frames starting at mfn that are all RAM, or all not RAM. */
    private long nextBoundary(long mfn, boolean ram) {
        if (ram) return x.heap.ram().rangeAt(mfn).end();
        for (org.vnvdimm.ranges.RangeSet.Range r : x.heap.ram().ranges()) if (r.start() > mfn) return r.start();
        return Long.MAX_VALUE;
    }

    /** The first frame of [s, t) that fails the check (for RAM: the run's first frame). */
    private static long firstBad(long s, long t, boolean ram, Domain d0) {
        if (ram || !d0.iomemCaps.contains(s)) return s;
        return d0.iomemCaps.rangeAt(s).end();
    }

    private void done(MemAccess m, Errno err) {
        if (m.getReplyTo().isEmpty()) return;
        x.xreplyOnBehalf(Roles.DOM0, m.getReplyTag(),
                Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setRc(err.neg()).setSpa(m.getSpa()).setGpa(m.getGpa())));
    }
}
