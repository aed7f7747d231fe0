package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.ranges.ExtentMap;

/**
 * A domain's passthrough PCI device and the IOMMU in front of it (seed 003's DMA question): the
 * device writes into the domain's memory after a delay, each page translated by the IOMMU when the
 * write reaches it. With design iommu shared-ept the IOMMU walks the EPT, so a p2m entry removed is
 * an IOMMU entry removed; with separate tables XEN_DOMCTL_memory_mapping remove leaves the IOMMU
 * entry [inferred], so a later DMA still reaches the old frame. Design dma: lease makes the removal
 * also drop the IOMMU entries, flush the IOTLB and wait (bounded) for the device to go idle.
 */
final class PassthroughDma {
    /** The device's time from being programmed to its writes reaching memory [inferred]. */
    static final long DMA_DELAY_NS = 10_000_000;
    /** How long a lease waits for the device to go idle before the removal fails with -EBUSY [inferred]. */
    static final long LEASE_BOUND_NS = 100_000_000;
    static final long MAX_DMA_BYTES = 64L << 20;
    /** The assigned device's PCI address, as xl pci = ['00:04.0'] names it. */
    static final String SBDF = "0000:00:04.0";

    private final Xen x;
    /** DMAs in flight, in order of programming. */
    private final List<InFlight> inFlight = new ArrayList<>();
    /** Removals waiting for the device to go idle (dma: lease). */
    private final List<Lease> leases = new ArrayList<>();

    /** A DMA in flight: the device's IOTLB holds the translations it took when programmed (-1: none). */
    private static final class InFlight {
        final int domid;
        final long gfn, nr;
        final Envelope request;
        final long[] iotlb;
        boolean flushed;
        InFlight(int domid, long gfn, long nr, Envelope request, long[] iotlb) { this.domid = domid; this.gfn = gfn; this.nr = nr; this.request = request; this.iotlb = iotlb; }
    }

    private static final class Lease {
        final Envelope request;
        final int domid;
        final long gfn, nr, rc;
        long timer;
        Lease(Envelope request, int domid, long gfn, long nr, long rc) { this.request = request; this.domid = domid; this.gfn = gfn; this.nr = nr; this.rc = rc; }
    }

    PassthroughDma(Xen x) { this.x = x; }

    /** XEN_DOMCTL_assign_device: -ENOSYS without an IOMMU (iommu_do_domctl), as Xen 4.10. */
    void assign(Envelope e, Domctl dc, Domain d) {
        if (!x.cfg.iommu()) { x.retErr(e, Errno.ENOSYS, "assign_device: no IOMMU enabled"); return; }
        if (!dc.hasAssignDevice() || dc.getAssignDevice().getDev() != 0) { x.retErr(e, Errno.EINVAL, "assign_device: PCI only"); return; }
        d.passthrough = true;
        x.xlog("(XEN) d%d: assign %s (IOMMU %s)", d.domid, SBDF, x.cfg.iommuSharesHap() ? "shares the EPT" : "has tables of its own");
        x.ret(e, 0);
    }

    /** The guest programmed its device to write [gpa, +len): the writes go out when the delay is up. */
    void program(Envelope e, Domain d, GuestMemAccess g) {
        if (!d.passthrough) { fail(e, g.getGpa(), Errno.ENODEV, "d" + d.domid + " has no passthrough device"); return; }
        if (!g.getWrite() || g.getLen() <= 0 || g.getLen() > MAX_DMA_BYTES || g.getData().size() != g.getLen() || g.getFlush()) {
            fail(e, g.getGpa(), Errno.EINVAL, "a DMA writes 1 byte to 64 MiB of data");
            return;
        }
        long gfn = g.getGpa() >>> PAGE_SHIFT, nr = ((g.getGpa() + g.getLen() - 1) >>> PAGE_SHIFT) - gfn + 1;
        long[] iotlb = new long[(int) nr];
        for (int i = 0; i < nr; i++) { Long m = translate(d, gfn + i); iotlb[i] = m == null ? -1 : m; }
        InFlight f = new InFlight(d.domid, gfn, nr, e, iotlb);
        inFlight.add(f);
        x.xsetTimer(DMA_DELAY_NS, org.vnvdimm.contract.ComponentBehavior.format("d%d %s DMA write gpa=%#x len=%d", d.domid, SBDF, g.getGpa(), g.getLen()),
                () -> complete(f));
    }

