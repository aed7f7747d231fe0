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
        long s = m.getSpa() >>> PAGE_SHIFT;
        long t = (m.getSpa() + len + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        Domain d0 = x.domains.get(0);
        // Frame by frame as the PTEs would be validated: RAM must be Dom0's, anything else in iomem_caps.
        for (long mfn = s; mfn < t; ) {
            boolean ram = x.heap.ram().contains(mfn);
            long next = Math.min(t, nextBoundary(mfn, ram));
            if (ram ? !x.dom0OwnsRam(mfn, next) : !d0.iomemCaps.containsAll(mfn, next)) {
                long bad = firstBad(mfn, next, ram, d0);
                if (ram) x.xlog("(XEN) d0 may not map MFN %05x: not its RAM", bad);
                else x.xlog("(XEN) d0 non-privileged attempt to map MMIO space %05x", bad);
                done(m, Errno.EPERM);
                return;
            }
            mfn = next;
        }
        x.xsend(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(m.toBuilder().setInitiatorDomid(0)));
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
