package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import org.vnvdimm.contract.ComponentBehavior.ProtocolError;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.ranges.ExtentMap;

/**
 * HVM guests' memory and port accesses (the EPT walk; port I/O to the ioreq server that claimed the
 * port), and privcmd foreign-memory access, by which QEMU in Dom0 reaches its guest's RAM.
 */
final class VcpuAccess {
    private final Xen x;

    VcpuAccess(Xen x) { this.x = x; }

    /** privcmd foreign mapping + copy, as QEMU reaches into its guest's RAM. */
    void foreignMem(Envelope e) {
        ForeignMemAccess f = e.getForeignMemAccess();
        if (!onePage(f.getGpa(), f.getLen()) || (f.getWrite() && f.getData().size() != f.getLen())) {
            memFail(e, Errno.EINVAL, f.getGpa());
            return;
        }
        Domain d = x.domains.get(f.getDomid());
        if (d == null) { memFail(e, Errno.ESRCH, f.getGpa()); return; }
        if (!x.privileged(e)) { memFail(e, Errno.EPERM, f.getGpa()); return; }
        ExtentMap.Extent<P2m.Run> r = d.p2m.lookup(f.getGpa() >>> PAGE_SHIFT);
        if (r == null || r.value().type() != p2m_ram_rw) {
            // Foreign mappings are of guest RAM only (XENMAPSPACE_gmfn_foreign).
            memFail(e, Errno.EFAULT, f.getGpa());
            return;
        }
        long spa = pfnToAddr(r.value().mfn()) | (f.getGpa() & (PAGE_SIZE - 1));
        MemAccess.Builder m = MemAccess.newBuilder().setOp(f.getWrite() ? MemAccess.Op.WRITE : MemAccess.Op.READ)
                .setSpa(spa).setLen(f.getLen()).setInitiatorDomid(0).setReplyTo(e.getFrom()).setReplyTag(e.getTag()).setGpa(f.getGpa());
        if (f.getWrite()) m.setData(f.getData());
        x.xsend(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(m));
    }

