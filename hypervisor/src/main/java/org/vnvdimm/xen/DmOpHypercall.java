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
            case SET_ISA_IRQ_LEVEL -> setIsaIrqLevel(e, d, op.getSetIsaIrqLevel());
            case U_NOT_SET -> x.ret(e, Errno.EOPNOTSUPP.neg());
        }
    }

    /**
     * XEN_DMOP_set_isa_irq_level (dm.c set_isa_irq_level): isa_irq above 15 or a level other than
     * 0/1 is -EINVAL. Asserting a line that was low is an edge the virtual PIC/IO-APIC delivers to
     * vCPU0 (hvm_isa_irq_assert; ISA IRQ n is GSI n except IRQ 0, which is GSI 2); asserting a line
     * already high, or deasserting, delivers nothing.
     */
    private void setIsaIrqLevel(Envelope e, Domain d, XenDmOpSetIsaIrqLevel a) {
        if (a.getIsaIrq() >= NR_ISA_IRQS) { x.retErr(e, Errno.EINVAL, "set_isa_irq_level: isa_irq " + a.getIsaIrq()); return; }
        if (a.getLevel() > 1) { x.retErr(e, Errno.EINVAL, "set_isa_irq_level: level " + a.getLevel()); return; }
        int bit = 1 << a.getIsaIrq();
        boolean wasHigh = (d.isaIrqAsserted & bit) != 0;
        if (a.getLevel() == 1) d.isaIrqAsserted |= bit; else d.isaIrqAsserted &= ~bit;
        if (a.getLevel() == 1 && !wasHigh && d.started) {
            int gsi = a.getIsaIrq() == 0 ? 2 : a.getIsaIrq();
            x.xsend(org.vnvdimm.contract.Roles.guest(d.domid), Envelope.newBuilder().setGuestInterrupt(GuestInterrupt.newBuilder()
                    .setIsaIrq(a.getIsaIrq()).setGsi(gsi)));
        }
        x.ret(e, 0);
    }

    private static Domain.IoreqServer server(Domain d, int id) {
        for (Domain.IoreqServer s : d.ioreqServers) if (s.id == id) return s;
        return null;
    }
}
