package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.*;

/**
 * __HYPERVISOR_sysctl (common/sysctl.c) with rfc-v3/v4's XEN_SYSCTL_nvdimm_op: the interface version
 * (-EACCES), the caller's privilege (-EPERM), then the sub-command, which checks all its arguments
 * before acting. An unknown sub-command is -ENOSYS with no copy-back; otherwise err carries -rc.
 * rfc-v1 (the `seeds` profile) has no XEN_SYSCTL_nvdimm_op: -ENOSYS there.
 */
final class SysctlHypercall {
    private final Xen x;

    SysctlHypercall(Xen x) { this.x = x; }

    void handle(Envelope e) {
        Sysctl sc = e.getSysctl();
        if (sc.getInterfaceVersion() != XEN_SYSCTL_INTERFACE_VERSION) { x.retErr(e, Errno.EACCES, "interface version"); return; }
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, e.getFrom() + " may not use sysctl"); return; }
        if (!x.cfg.rfcV4() || sc.getCmd() != XEN_SYSCTL_nvdimm_op || sc.getUCase() != Sysctl.UCase.NVDIMM) { x.ret(e, Errno.ENOSYS.neg()); return; }
        XenSysctlNvdimmOp op = sc.getNvdimm();
        XenSysctlNvdimmOp.Builder out = op.toBuilder();
        switch (op.getCmd()) {
            case XEN_SYSCTL_nvdimm_pmem_get_regions_nr -> done(e, out, regionsNr(op, out));
            case XEN_SYSCTL_nvdimm_pmem_get_regions -> done(e, out, regions(op, out));
            case XEN_SYSCTL_nvdimm_pmem_setup -> setup(e, op, out);
            default -> x.ret(e, Errno.ENOSYS.neg());   // unknown sub-op: no copy-back
        }
    }

    private void done(Envelope e, XenSysctlNvdimmOp.Builder out, long rc) {
        out.setErr(rc < 0 ? (int) -rc : 0);
        x.answer(e, HypercallRet.newBuilder().setRc(rc).setNvdimm(out));
    }

    private long regionsNr(XenSysctlNvdimmOp op, XenSysctlNvdimmOp.Builder out) {
        if (!op.hasPmemRegionsNr()) return Errno.EINVAL.neg();
        int n = switch (op.getPmemRegionsNr().getType()) {
            case PMEM_REGION_TYPE_RAW -> rawView().size();
            case PMEM_REGION_TYPE_MGMT -> x.pmem.mgmtRegions().size();
            case PMEM_REGION_TYPE_DATA -> x.pmem.dataRegions().size();
            default -> -1;
        };
        if (n < 0) return Errno.EINVAL.neg();
        out.getPmemRegionsNrBuilder().setNumRegions(n);
        return 0;
    }

    /** RAW: the regions acpi_nfit_init() registered from the boot NFIT (pmem_raw_regions). */
    private List<PmemRegistry.Raw> rawView() {
        List<PmemRegistry.Raw> out = new ArrayList<>(x.pmem.rawRegions());
        out.sort(Comparator.comparingLong(PmemRegistry.Raw::smfn));
        return out;
    }

    private long regions(XenSysctlNvdimmOp op, XenSysctlNvdimmOp.Builder out) {
        if (!op.hasPmemRegions()) return Errno.EINVAL.neg();
        XenSysctlNvdimmPmemRegions in = op.getPmemRegions();
        XenSysctlNvdimmPmemRegions.Builder b = XenSysctlNvdimmPmemRegions.newBuilder().setType(in.getType());
        int cap = in.getNumRegions();
        int n = 0;
        switch (in.getType()) {
            case PMEM_REGION_TYPE_RAW -> {
                for (PmemRegistry.Raw r : rawView()) {
                    if (n == cap) break;
                    b.addRawRegions(XenSysctlNvdimmPmemRawRegion.newBuilder().setSmfn(r.smfn()).setEmfn(r.emfn()).setPxm(r.pxm()));
                    n++;
                }
            }
            case PMEM_REGION_TYPE_MGMT -> {
                for (PmemRegistry.Mgmt m : x.pmem.mgmtRegions()) {
                    if (n == cap) break;
                    b.addMgmtRegions(XenSysctlNvdimmPmemMgmtRegion.newBuilder().setSmfn(m.smfn).setEmfn(m.emfn).setUsedMfns(m.usedMfns));
                    n++;
                }
            }
            case PMEM_REGION_TYPE_DATA -> {
                for (PmemRegistry.Data d : x.pmem.dataRegions()) {
                    if (n == cap) break;
                    b.addDataRegions(XenSysctlNvdimmPmemDataRegion.newBuilder().setSmfn(d.smfn()).setEmfn(d.emfn())
                            .setMgmtSmfn(d.mgmtSmfn()).setMgmtEmfn(d.mgmtEmfn()));
                    n++;
                }
            }
            default -> { return Errno.EINVAL.neg(); }
        }
        out.setPmemRegions(b.setNumRegions(n));
        return 0;
    }

    /** Both area types: inside one registered RAW region (-EINVAL), not already handed over (-EEXIST). */
    private long placement(long s, long t) {
        if (x.pmem.rawContaining(s, t) == null) {
            x.xlog("(XEN) PMEM: MFNs %#x - %#x not inside one registered PMEM region", s, t);
            return Errno.EINVAL.neg();
        }
        if (x.pmem.mgmtAreas().intersects(s, t) || x.pmem.dataAreas().intersects(s, t)) return Errno.EEXIST.neg();
        return 0;
    }

    /** pmem_setup: every check first; then Xen writes its tables and answers once they are written. */
    private void setup(Envelope e, XenSysctlNvdimmOp op, XenSysctlNvdimmOp.Builder out) {
        if (!op.hasPmemSetup()) { done(e, out, Errno.EINVAL.neg()); return; }
        XenSysctlNvdimmPmemSetup p = op.getPmemSetup();
        long s = p.getSmfn(), t = p.getEmfn();
        if (s < 0 || t <= s || x.beyondPaddr(t - 1)) { done(e, out, Errno.EINVAL.neg()); return; }
        if (p.getType() == PMEM_REGION_TYPE_MGMT) {
            if (p.getMgmtSmfn() != s || p.getMgmtEmfn() != t) { done(e, out, Errno.EINVAL.neg()); return; }
            long placed = placement(s, t);
            if (placed != 0) { done(e, out, placed); return; }
            long need = mgmtPagesFor(t - s);
            if (need > t - s) {
                x.xlog("(XEN) PMEM: insufficient management pages, %d pages required, %d pages available", need, t - s);
                done(e, out, Errno.ENOSPC.neg());
                return;
            }
            x.pmemSetup.setupMgmt(s, t, () -> done(e, out, 0));
            return;
        }
        if (p.getType() == PMEM_REGION_TYPE_DATA) {
            PmemRegistry.Mgmt m = x.pmem.mgmtMatching(p.getMgmtSmfn(), p.getMgmtEmfn());
            if (m == null) { done(e, out, Errno.ENXIO.neg()); return; }
            long placed = placement(s, t);
            if (placed != 0) { done(e, out, placed); return; }
            long need = mgmtPagesFor(t - s);
            if (m.usedMfns + need > m.emfn - m.smfn) {
                x.xlog("(XEN) PMEM: insufficient management pages, %d pages required, %d pages available",
                        need, m.emfn - m.smfn - m.usedMfns);
                done(e, out, Errno.ENOSPC.neg());
                return;
            }
            x.pmemSetup.setupData(s, t, m, () -> done(e, out, 0));
            return;
        }
        done(e, out, Errno.EINVAL.neg());
    }
}
