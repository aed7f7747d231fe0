package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.*;

/**
 * __HYPERVISOR_dm_op (arch/x86/hvm/dm.c do_dm_op): the target domain (-ESRCH), an HVM target
 * (-EINVAL), the device model's rights (xsm_dm_op, -EPERM), then the op's own checks.
 */
final class DmOpHypercall {
    private final Xen x;
    private int nextIoreqServerId = 1;

    DmOpHypercall(Xen x) { this.x = x; }

    void handle(Envelope e) {
        DmOp op = e.getDmOp();
        Domain d = x.domains.get(op.getDomid());
        if (d == null) { x.ret(e, Errno.ESRCH.neg()); return; }
        if (!d.hvm) { x.retErr(e, Errno.EINVAL, "dm_op on d" + d.domid + ", which is not HVM"); return; }
        if (!x.privileged(e)) { x.retErr(e, Errno.EPERM, e.getFrom() + " is not a device model"); return; }
        switch (op.getUCase()) {
            case CREATE_IOREQ_SERVER -> {
                Domain.IoreqServer s = new Domain.IoreqServer(nextIoreqServerId++, e.getFrom());
                d.ioreqServers.add(s);
                x.answer(e, HypercallRet.newBuilder().setRc(0).setDmOp(op.toBuilder()
                        .setCreateIoreqServer(op.getCreateIoreqServer().toBuilder().setId(s.id))));
            }
            case MAP_IO_RANGE_TO_IOREQ_SERVER -> {
                XenDmOpIoreqServerRange r = op.getMapIoRangeToIoreqServer();
                if (r.getEnd() < r.getStart() || r.getStart() < 0
                        || (r.getType() == XEN_DMOP_IO_RANGE_PORT && r.getEnd() > 0xffff)
                        || (r.getType() != XEN_DMOP_IO_RANGE_PORT && r.getType() != XEN_DMOP_IO_RANGE_MEMORY)) {
                    x.retErr(e, Errno.EINVAL, "map_io_range: bad range");
                    return;
                }
                Domain.IoreqServer s = server(d, r.getId());
                if (s == null) { x.ret(e, Errno.ENOENT.neg()); return; }
                (r.getType() == XEN_DMOP_IO_RANGE_PORT ? s.ports : s.mmio).add(r.getStart(), r.getEnd() + 1);
                x.ret(e, 0);
            }
            case SET_IOREQ_SERVER_STATE -> {
                Domain.IoreqServer s = server(d, op.getSetIoreqServerState().getId());
                if (s == null) { x.ret(e, Errno.ENOENT.neg()); return; }
                s.enabled = op.getSetIoreqServerState().getEnabled() != 0;
                x.ret(e, 0);
            }
            case U_NOT_SET -> x.ret(e, Errno.EOPNOTSUPP.neg());
        }
    }

    private static Domain.IoreqServer server(Domain d, int id) {
        for (Domain.IoreqServer s : d.ioreqServers) if (s.id == id) return s;
        return null;
    }
}
