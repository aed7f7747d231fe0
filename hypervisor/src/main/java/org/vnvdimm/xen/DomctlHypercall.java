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
 * __HYPERVISOR_domctl (Xen 4.10 common/domctl.c do_domctl): the interface version (-EACCES), then
 * the target domain for every command but createdomain (-ESRCH), then the caller's privilege
 * (-EPERM, XSM's dummy policy), then the command's own checks, each before it touches state.
 */
final class DomctlHypercall {
    private final Xen x;
    /** do_domctl's static rover for domid allocation. */
    private int rover;

    DomctlHypercall(Xen x) { this.x = x; }

    void handle(Envelope e) {
        Domctl dc = e.getDomctl();
        if (dc.getInterfaceVersion() != XEN_DOMCTL_INTERFACE_VERSION) { x.retErr(e, Errno.EACCES, "interface version"); return; }
        Domain d = null;
        if (dc.getCmd() != XEN_DOMCTL_createdomain) {
            d = x.domains.get(dc.getDomain());
            if (d == null) { x.ret(e, Errno.ESRCH.neg()); return; }
        }
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, e.getFrom() + " is not privileged"); return; }
        switch (dc.getCmd()) {
            case XEN_DOMCTL_createdomain -> createDomain(e, dc);
            case XEN_DOMCTL_max_vcpus -> maxVcpus(e, dc, d);
            case XEN_DOMCTL_max_mem -> maxMem(e, dc, d);
            case XEN_DOMCTL_unpausedomain -> unpause(e, d);
            case XEN_DOMCTL_pausedomain -> pause(e, d);
            case XEN_DOMCTL_destroydomain -> destroy(e, d);
            case XEN_DOMCTL_iomem_permission -> iomemPermission(e, dc, d);
            case XEN_DOMCTL_memory_mapping -> memoryMapping(e, dc, d);
            case XEN_DOMCTL_assign_device -> x.dma.assign(e, dc, d);
            default -> x.ret(e, Errno.ENOSYS.neg());
        }
    }

    static final int CDF_KNOWN = XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_s3_integrity
            | XEN_DOMCTL_CDF_oos_off | XEN_DOMCTL_CDF_xs_domain;

    private void createDomain(Envelope e, Domctl dc) {
        if (!dc.hasCreatedomain()) { x.retErr(e, Errno.EINVAL, "no createdomain arguments"); return; }
        DomctlCreateDomain c = dc.getCreatedomain();
        if ((c.getFlags() & ~CDF_KNOWN) != 0) { x.retErr(e, Errno.EINVAL, "createdomain: unknown flags"); return; }
        // The simulation's own limit: only HVM guests are modelled.
        if ((c.getFlags() & XEN_DOMCTL_CDF_hvm_guest) == 0) { x.retErr(e, Errno.EINVAL, "only HVM guests are simulated"); return; }
        int dom = dc.getDomain();
        if (dom > 0 && dom < DOMID_FIRST_RESERVED) {
            if (x.domains.containsKey(dom)) { x.retErr(e, Errno.EINVAL, "domid " + dom + " in use"); return; }
        } else {
            // 0 or a reserved id: the next free id after the rover, wrapping at DOMID_FIRST_RESERVED.
            dom = -1;
            for (int i = rover + 1; i != rover; i++) {
                if (i >= DOMID_FIRST_RESERVED) { i = 0; continue; }
                if (i > 0 && !x.domains.containsKey(i)) { dom = i; break; }
            }
            if (dom < 0) { x.retErr(e, Errno.ENOMEM, "no free domid"); return; }
            rover = dom;
        }
        if (x.domains.size() >= Xen.MAX_DOMAINS) { x.retErr(e, Errno.ENOMEM, "domain limit"); return; }
        Domain d = new Domain(dom, true);
        x.domains.put(dom, d);
        x.xobserve(Xen.domainState(dom, "created"));
        x.xlog("(XEN) HVM d%d created (paused)", dom);
        x.answer(e, HypercallRet.newBuilder().setRc(0).setDomctl(dc.toBuilder().setDomain(dom)));
    }

    /** XEN_DOMCTL_max_vcpus (4.10): not on the caller itself, at most domain_max_vcpus(d), never fewer. */
    private void maxVcpus(Envelope e, Domctl dc, Domain d) {
        if (!dc.hasMaxVcpus()) { x.retErr(e, Errno.EINVAL, "no max_vcpus arguments"); return; }
        int max = dc.getMaxVcpus().getMax();
        if (d.domid == x.callerDomid(e) || Integer.compareUnsigned(max, HVM_MAX_VCPUS) > 0) {
            x.retErr(e, Errno.EINVAL, "max_vcpus " + Integer.toUnsignedString(max));
            return;
        }
        if (max < d.maxVcpus && d.vcpusAllocated) { x.retErr(e, Errno.EINVAL, "max_vcpus cannot shrink"); return; }
        d.maxVcpus = max;
        d.vcpusAllocated = max > 0;
        x.ret(e, 0);
    }

    private void maxMem(Envelope e, Domctl dc, Domain d) {
        if (!dc.hasMaxMem()) { x.retErr(e, Errno.EINVAL, "no max_mem arguments"); return; }
        d.maxPages = dc.getMaxMem().getMaxMemkb() >>> (PAGE_SHIFT - 10);
        x.ret(e, 0);
    }

    private void unpause(Envelope e, Domain d) {
        if (d.domid == x.callerDomid(e)) { x.retErr(e, Errno.EINVAL, "cannot unpause the calling domain"); return; }
        d.paused = false;
        // A domain without vCPUs is unpaused too, but nothing runs.
        if (!d.started && d.maxVcpus > 0) {
            d.started = true;
            x.xobserve(Xen.domainState(d.domid, "running"));
            x.xsend(Roles.guest(d.domid), Envelope.newBuilder().setDomainStart(DomainStart.newBuilder().setDomid(d.domid)
                    .setHvm(true).setNrPages(d.totPages)));
        }
        x.ret(e, 0);
    }

    private void pause(Envelope e, Domain d) {
        if (d.domid == x.callerDomid(e)) { x.retErr(e, Errno.EINVAL, "cannot pause the calling domain"); return; }
        d.paused = true;
        x.ret(e, 0);
    }

    private void destroy(Envelope e, Domain d) {
        if (d.domid == x.callerDomid(e)) { x.retErr(e, Errno.EINVAL, "cannot destroy the calling domain"); return; }
        for (ExtentMap.Extent<P2m.Run> r : d.p2m.all()) {
            x.xobserve(Xen.p2m(d.domid, r.start(), r.length(), r.value().mfn(), r.value().type(), true));
        }
        for (long[] r : d.ramRuns) x.heap.release(r[0], r[1]);
        // pmem frames go back to the pool, not to the heap (rfc-v4 RELMEM_pmem, pmem_page_cleanup:
        // free again, no owner, M2P entry INVALID_M2P_ENTRY)
        d.dying = true;
        for (ExtentMap.Extent<PmemRegistry.Owner> o : x.pmem.owners().extents()) {
            if (o.value().domid() == d.domid) x.pmem.owners().remove(o.start(), o.length());
        }
        for (org.vnvdimm.ranges.RangeSet.Range r : d.pmemPages.ranges()) {
            x.pmem.inuse().remove(r.start(), r.end());
            x.xlog("(XEN) d%d: PMEM MFNs %#x - %#x returned to the PMEM pool", d.domid, r.start(), r.end());
        }
        x.domains.remove(d.domid);
        x.pendingPortIo.remove(d.domid);
        x.xobserve(Xen.domainState(d.domid, "destroyed"));
        x.xlog("(XEN) d%d destroyed", d.domid);
        x.ret(e, 0);
    }

    /** 4.10: -EINVAL if the range wraps; -EPERM unless the caller holds it; then permit or deny. */
    private void iomemPermission(Envelope e, Domctl dc, Domain d) {
        if (!dc.hasIomemPermission()) { x.retErr(e, Errno.EINVAL, "no iomem_permission arguments"); return; }
        DomctlIomemPermission p = dc.getIomemPermission();
        long mfn = p.getFirstMfn();
        long end = Xen.inclusiveEnd(mfn, p.getNrMfns());
        if (end < 0) { x.retErr(e, Errno.EINVAL, "iomem_permission: range wraps"); return; }
        Domain caller = x.domains.get(x.callerDomid(e));
        if (!caller.iomemCaps.containsAll(mfn, end + 1)) {
            x.retErr(e, Errno.EPERM, org.vnvdimm.contract.ComponentBehavior.format("iomem_permission: d%d lacks MFNs %#x - %#x", caller.domid, mfn, end));
            return;
        }
        if (p.getAllowAccess() != 0) d.iomemCaps.add(mfn, end + 1); else d.iomemCaps.remove(mfn, end + 1);
        x.ret(e, 0);
    }

    /**
     * 4.10: -EINVAL if the MFN range wraps or passes paddr_bits or the GFN range wraps; -EPERM unless
     * both the caller and the target hold the MFNs in iomem_caps; then (the seeds' design) Xen's pmem
     * check; then map or unmap. Any nonzero add_mapping adds, as Xen's `if ( add )`.
     */
    private void memoryMapping(Envelope e, Domctl dc, Domain d) {
        if (!dc.hasMemoryMapping()) { x.retErr(e, Errno.EINVAL, "no memory_mapping arguments"); return; }
        DomctlMemoryMapping m = dc.getMemoryMapping();
        long gfn = m.getFirstGfn(), mfn = m.getFirstMfn(), nr = m.getNrMfns();
        long mfnEnd = Xen.inclusiveEnd(mfn, nr);
        long gfnEnd = Xen.inclusiveEnd(gfn, nr);
        if (mfnEnd < 0 || x.beyondPaddr(mfn | mfnEnd) || gfnEnd < 0) {
            x.retErr(e, Errno.EINVAL, org.vnvdimm.contract.ComponentBehavior.format("memory_mapping: bad range gfn=%#x mfn=%#x nr=%d", gfn, mfn, nr));
            return;
        }
        Domain caller = x.domains.get(x.callerDomid(e));
        if (!caller.iomemCaps.containsAll(mfn, mfnEnd + 1) || !d.iomemCaps.containsAll(mfn, mfnEnd + 1)) {
            x.retErr(e, Errno.EPERM, org.vnvdimm.contract.ComponentBehavior.format("memory_mapping: d%d or d%d lacks MFNs %#x - %#x",
                    caller.domid, d.domid, mfn, mfnEnd));
            return;
        }
        if (m.getAddMapping() != DPCI_REMOVE_MAPPING) {
            String refusal = x.cfg.mappingCheck() ? pmemMappingRefusal(d, mfn, mfnEnd + 1) : null;
            if (refusal != null) { x.retErr(e, Errno.EPERM, "memory_mapping: " + refusal); return; }
            // printk(XENLOG_G_INFO "memory_map:add: dom%d gfn=%lx mfn=%lx nr=%lx\n", ...), before mapping
            x.xlog("(XEN) memory_map:add: dom%d gfn=%x mfn=%x nr=%x", d.domid, gfn, mfn, nr);
            P2m.Progress p = d.p2m.mapMmio(gfn, nr, mfn, x.cfg.iommuSharesHap());
            for (long[] c : p.changed()) {
                x.xobserve(Xen.p2m(d.domid, c[0], c[1], c[2], p2m_mmio_direct, false));
                if (x.pmem.isPmem(c[2], c[2] + c[1])) x.pmem.owners().put(c[2], c[1], new PmemRegistry.Owner(d.domid, c[0], false));
                if (d.passthrough && !x.cfg.iommuSharesHap()) d.iommuTable.put(c[0], c[1], new P2m.Run(c[2], p2m_mmio_direct));
            }
            if (p.rc() < 0) x.xlog("(XEN) memory_map:fail: dom%d gfn=%x mfn=%x nr=%x ret:%d", d.domid, gfn, mfn, nr, p.rc());
            x.ret(e, p.rc());
        } else {
            x.xlog("(XEN) memory_map:remove: dom%d gfn=%x mfn=%x nr=%x", d.domid, gfn, mfn, nr);
            List<String> warnings = new ArrayList<>();
            P2m.Progress p = d.p2m.unmapMmio(gfn, nr, mfn, x.cfg.iommuSharesHap(), warnings);
            for (String w : warnings) x.xlog("(XEN) d%d: %s", d.domid, w);
            for (long[] c : p.changed()) {
                x.xobserve(Xen.p2m(d.domid, c[0], c[1], c[2], p2m_mmio_direct, true));
                x.pmem.owners().remove(c[2], c[1]);
            }
            if (p.rc() < 0 && x.callerDomid(e) == 0) {
                x.xlog("(XEN) memory_map: error %d removing dom%d access to [%x,%x]", p.rc(), d.domid, mfn, mfnEnd);
            }
            // dma: lease: the IOMMU entries go too, the IOTLB is flushed, and the answer waits for
            // the device to finish DMA into these frames.
            if (x.cfg.dmaLease() && d.passthrough) { x.dma.lease(e, d, gfn, nr, mfn, p.rc()); return; }
            if (d.passthrough) x.dma.p2mRemoved(d, gfn, nr);
            x.ret(e, p.rc());
        }
    }

    /**
     * The sanity check the design doc asked for (a QEMU is not to be trusted): a guest may be given
     * only pmem data areas handed over with pmem_setup, never RAM, never a management area, never
     * frames another domain has mapped. Null when allowed.
     */
    private String pmemMappingRefusal(Domain d, long s, long t) {
        if (x.heap.ram().intersects(s, t)) return org.vnvdimm.contract.ComponentBehavior.format("MFNs %#x - %#x are RAM", s, t);
        if (x.pmem.mgmtAreas().intersects(s, t)) return org.vnvdimm.contract.ComponentBehavior.format("MFNs %#x - %#x are Xen's management area", s, t);
        if (!x.pmem.dataAreas().containsAll(s, t)) return org.vnvdimm.contract.ComponentBehavior.format("MFNs %#x - %#x are not a pmem data area", s, t);
        for (ExtentMap.Extent<PmemRegistry.Owner> o : x.pmem.owners().overlapping(s, t - s)) {
            if (o.value().domid() != d.domid) {
                return org.vnvdimm.contract.ComponentBehavior.format("MFNs %#x - %#x are mapped by d%d", o.start(), o.end(), o.value().domid());
            }
        }
        return null;
    }
}
