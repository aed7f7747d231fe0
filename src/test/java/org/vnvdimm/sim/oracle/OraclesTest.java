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

/**
 * Each oracle fires on the delivery that breaks its property, and not otherwise. The oracles are
 * fed what the wire delivers (hypercalls and Xen's answers, bus accesses, guest loads and stores);
 * components' claims about themselves are not evidence, which the last tests check.
 */
class OraclesTest extends OracleHarness {
    @Test
    void aBlockMoveUnderALiveMappingIsStaleAtThatStep() {
        handOver();
        assertEquals(List.of(), step(any(), extents("/f", 0, PMEM + 0x3000, 256)));
        assertEquals(List.of(), step(any(), layout(1, 0x100000, 256, "/f")));
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 256, true), 0), "coherent mapping");
        // the filesystem moves pages 16..31 elsewhere, nobody unmaps
        List<Verdict> v = step(any(), extents("/f", 0, PMEM + 0x3000, 16, 16, PMEM + 0x9000, 16, 32, PMEM + 0x3020, 224));
        assertEquals(1, v.size());
        assertEquals("mapping-coherence", v.get(0).getOracle());
        assertEquals(seq, v.get(0).getSeq());
        assertTrue(v.get(0).getDetail().contains("gfn 0x100010"), v.get(0).getDetail());
        // unmapping first (the notifier design) then moving is fine
        platform();
        handOver();
        step(any(), extents("/f", 0, PMEM + 0x3000, 256));
        step(any(), layout(1, 0x100000, 256, "/f"));
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 256, true), 0);
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x100010, PMEM + 0x3010, 16, false), 0));
        assertEquals(List.of(), step(any(), extents("/f", 0, PMEM + 0x3000, 16, 16, PMEM + 0x9000, 16, 32, PMEM + 0x3020, 224)));
        // a punched hole under a mapping is stale too
        assertEquals("mapping-coherence", step(any(), extents("/f", 0, PMEM + 0x3000, 8)).get(0).getOracle());
    }

    @Test
    void aMappingXenRefusedIsNoMapping() {
        handOver();
        step(any(), extents("/f", 0, PMEM + 0x3000, 256));
        step(any(), layout(1, 0x100000, 256, "/f"));
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x100000, 0x20000, 16, true), Errno.EPERM.neg()), "refused: RAM never mapped");
        // partial progress: only the first 64 frames are mapped, the rest of the layout is not stale but unmapped
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 256, true), 64));
        assertEquals("isolation", step(bus(1, MemAccess.Op.READ, (PMEM + 0x3000 + 100) << 12, 64, "guest-1", (0x100000L + 100) << 12)).get(0).getOracle(),
                "frame 100 was not in the 64 Xen mapped");
    }

    @Test
    void isolationRamManagementAreaAndAnotherGuestsFrames() {
        handOver();
        List<Verdict> ram = hypercall("qemu-1", mapping(1, 0x100000, 0x20000, 16, true), 0);
        assertEquals("isolation", ram.get(0).getOracle(), "host RAM");
        assertEquals(seq, ram.get(0).getSeq(), "at Xen's answer");
        assertEquals("isolation", hypercall("qemu-2", mapping(2, 0x100000, PMEM + 0x10, 16, true), 0).get(0).getOracle(), "management area");
        assertEquals(List.of(), hypercall("qemu-3", mapping(3, 0x100000, PMEM + 0xb000, 16, true), 0));
        List<Verdict> v = hypercall("qemu-4", mapping(4, 0x200000, PMEM + 0xb004, 8, true), 0);
        assertEquals("isolation", v.get(0).getOracle());
        assertTrue(v.get(0).getDetail().contains("which d3 maps"), v.get(0).getDetail());
        // after d3 and d4 unmap, d5 may have the frames
        hypercall("qemu-3", mapping(3, 0x100000, PMEM + 0xb000, 16, false), 0);
        assertEquals("isolation", hypercall("qemu-5", mapping(5, 0x300000, PMEM + 0xb000, 16, true), 0).get(0).getOracle(), "d4 still has some");
        hypercall("qemu-4", mapping(4, 0x200000, PMEM + 0xb004, 8, false), 0);
        hypercall("qemu-5", mapping(5, 0x300000, PMEM + 0xb000, 16, false), 0);
        assertEquals(List.of(), hypercall("qemu-5", mapping(5, 0x300000, PMEM + 0xb000, 16, true), 0));
    }

    @Test
    void pmemNoAcceptedCallMadeADataAreaIsNotForGuests() {
        assertEquals("isolation", hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 16, true), 0).get(0).getOracle(),
                "nothing was handed over yet");
        platform();
        // the same call refused by Xen is not a handover
        hypercall("dom0", pmemAdd(PMEM, PMEM + 0x400000, PMEM + 2, PMEM + 0x2a02, PMEM + 0x2a02, PMEM + 0x400000), Errno.EINVAL.neg());
        assertEquals("isolation", hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 16, true), 0).get(0).getOracle());
    }

    @Test
    void everyBusAccessIsCheckedAgainstWhatXenAccepted() {
        handOver();
        // Dom0 writing Xen's management area after the handover: isolation, at that write
        List<Verdict> v = step(bus(0, MemAccess.Op.WRITE, (PMEM + 0x100) << 12, 4096, "dom0", 0));
        assertEquals("isolation", v.get(0).getOracle());
        assertEquals(seq, v.get(0).getSeq());
        assertEquals(List.of(), step(bus(0, MemAccess.Op.READ, (PMEM + 0x100) << 12, 64, "dom0", 0)), "reads too, folded into the same cause");
        assertEquals(1, o.verdicts().get(0).getRepeats());
        assertEquals(seq, o.verdicts().get(0).getLastSeq());
        // a guest touching pmem nobody mapped to it
        assertEquals("isolation", step(bus(1, MemAccess.Op.READ, (PMEM + 0x5000) << 12, 64, "guest-1", 0x100000L << 12)).get(0).getOracle());
        // mapped: fine at the right frame, isolation at another frame of its own
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x5000, 16, true), 0);
        assertEquals(List.of(), step(bus(1, MemAccess.Op.READ, (PMEM + 0x5000) << 12, 64, "guest-1", 0x100000L << 12)));
        List<Verdict> wrong = step(bus(1, MemAccess.Op.READ, (PMEM + 0x5003) << 12, 64, "guest-1", 0x100000L << 12));
        assertEquals("isolation", wrong.get(0).getOracle());
        assertTrue(wrong.get(0).getDetail().contains("puts that gfn at MFN 0x285000"), wrong.get(0).getDetail());
        // another domain's frames
        assertEquals("isolation", step(bus(2, MemAccess.Op.WRITE, (PMEM + 0x5000) << 12, 64, "guest-2", 0)).get(0).getOracle());
    }

    @Test
    void bootSafetyXenOutsideWhatItWasHandedAndDom0BeforeItsProbe() {
        Envelope.Builder xenWrite = bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 2) << 12, 1 << 20, "", 0);
        assertEquals("boot-safety", step(xenWrite).get(0).getOracle(), "nothing handed over yet");
        Envelope.Builder dom0Write = bus(0, MemAccess.Op.WRITE, (PMEM << 12) + 4096, 64, "dom0", 0);
        assertEquals("boot-safety", step(dom0Write).get(0).getOracle(), "before Dom0 read the region's info block");
        assertEquals(List.of(), step(bus(0, MemAccess.Op.READ, (PMEM + 1) << 12, 4096, "dom0", 0)), "the probe");
        assertEquals(List.of(), step(dom0Write.clone()));
        platform();
        // Xen builds its tables in the offered area before it answers: fine, and after: fine
        step(pmemAdd(PMEM, PMEM + 0x400000, PMEM + 2, PMEM + 0x2a02, PMEM + 0x2a02, PMEM + 0x400000).setFrom("dom0").setTo("xen"));
        long call = seq;
        assertEquals(List.of(), step(xenWrite.clone()), "inside the area the call offers");
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("xen").setTo("dom0").setInReplyTo(call).setHypercallRet(HypercallRet.newBuilder())));
        assertEquals(List.of(), step(xenWrite.clone()));
        assertEquals("boot-safety", step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 0x3000) << 12, 4096, "", 0)).get(0).getOracle(),
                "the data area is not Xen's");
        assertEquals(List.of(), step(bus(DOMID_XEN, MemAccess.Op.FILL, 0x1000000, 4096, "", 0)), "RAM is not this oracle's business");
        // writing the offered area and then refusing the call is a violation at the refusal
        platform();
        step(pmemAdd(PMEM, PMEM + 0x400000, PMEM + 2, PMEM + 0x2a02, PMEM + 0x2a02, PMEM + 0x400000).setFrom("dom0").setTo("xen"));
        call = seq;
        step(xenWrite.clone());
        List<Verdict> v = step(Envelope.newBuilder().setFrom("xen").setTo("dom0").setInReplyTo(call)
                .setHypercallRet(HypercallRet.newBuilder().setRc(Errno.ENOSPC.neg())));
        assertEquals("boot-safety", v.get(0).getOracle());
        assertTrue(v.get(0).getDetail().contains("then refused"), v.get(0).getDetail());
    }

    @Test
    void componentsClaimsAreNotEvidence() {
        // Xen claiming an area for itself, Dom0 claiming it inspected everything, a guest failing
        // its own check: none of it changes a verdict.
        step(any(), Observation.newBuilder().setPmemArea(PmemArea.newBuilder().setKind(PmemArea.Kind.XEN_USED).setSmfn(PMEM).setEmfn(PMEM + 0x400000)).build(),
                Observation.newBuilder().setInspected(PmemInspected.newBuilder().setSmfn(PMEM).setEmfn(PMEM + 0x400000)).build(),
                Observation.newBuilder().setGuestCheck(GuestCheck.newBuilder().setDomid(1).setWhat("data-readback").setOk(false)).build());
        assertEquals("boot-safety", step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 2) << 12, 4096, "", 0)).get(0).getOracle());
        assertEquals("boot-safety", step(bus(0, MemAccess.Op.WRITE, (PMEM + 7) << 12, 64, "dom0", 0)).get(0).getOracle());
        assertEquals(List.of("boot-safety", "boot-safety"), o.verdicts().stream().map(Verdict::getOracle).toList());
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
        assertEquals(seq, v.get(0).getSeq());
        assertTrue(v.get(0).getDetail().contains("last stored 0x01"), v.get(0).getDetail());
        // a device model's write into guest memory counts as the last value too
        step(bus(0, MemAccess.Op.WRITE, 0x5000, 4, "qemu-1", 0x1000));
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(10).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x1000).setLen(4)));
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(10).setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[4])))));
        // a short answer
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(11).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x1000).setLen(4)));
        assertEquals("data-integrity", step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(11)
                .setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[2])))).get(0).getOracle());
    }

    static byte[] table(String sig, int len) {
        byte[] t = new byte[len];
        for (int i = 0; i < 4; i++) t[i] = (byte) sig.charAt(i);
        t[4] = (byte) len;
        int sum = 0;
        for (byte b : t) sum += b;
        t[9] = (byte) -sum;
        return t;
    }

    @Test
    void acpiChecksumsLengthsAndTheTablesQemuWrote() {
        byte[] bad = table("NFIT", 40);
        bad[20]++;
        List<Verdict> v = step(Envelope.newBuilder().setFrom("platform").setTo("xen").setFirmwareHandoff(FirmwareHandoff.newBuilder()
                .addAcpiTables(AcpiTableBlob.newBuilder().setSignature("NFIT").setData(ByteString.copyFrom(bad)))));
        assertEquals("acpi", v.get(0).getOracle());
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("xen").setTo("dom0").setDomainStart(DomainStart.newBuilder()
                .addAcpiTables(AcpiTableBlob.newBuilder().setSignature("NFIT").setData(ByteString.copyFrom(table("NFIT", 40)))))));
        // QEMU names a table in xenstore and writes it into guest memory; at "running" it is checked
        step(xs("xl", "/local/domain/1/hvmloader/dm-acpi/address", "0x1fff0000"));
        step(xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NFIT/type", "0"));
        step(xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NFIT/offset", "0"));
        step(xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NFIT/length", "40"));
        step(xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/SSDT/type", "0"));
        step(xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/SSDT/offset", "64"));
        step(xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/SSDT/length", "48"));
        step(bus(0, MemAccess.Op.WRITE, 0x5000, 40, "qemu-1", 0x1fff0000).setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE)
                .setSpa(0x5000).setGpa(0x1fff0000).setReplyTo("qemu-1").setData(ByteString.copyFrom(table("NFIT", 40)))));
        byte[] ssdt = table("SSDT", 48);
        ssdt[30] = 9;   // checksum now wrong
        step(bus(0, MemAccess.Op.WRITE, 0x6000, 48, "qemu-1", 0x1fff0040).setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE)
                .setSpa(0x6000).setGpa(0x1fff0040).setReplyTo("qemu-1").setData(ByteString.copyFrom(ssdt))));
        List<Verdict> r = step(xs("qemu-1", "/local/domain/0/device-model/1/state", "running"));
        assertEquals(1, r.size(), r.toString());
        assertTrue(r.get(0).getDetail().startsWith("SSDT checksum invalid"), r.get(0).getDetail());
        assertEquals(seq, r.get(0).getSeq());
    }

    static Envelope.Builder xs(String from, String path, String value) {
        return Envelope.newBuilder().setFrom(from).setTo("xenstored").setXsRequest(XsRequest.newBuilder().setType(XS_WRITE).setPath(path).setValue(value));
    }

    @Test
    void livenessOnlyForDomainsXenCreated() {
        Envelope.Builder create = Envelope.newBuilder().setDomctl(Domctl.newBuilder().setCmd(XEN_DOMCTL_createdomain));
        step(create.setFrom("xl").setTo("xen"));
        step(Envelope.newBuilder().setFrom("xen").setTo("xl").setInReplyTo(seq)
                .setHypercallRet(HypercallRet.newBuilder().setDomctl(Domctl.newBuilder().setDomain(3))));
        // a guest claiming "booted" for a domain Xen never created does not count; d3 never booted
        step(any(), Observation.newBuilder().setDomainState(DomainState.newBuilder().setDomid(4).setState("booted")).build());
        List<Verdict> end = o.atEnd(seq, false);
        assertEquals(1, end.size(), end.toString());
        assertEquals("liveness", end.get(0).getOracle());
        assertTrue(end.get(0).getDetail().startsWith("d3 "), end.get(0).getDetail());
        assertEquals(seq, end.get(0).getSeq());
        platform();
        assertTrue(o.atEnd(5, true).stream().anyMatch(x -> x.getDetail().contains("step bound") && x.getSeq() == 5));
    }

    @Test
    void repeatsOfOneCauseFoldAndEachOracleIsBounded() {
        handOver();
        // one bad mapping done 64 frames a call: 256 calls, one verdict with 255 repeats
        for (int i = 0; i < 256; i++) hypercall("qemu-1", mapping(1, 0x100000 + 64L * i, 0x20000 + 64L * i, 64, true), 0);
        List<Verdict> v = o.verdicts();
        assertEquals(1, v.size());
        assertEquals(255, v.get(0).getRepeats());
        assertEquals(seq, v.get(0).getLastSeq());
        assertEquals(255, o.folded());
        // a flood of distinct data-integrity verdicts (one page each) is bounded ...
        int n = Oracles.MAX_VERDICTS_PER_ORACLE + 20;
        for (int p = 0; p < n; p++) {
            long gpa = 0x1000L * (p + 1);
            step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(2L * p + 1)
                    .setGuestMemAccess(GuestMemAccess.newBuilder().setWrite(true).setGpa(gpa).setLen(1).setData(ByteString.copyFrom(new byte[] {1}))));
            step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(2L * p + 1).setMemAccessDone(MemAccessDone.getDefaultInstance()));
            step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(2L * p + 2).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(gpa).setLen(1)));
            step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(2L * p + 2).setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[1]))));
        }
        assertEquals(Oracles.MAX_VERDICTS_PER_ORACLE, o.verdicts().stream().filter(x -> x.getOracle().equals("data-integrity")).count());
        assertEquals(20, o.dropped());
        // ... and does not hide a verdict of another oracle that comes after it
        List<Verdict> late = hypercall("qemu-2", mapping(2, 0x100000, PMEM + 0x10, 16, true), 0);
        assertEquals("isolation", late.get(0).getOracle());
        assertTrue(o.verdicts().stream().anyMatch(x -> x.getSeq() == seq && x.getOracle().equals("isolation")));
    }

    @Test
    void aCrashIsAVerdictAtThatDelivery() {
        Envelope d = Envelope.newBuilder().setFrom("xl").setTo("xen").setSeq(++seq).setPowerOn(PowerOn.getDefaultInstance()).build();
        List<Verdict> v = o.afterDelivery(d, StepResult.newBuilder().setRole("xen").setHandledSeq(seq).setCrash("xen threw java.lang.NullPointerException").build());
        assertEquals("crash", v.get(0).getOracle());
        assertEquals(seq, v.get(0).getSeq());
    }
}