    private void memFail(Envelope req, Errno err, long gpa) {
        x.xreplyTo(req, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setRc(err.neg()).setGpa(gpa)));
    }

    private static boolean onePage(long addr, long len) {
        return addr >= 0 && len > 0 && len <= PAGE_SIZE && (addr >>> PAGE_SHIFT) == ((addr + len - 1) >>> PAGE_SHIFT);
    }

    /** A vCPU load or store: the EPT walk. RAM and direct MMIO reach the bus; anything else faults. */
    void mem(Envelope e) {
        GuestMemAccess g = e.getGuestMemAccess();
        int domid = x.callerDomid(e);
        Domain d = x.domains.get(domid);
        if (d == null || !d.started || !d.hvm) throw new ProtocolError("memory access from a domain that is not a running HVM guest");
        if (g.getDma()) { x.dma.program(e, d, g); return; }
        if (!onePage(g.getGpa(), g.getLen()) || (g.getWrite() && g.getData().size() != g.getLen()) || (g.getFlush() && g.getWrite())) {
            fault(e, g.getGpa(), p2m_invalid, Errno.EINVAL, "access must lie within one page");
            return;
        }
        ExtentMap.Extent<P2m.Run> r = d.p2m.lookup(g.getGpa() >>> PAGE_SHIFT);
        if (r == null && g.getFlush() && d.serverForMmio(g.getGpa()) != null) {
            // Stores to a trapped frame went through the device model, which wrote them through
            // Dom0's file: no line of that frame is in this vCPU's cache. [inferred]
            x.xreplyTo(e, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setRc(0).setGpa(g.getGpa())));
            return;
        }
        Domain.IoreqServer dm = r == null ? d.serverForMmio(g.getGpa()) : null;
        if (dm != null) {
            // No p2m entry, but a device model claimed the range: hvm_hap_nested_page_fault ->
            // handle_mmio, and the access goes to that ioreq server as IOREQ_TYPE_COPY.
            if (x.pendingMmio.containsKey(domid) || x.pendingPortIo.containsKey(domid)) throw new ProtocolError("d" + domid + " vcpu0 already waits for an ioreq");
            x.pendingMmio.put(domid, e);
            x.xsend(dm.dmRole, Envelope.newBuilder().setIoreq(Ioreq.newBuilder().setAddr(g.getGpa()).setSize((int) g.getLen()).setCount(1)
                    .setDir(g.getWrite() ? IOREQ_WRITE : IOREQ_READ).setType(IOREQ_TYPE_COPY).setDataIsPtr(1).setState(1).setDomid(domid).setVcpu(0)
                    .setBuf(g.getData())));
            return;
        }
        if (r == null) {
            fault(e, g.getGpa(), p2m_invalid, Errno.EFAULT, "no p2m entry");
            return;
        }
        int t = r.value().type();
        if (t != p2m_ram_rw && t != p2m_mmio_direct) {
            fault(e, g.getGpa(), t, Errno.EFAULT, "p2m type " + p2mTypeName(t));
            return;
        }
        long spa = pfnToAddr(r.value().mfn()) | (g.getGpa() & (PAGE_SIZE - 1));
        MemAccess.Op op = g.getFlush() ? MemAccess.Op.FLUSH : g.getWrite() ? MemAccess.Op.WRITE : MemAccess.Op.READ;
        MemAccess.Builder m = MemAccess.newBuilder().setOp(op)
                .setSpa(spa).setLen(g.getLen()).setInitiatorDomid(domid).setReplyTo(e.getFrom()).setReplyTag(e.getTag()).setGpa(g.getGpa());
        if (g.getWrite()) m.setData(g.getData());
        x.xsend(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(m));
    }

    private void fault(Envelope req, long gpa, int type, Errno err, String why) {
        x.xreplyTo(req, Envelope.newBuilder().setGuestFault(GuestFault.newBuilder().setGpa(gpa).setP2MType(type).setRc(err.neg()).setReason(why)));
    }

    /** Port I/O traps to the ioreq server that claimed the port; unclaimed ports float high. */
    void io(Envelope e) {
        GuestIo io = e.getGuestIo();
        int domid = x.callerDomid(e);
        Domain d = x.domains.get(domid);
        if (d == null || !d.started || !d.hvm) throw new ProtocolError("port I/O from a domain that is not a running HVM guest");
        if (io.getPort() < 0 || io.getPort() > 0xffff || (io.getSize() != 1 && io.getSize() != 2 && io.getSize() != 4)) {
            fault(e, io.getPort(), p2m_invalid, Errno.EINVAL, "bad port access");
            return;
        }
        Domain.IoreqServer s = d.serverForPort(io.getPort());
        if (s == null) {
            long ones = io.getSize() == 4 ? 0xffffffffL : (1L << (8 * io.getSize())) - 1;
            x.xreplyTo(e, Envelope.newBuilder().setGuestIoDone(GuestIoDone.newBuilder().setData(io.getWrite() ? 0 : ones)));
            return;
        }
        if (x.pendingPortIo.containsKey(domid)) throw new ProtocolError("d" + domid + " vcpu0 already waits for an ioreq");
        x.pendingPortIo.put(domid, e);
        x.xsend(s.dmRole, Envelope.newBuilder().setIoreq(Ioreq.newBuilder().setAddr(io.getPort()).setData(io.getWrite() ? io.getData() : 0)
                .setCount(1).setSize(io.getSize()).setDir(io.getWrite() ? IOREQ_WRITE : IOREQ_READ).setType(IOREQ_TYPE_PIO)
                .setState(1).setDomid(domid).setVcpu(0)));
    }

    void ioreqDone(Envelope e) {
        IoreqDone done = e.getIoreqDone();
        Envelope mmio = x.pendingMmio.get(done.getDomid());
        if (mmio != null) {
            Domain dm = x.domains.get(done.getDomid());
            Domain.IoreqServer s = dm == null ? null : dm.serverForMmio(mmio.getGuestMemAccess().getGpa());
            if (s == null || !s.dmRole.equals(e.getFrom())) throw new ProtocolError("ioreq completion from " + e.getFrom() + ", not the server");
            x.pendingMmio.remove(done.getDomid());
            GuestMemAccess g = mmio.getGuestMemAccess();
            MemAccessDone.Builder b = MemAccessDone.newBuilder().setRc(done.getRc()).setGpa(g.getGpa());
            if (!g.getWrite() && done.getRc() == 0) b.setData(done.getBuf());
            x.xreplyTo(mmio, Envelope.newBuilder().setMemAccessDone(b));
            return;
        }
        Domain d = x.domains.get(done.getDomid());
        Envelope waiting = x.pendingPortIo.get(done.getDomid());
        if (d == null || waiting == null) throw new ProtocolError("ioreq completion for d" + done.getDomid() + " with nothing pending");
        Domain.IoreqServer s = d.serverForPort(waiting.getGuestIo().getPort());
        if (s == null || !s.dmRole.equals(e.getFrom())) throw new ProtocolError("ioreq completion from " + e.getFrom() + ", not the server");
        x.pendingPortIo.remove(done.getDomid());
        x.xreplyTo(waiting, Envelope.newBuilder().setGuestIoDone(GuestIoDone.newBuilder().setData(done.getData())));
    }
}
