package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import org.vnvdimm.proto.PmemArea;

/**
 * common/pmem.c (rfc-v3/v4 pmem_setup, pmem_arch_setup): Xen places the frame table and M2P for a
 * pmem range in a management area and takes that area from Dom0. Callers have validated everything;
 * these only act. Each writes Xen's tables to the media and continues when the bus has taken them.
 */
final class PmemSetup {
    private final Xen x;

    PmemSetup(Xen x) { this.x = x; }

    /** A management area: its own frame table and M2P go at its start; Dom0 loses it. */
    void setupMgmt(long s, long t, Runnable then) {
        long need = mgmtPagesFor(t - s);
        x.pmem.addMgmt(s, t, need);
        // Observed before the write is sent: the oracles learn the area is Xen's before the bus sees it.
        x.xobserve(Xen.pmemArea(PmemArea.Kind.MGMT, s, t, 0));
        x.xobserve(Xen.pmemArea(PmemArea.Kind.XEN_USED, s, s + need, 0));
        withdrawFromDom0(s, t);
        x.xlog("(XEN) PMEM: management area MFNs %#x - %#x, %d pages used by Xen", s, t, need);
        x.xenWrite(s, need, "xen-frametable+m2p", done -> then.run());
    }

    /** A data area: its frame table and M2P go into the management area's free part. */
    void setupData(long s, long t, PmemRegistry.Mgmt m, Runnable then) {
        long need = mgmtPagesFor(t - s);
        long at = m.smfn + m.usedMfns;
        m.usedMfns += need;
        x.pmem.addData(new PmemRegistry.Data(s, t, m.smfn, m.emfn));
        x.xobserve(Xen.pmemArea(PmemArea.Kind.DATA, s, t, 0));
        x.xobserve(Xen.pmemArea(PmemArea.Kind.XEN_USED, at, at + need, 0));
        x.xlog("(XEN) PMEM: data area MFNs %#x - %#x, frame table and M2P at MFNs %#x - %#x", s, t, at, at + need);
        x.xenWrite(at, need, "xen-frametable+m2p", done -> then.run());
    }

    /**
     * iomem_deny_access(dom0, area): from now on Xen refuses Dom0's accesses to the area. Real Xen
     * does not revoke PTEs Dom0 already holds; Dom0 holds no long-lived mapping here (README).
     */
    private void withdrawFromDom0(long s, long t) {
        x.domains.get(0).iomemCaps.remove(s, t);
        x.xlog("(XEN) PMEM: MFNs %#x - %#x withdrawn from Dom0", s, t);
    }
}
