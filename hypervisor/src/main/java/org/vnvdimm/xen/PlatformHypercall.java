package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.Locale;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.*;

/**
 * __HYPERVISOR_platform_op (arch/x86/platform_hypercall.c): the interface version (-EACCES), the
 * hardware domain only (-EPERM), then the command. rfc-v1's XENPF_pmem_add (the `seeds` profile;
 * rfc-v4 has no such command, -ENOSYS) checks every range first, as pmem_add_check() does: each
 * non-empty, the reserved and data areas inside the region and apart, the reserved area at least
 * check_reserved_size() of the WHOLE region (32-byte page_info + 8-byte M2P entry per page); any
 * failure is -EINVAL. A region overlapping one already reported is -EINVAL too (rfc-v1's
 * pmem_list_add); rfc-v1 finds that only after it built the tables, the simulation checks it
 * first, with the other arguments. Then it acts: register the region, build Xen's tables in the
 * reserved area (pmem_setup: frame table + M2P), deny Dom0 the reserved area (iomem_deny_access),
 * log the report ("pmem: pfns ... reserved ... data ...") and answer once the tables are written.
 */
final class PlatformHypercall {
    private final Xen x;

    PlatformHypercall(Xen x) { this.x = x; }

    void handle(Envelope e) {
        PlatformOp op = e.getPlatformOp();
        if (op.getInterfaceVersion() != XENPF_INTERFACE_VERSION) { x.retErr(e, Errno.EACCES, "interface version"); return; }
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, e.getFrom() + " is not the hardware domain"); return; }
        if (x.cfg.rfcV4() || op.getCmd() != XENPF_pmem_add || op.getUCase() != PlatformOp.UCase.PMEM_ADD) { x.ret(e, Errno.ENOSYS.neg()); return; }
        pmemAdd(e, op.getPmemAdd());
    }

    /** Why the arguments are refused (-EINVAL), or null. */
    private String badRanges(XenpfPmemAdd a) {
        long s = a.getSpfn(), t = a.getEpfn(), rs = a.getRsvSpfn(), rt = a.getRsvEpfn(), ds = a.getDataSpfn(), dt = a.getDataEpfn();
        if (s < 0 || t <= s) return "empty region";
        if (rs < 0 || rt <= rs) return "empty reserved area";
        if (ds < 0 || dt <= ds) return "empty data area";
        if (x.beyondPaddr(t - 1)) return "region beyond paddr_bits";
        if (rs < s || rt > t) return "reserved area outside the region";
        if (ds < s || dt > t) return "data area outside the region";
        if (rs < dt && ds < rt) return "reserved and data areas overlap";
        if (x.heap.ram().intersects(s, t)) return org.vnvdimm.contract.ComponentBehavior.format("pfns %#x - %#x overlap RAM", s, t);
        // check_reserved_size(rsv, whole region); Xen's own placement (tables for the reserved and
        // the data area, each rounded up to pages) must fit too
        long rsv = rt - rs, n = t - s;
        long need = ((PAGE_INFO_BYTES * n) >>> PAGE_SHIFT) + ((M2P_ENTRY_BYTES * n) >>> PAGE_SHIFT);
        long placed = mgmtPagesFor(rsv) + mgmtPagesFor(dt - ds);
        if (rsv < need || rsv < placed) {
            return org.vnvdimm.contract.ComponentBehavior.format("reserved area of %d pages too small for the frame table and M2P of %d pages (%d pages required)",
                    rsv, n, Math.max(need, placed));
        }
        if (x.pmem.reported().intersects(s, t)) return "region overlaps one already reported";
        return null;
    }

    private void pmemAdd(Envelope e, XenpfPmemAdd a) {
        String bad = badRanges(a);
        if (bad != null) { x.retErr(e, Errno.EINVAL, "pmem_add: " + bad); return; }
        long s = a.getSpfn(), t = a.getEpfn();
        // rfc-v1's struct has no proximity domain: the region is registered without one (0).
        x.pmem.report(new PmemRegistry.Raw(s, t, 0));
        x.xobserve(Xen.pmemArea(PmemArea.Kind.REPORTED, s, t, 0));
        x.xlog("(XEN) pmem: pfns %#x - %#x, reserved %#x - %#x, data %#x - %#x", s, t, a.getRsvSpfn(), a.getRsvEpfn(), a.getDataSpfn(), a.getDataEpfn());
        x.pmemSetup.setupMgmt(a.getRsvSpfn(), a.getRsvEpfn(), () ->
                x.pmemSetup.setupData(a.getDataSpfn(), a.getDataEpfn(), x.pmem.mgmtMatching(a.getRsvSpfn(), a.getRsvEpfn()), () -> x.ret(e, 0)));
    }
}