    /**
     * The device's writes go out: at the frames its IOTLB holds, or, after an IOTLB flush, as the
     * IOMMU translates them now; a missing entry is a DMA fault and the write is dropped.
     */
    private void complete(InFlight f) {
        GuestMemAccess g = f.request.getGuestMemAccess();
        Domain d = x.domains.get(f.domid);
        byte[] data = g.getData().toByteArray();
        int[] left = {1};
        boolean[] faulted = {false};
        Runnable done = () -> {
            if (--left[0] > 0) return;
            inFlight.remove(f);
            x.xreplyTo(f.request, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder()
                    .setRc(faulted[0] ? Errno.EIO.neg() : 0).setGpa(g.getGpa())));
            idle(f.domid);
        };
        for (long at = g.getGpa(), end = g.getGpa() + g.getLen(); d != null && at < end; ) {
            long n = Math.min(end - at, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
            long page = (at >>> PAGE_SHIFT) - f.gfn;
            Long mfn = f.flushed ? translate(d, at >>> PAGE_SHIFT) : f.iotlb[(int) page] < 0 ? null : f.iotlb[(int) page];
            if (mfn == null) {
                // VT-d's fault report (dma_msi / iommu_page_fault): the write is dropped.
                x.xlog("(XEN) [VT-D]DMAR:[DMA Write] Request device [%s] fault addr %x", SBDF, at & -PAGE_SIZE);
                faulted[0] = true;
            } else {
                left[0]++;
                long spa = pfnToAddr(mfn) | (at & (PAGE_SIZE - 1)), gpa = at;
                int off = (int) (at - g.getGpa());
                x.xcall(Roles.PLATFORM, t -> Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE)
                        .setSpa(spa).setLen(n).setData(com.google.protobuf.ByteString.copyFrom(data, off, (int) n))
                        .setInitiatorDomid(f.domid).setReplyTo(Roles.XEN).setReplyTag(t).setGpa(gpa)), r -> {
                    if (r.getMemAccessDone().getRc() != 0) faulted[0] = true;
                    done.run();
                });
            }
            at += n;
        }
        done.run();
    }

    /**
     * A p2m entry of a domain with a device was removed (no lease): with the IOMMU sharing the EPT,
     * Xen flushes the IOTLB (the entry is the IOMMU's too), so in-flight DMA translates again; with
     * separate tables the IOMMU entry and the IOTLB are left as they were [inferred].
     */
    void p2mRemoved(Domain d, long gfn, long nr) {
        if (!x.cfg.iommuSharesHap()) return;
        for (InFlight f : inFlight) {
            if (f.domid == d.domid && f.gfn < gfn + nr && gfn < f.gfn + f.nr) f.flushed = true;
        }
    }

    private Long translate(Domain d, long gfn) {
        if (!x.cfg.iommuSharesHap()) {
            ExtentMap.Extent<P2m.Run> r = d.iommuTable.at(gfn);
            if (r != null) return r.value().mfn();
        }
        ExtentMap.Extent<P2m.Run> r = d.p2m.lookup(gfn);
        if (r == null || (r.value().type() != p2m_ram_rw && r.value().type() != p2m_mmio_direct)) return null;
        // With separate tables only RAM comes from the p2m copy; direct MMIO is in iommuTable.
        if (!x.cfg.iommuSharesHap() && r.value().type() != p2m_ram_rw) return null;
        return r.value().mfn();
    }

    /**
     * dma: lease, for a DPCI_REMOVE_MAPPING already applied to the p2m: drop the IOMMU entries too,
     * flush the IOTLB, and answer only when no DMA of this domain into [gfn, +nr) is in flight (the
     * flush completes after the device's outstanding writes, which use the translations they hold),
     * or with -EBUSY when the bound passes first [inferred: the threads proposed no bound].
     */
    void lease(Envelope e, Domain d, long gfn, long nr, long mfn, long rc) {
        d.iommuTable.remove(gfn, nr);
        x.xlog("(XEN) d%d: lease: IOMMU entries gfn=%x nr=%x removed, IOTLB flushed", d.domid, gfn, nr);
        if (!busy(d.domid, gfn, nr)) { x.ret(e, rc); return; }
        Lease l = new Lease(e, d.domid, gfn, nr, rc);
        leases.add(l);
        x.xlog("(XEN) d%d: lease: waiting for %s to finish DMA into gfn=%x nr=%x", d.domid, SBDF, gfn, nr);
        l.timer = x.xsetTimer(LEASE_BOUND_NS, org.vnvdimm.contract.ComponentBehavior.format("d%d lease bound gfn=%#x", d.domid, gfn), () -> {
            leases.remove(l);
            x.xlog("(XEN) d%d: lease: %s still busy after %d us", d.domid, SBDF, LEASE_BOUND_NS / 1000);
            x.ret(e, Errno.EBUSY.neg());
        });
    }

    private boolean busy(int domid, long gfn, long nr) {
        for (InFlight f : inFlight) {
            if (f.domid == domid && f.gfn < gfn + nr && gfn < f.gfn + f.nr) return true;
        }
        return false;
    }

    private void idle(int domid) {
        for (Lease l : new ArrayList<>(leases)) {
            if (l.domid != domid || busy(domid, l.gfn, l.nr)) continue;
            leases.remove(l);
            x.xcancelTimer(l.timer);
            x.xlog("(XEN) d%d: lease: %s idle", domid, SBDF);
            x.ret(l.request, l.rc);
        }
    }

    private void fail(Envelope req, long gpa, Errno err, String why) {
        x.xreplyTo(req, Envelope.newBuilder().setGuestFault(GuestFault.newBuilder().setGpa(gpa).setP2MType(p2m_invalid).setRc(err.neg()).setReason(why)));
    }
}
