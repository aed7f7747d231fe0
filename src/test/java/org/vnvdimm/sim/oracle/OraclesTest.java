package org.vnvdimm.sim.oracle;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.*;
import org.vnvdimm.sim.platform.PlatformModel;

/** Each oracle fires on the step that breaks its property, and not otherwise. */
class OraclesTest {
    Oracles o;
    long seq;
    static final long PMEM = 0x280000;   // first pmem MFN of the platform below

    @BeforeEach
    void platform() {
        o = new Oracles(new PlatformModel(PlatformConfig.newBuilder().setRamBytes(8L << 30)
                .addDimms(DimmConfig.newBuilder().setHandle(1).setSizeBytes(16L << 30)).build()));
        seq = 0;
    }

    List<Verdict> step(Envelope.Builder e, Observation... obs) {
        Envelope d = e.setSeq(++seq).build();
        return o.afterDelivery(d, StepResult.newBuilder().setRole(d.getTo()).setHandledSeq(seq).addAllObserved(List.of(obs)).build());
    }

    static Observation p2m(int dom, long gfn, long nr, long mfn, boolean remove) {
        return Observation.newBuilder().setP2M(P2mChange.newBuilder().setDomid(dom).setGfn(gfn).setNr(nr).setMfn(mfn)
                .setP2MType(p2m_mmio_direct).setRemove(remove)).build();
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

    @Test
    void aBlockMoveUnderALiveMappingIsStaleAtThatStep() {
        assertEquals(List.of(), step(any(), extents("/f", 0, PMEM + 0x1000, 256)));
        assertEquals(List.of(), step(any(), layout(1, 0x100000, 256, "/f")));
        assertEquals(List.of(), step(any(), p2m(1, 0x100000, 256, PMEM + 0x1000, false)), "coherent mapping");
        // the filesystem moves pages 16..31 elsewhere, nobody unmaps
        List<Verdict> v = step(any(), extents("/f", 0, PMEM + 0x1000, 16, 16, PMEM + 0x9000, 16, 32, PMEM + 0x1020, 224));
        assertEquals(1, v.size());
        assertEquals("mapping-coherence", v.get(0).getOracle());
        assertEquals(seq, v.get(0).getSeq());
        assertTrue(v.get(0).getDetail().contains("gfn 0x100010"), v.get(0).getDetail());
        // unmapping first (the notifier design) then moving is fine
        platform();
        step(any(), extents("/f", 0, PMEM + 0x1000, 256));
        step(any(), layout(1, 0x100000, 256, "/f"));
        step(any(), p2m(1, 0x100000, 256, PMEM + 0x1000, false));
        assertEquals(List.of(), step(any(), p2m(1, 0x100010, 16, PMEM + 0x1010, true)));
        assertEquals(List.of(), step(any(), extents("/f", 0, PMEM + 0x1000, 16, 16, PMEM + 0x9000, 16, 32, PMEM + 0x1020, 224)));
        // a punched hole under a mapping is stale too
        assertEquals("mapping-coherence", step(any(), extents("/f", 0, PMEM + 0x1000, 8)).get(0).getOracle());
    }

    @Test
    void isolationRamManagementAreaAndAnotherGuestsFrames() {
        assertEquals("isolation", step(any(), p2m(1, 0x100000, 16, 0x20000, false)).get(0).getOracle(), "host RAM");
        step(any(), Observation.newBuilder().setPmemArea(PmemArea.newBuilder().setKind(PmemArea.Kind.MGMT).setSmfn(PMEM).setEmfn(PMEM + 0xa000)).build());
        assertEquals("isolation", step(any(), p2m(2, 0x100000, 16, PMEM + 0x10, false)).get(0).getOracle(), "management area");
        assertEquals(List.of(), step(any(), p2m(3, 0x100000, 16, PMEM + 0xb000, false)));
        List<Verdict> v = step(any(), p2m(4, 0x200000, 8, PMEM + 0xb004, false));
        assertEquals("isolation", v.get(0).getOracle());
        assertTrue(v.get(0).getDetail().contains("that d3 maps"));
        assertEquals(List.of(), step(any(), p2m(0, PMEM + 0xb000, 16, PMEM + 0xb000, false)), "Dom0, the backend, may map it");
    }

    @Test
    void bootSafetyWritesBeforeInspectionAndXenOutsideItsArea() {
        Envelope.Builder xenWrite = Envelope.newBuilder().setFrom("xen").setTo("platform").setMemAccess(MemAccess.newBuilder()
                .setOp(MemAccess.Op.FILL).setSpa(PMEM << 12).setLen(1 << 20).setInitiatorDomid(DOMID_XEN));
        assertEquals("boot-safety", step(xenWrite).get(0).getOracle());
        Envelope.Builder dom0Write = Envelope.newBuilder().setFrom("dom0").setTo("platform").setMemAccess(MemAccess.newBuilder()
                .setOp(MemAccess.Op.WRITE).setSpa((PMEM << 12) + 4096).setData(ByteString.copyFrom(new byte[64])));
        assertEquals("boot-safety", step(dom0Write).get(0).getOracle(), "before Dom0 inspected the range");
        step(any(), Observation.newBuilder().setInspected(PmemInspected.newBuilder().setSmfn(PMEM).setEmfn(PMEM + 0x400000)).build());
        assertEquals(List.of(), step(dom0Write.clone()));
        step(any(), Observation.newBuilder().setPmemArea(PmemArea.newBuilder().setKind(PmemArea.Kind.XEN_USED).setSmfn(PMEM).setEmfn(PMEM + 0x100)).build());
        assertEquals(List.of(), step(xenWrite.clone()), "inside what pmem_setup handed over");
        Envelope.Builder ramWrite = Envelope.newBuilder().setFrom("xen").setTo("platform").setMemAccess(MemAccess.newBuilder()
                .setOp(MemAccess.Op.FILL).setSpa(0x1000000).setLen(4096).setInitiatorDomid(DOMID_XEN));
        assertEquals(List.of(), step(ramWrite), "RAM is not the oracle's business");
    }

    @Test
    void aLoadMustReturnTheLastStore() {
        byte[] data = {1, 2, 3, 4};
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(7).setGuestMemAccess(GuestMemAccess.newBuilder().setWrite(true).setGpa(0x1000).setLen(4).setData(ByteString.copyFrom(data))));
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(7).setMemAccessDone(MemAccessDone.getDefaultInstance())));
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(8).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x1000).setLen(4)));
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(8).setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(data)))));
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(9).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x1000).setLen(4)));
        List<Verdict> v = step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(9).setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[4]))));
        assertEquals("data-integrity", v.get(0).getOracle());
        assertTrue(v.get(0).getDetail().contains("last stored 0x01"), v.get(0).getDetail());
        // a device model's write into guest memory counts as the last value too
        step(Envelope.newBuilder().setFrom("xen").setTo("platform").setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE).setSpa(0x5000).setGpa(0x1000)
                .setReplyTo("qemu-1").setData(ByteString.copyFrom(new byte[4]))));
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(10).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x1000).setLen(4)));
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(10).setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[4])))));
    }

    @Test
    void acpiChecksumsAndLiveness() {
        byte[] t = new byte[40];
        t[0] = 'N';
        List<Verdict> v = step(Envelope.newBuilder().setFrom("platform").setTo("xen").setFirmwareHandoff(FirmwareHandoff.newBuilder()
                .addAcpiTables(AcpiTableBlob.newBuilder().setSignature("NFIT").setData(ByteString.copyFrom(t)))));
        assertEquals("acpi", v.get(0).getOracle());
        step(any(), Observation.newBuilder().setDomainState(DomainState.newBuilder().setDomid(1).setState("created")).build());
        List<Verdict> end = o.atEnd(seq, false);
        assertEquals("liveness", end.get(0).getOracle());
        assertTrue(o.atEnd(seq, true).stream().anyMatch(x -> x.getDetail().contains("step bound")));
    }
}
