package org.vnvdimm.sim.oracle;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.*;
import org.vnvdimm.sim.platform.PlatformModel;

/** What the oracle tests share: a platform, a sequence counter, and builders for what the wire delivers. */
abstract class OracleHarness {
    Oracles o;
    /** The hardware the oracles are given (tests hot-add DIMMs to it as the platform would). */
    PlatformModel model;
    long seq;
    static final long PMEM = 0x280000;   // first pmem MFN of the platform below (RAM 8 GiB + 2 GiB hole)

    @BeforeEach
    void platform() {
        model = new PlatformModel(PlatformConfig.newBuilder().setRamBytes(8L << 30)
                .addDimms(DimmConfig.newBuilder().setHandle(1).setSizeBytes(16L << 30)).build());
        o = new Oracles(model);
        seq = 0;
        // The firmware tells Xen the DIMM is pmem (E820 type 7), as the built-in scenarios do.
        step(Envelope.newBuilder().setFrom("platform").setTo("xen").setFirmwareHandoff(FirmwareHandoff.newBuilder()
                .addE820(E820Entry.newBuilder().setAddr(PMEM << 12).setSize(16L << 30).setType(7))));
    }

    List<Verdict> step(Envelope.Builder e, Observation... obs) {
        Envelope d = e.setSeq(++seq).build();
        return o.afterDelivery(d, StepResult.newBuilder().setRole(d.getTo()).setHandledSeq(seq).addAllObserved(List.of(obs)).build());
    }

    /** Deliver a hypercall from `from` to Xen, then Xen's answer rc; the verdicts at the answer. */
    List<Verdict> hypercall(String from, Envelope.Builder call, long rc) {
        step(call.setFrom(from).setTo("xen"));
        long callSeq = seq;
        return step(Envelope.newBuilder().setFrom("xen").setTo(from).setInReplyTo(callSeq).setHypercallRet(HypercallRet.newBuilder().setRc(rc)));
    }

    static Envelope.Builder mapping(int dom, long gfn, long mfn, long nr, boolean add) {
        return Envelope.newBuilder().setDomctl(Domctl.newBuilder().setCmd(XEN_DOMCTL_memory_mapping).setDomain(dom)
                .setMemoryMapping(DomctlMemoryMapping.newBuilder().setFirstGfn(gfn).setFirstMfn(mfn).setNrMfns(nr)
                        .setAddMapping(add ? DPCI_ADD_MAPPING : DPCI_REMOVE_MAPPING)));
    }

    static Envelope.Builder pmemAdd(long s, long t, long rs, long rt, long ds, long dt) {
        return Envelope.newBuilder().setPlatformOp(PlatformOp.newBuilder().setCmd(XENPF_pmem_add).setPmemAdd(XenpfPmemAdd.newBuilder()
                .setSpfn(s).setEpfn(t).setRsvSpfn(rs).setRsvEpfn(rt).setDataSpfn(ds).setDataEpfn(dt)));
    }

    static Envelope.Builder bus(int initiator, MemAccess.Op op, long spa, long len, String replyTo, long gpa) {
        MemAccess.Builder m = MemAccess.newBuilder().setOp(op).setSpa(spa).setInitiatorDomid(initiator).setReplyTo(replyTo).setGpa(gpa);
        if (op == MemAccess.Op.WRITE) m.setData(ByteString.copyFrom(new byte[(int) len]));
        else m.setLen(len);
        return Envelope.newBuilder().setFrom("xen").setTo("platform").setMemAccess(m);
    }

    static Observation extents(String path, long... pgoffMfnNr) {
        FileExtents.Builder f = FileExtents.newBuilder().setPath(path);
        for (int i = 0; i < pgoffMfnNr.length; i += 3) f.addExtents(FileExtent.newBuilder().setFilePgoff(pgoffMfnNr[i]).setMfn(pgoffMfnNr[i + 1]).setNr(pgoffMfnNr[i + 2]));
        return Observation.newBuilder().setFileExtents(f).build();
    }

    static Observation layout(int dom, long gfn, long nr, String path) {
        return Observation.newBuilder().setVnvdimm(VnvdimmLayout.newBuilder().setDomid(dom).setGfn(gfn).setNr(nr).setPath(path)).build();
    }

    static Envelope.Builder any() { return Envelope.newBuilder().setFrom("xen").setTo("dom0").setPowerOn(PowerOn.getDefaultInstance()); }

    /** Dom0 reports the whole DIMM with a reserved area for Xen and the rest as data (rfc-v1). */
    void handOver() {
        assertEquals(List.of(), hypercall("dom0", pmemAdd(PMEM, PMEM + 0x400000, PMEM + 2, PMEM + 0x2a02, PMEM + 0x2a02, PMEM + 0x400000), 0));
    }

}
