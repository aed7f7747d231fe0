package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.Locale;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.*;

/**
 * __HYPERVISOR_platform_op (arch/x86/platform_hypercall.c): the interface version (-EACCES), the
 * hardware domain only (-EPERM), then the command. rfc-v1's XENPF_pmem_add checks every range, then
 * registers the region; with a reserved and a data area it also sets them up (frame table + M2P in
 * the reserved area, which Dom0 then loses) and answers once Xen's tables are written.
 */
final class PlatformHypercall {
    private final Xen x;

    PlatformHypercall(Xen x) { this.x = x; }

    void handle(Envelope e) {
        PlatformOp op = e.getPlatformOp();
        if (op.getInterfaceVersion() != XENPF_INTERFACE_VERSION) { x.retErr(e, Errno.EACCES, "interface version"); return; }
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, e.getFrom() + " is not the hardware domain"); return; }
        if (op.getCmd() != XENPF_pmem_add || op.getUCase() != PlatformOp.UCase.PMEM_ADD) { x.ret(e, Errno.ENOSYS.neg()); return; }
        pmemAdd(e, op.getPmemAdd());
    }

    private void pmemAdd(Envelope e, XenpfPmemAdd a) {
        long s = a.getSpfn(), t = a.getEpfn();
        if (s < 0 || t <= s || x.beyondPaddr(t - 1)) { x.retErr(e, Errno.EINVAL, "pmem_add: bad range"); return; }
        boolean rsv = a.getRsvEpfn() > a.getRsvSpfn();
        boolean data = a.getDataEpfn() > a.getDataSpfn();
        if (rsv != data) { x.retErr(e, Errno.EINVAL, "pmem_add: reserved and data areas go together"); return; }
        if (rsv && (a.getRsvSpfn() < s || a.getRsvEpfn() > t || a.getDataSpfn() < s || a.getDataEpfn() > t
                || (a.getRsvSpfn() < a.getDataEpfn() && a.getDataSpfn() < a.getRsvEpfn()))) {
            x.retErr(e, Errno.EINVAL, "pmem_add: areas outside the region or overlapping");
            return;
        }
        if (x.heap.ram().intersects(s, t)) {
            x.retErr(e, Errno.EINVAL, String.format(Locale.ROOT, "pmem_add: pfns %#x - %#x overlap RAM", s, t));
            return;
        }
        if (x.pmem.reported().intersects(s, t)) { x.retErr(e, Errno.EEXIST, null); return; }
        if (rsv && mgmtPagesFor(a.getRsvEpfn() - a.getRsvSpfn()) + mgmtPagesFor(a.getDataEpfn() - a.getDataSpfn())
                > a.getRsvEpfn() - a.getRsvSpfn()) {
            x.retErr(e, Errno.ENOSPC, "pmem_add: reserved area too small for frame table and M2P");
            return;
        }
        x.pmem.report(new PmemRegistry.Raw(s, t, a.getPxm()));
        x.xobserve(Xen.pmemArea(PmemArea.Kind.REPORTED, s, t, a.getPxm()));
        x.xlog("(XEN) pmem: pfns %#x - %#x reported by Dom0 (pxm %d)%s", s, t, a.getPxm(),
                rsv ? String.format(Locale.ROOT, ", reserved %#x - %#x, data %#x - %#x", a.getRsvSpfn(), a.getRsvEpfn(), a.getDataSpfn(), a.getDataEpfn()) : "");
        if (!rsv) { x.ret(e, 0); return; }
        x.pmemSetup.setupMgmt(a.getRsvSpfn(), a.getRsvEpfn(), () ->
                x.pmemSetup.setupData(a.getDataSpfn(), a.getDataEpfn(), x.pmem.mgmtMatching(a.getRsvSpfn(), a.getRsvEpfn()), () -> x.ret(e, 0)));
    }
}
