package org.vnvdimm.sim.oracle;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.*;

/**
 * The oracles' edges: range boundaries, partial overlaps, the exact words and frames a verdict
 * names, and state that must be forgotten (destroyed domains, removed layouts). Written against
 * the mutants PIT found surviving.
 */
class OraclesEdgeTest extends OracleHarness {
    static Envelope.Builder pmemSetup(int type, long s, long t) {
        return Envelope.newBuilder().setSysctl(Sysctl.newBuilder().setCmd(XEN_SYSCTL_nvdimm_op).setNvdimm(XenSysctlNvdimmOp.newBuilder()
                .setCmd(XEN_SYSCTL_nvdimm_pmem_setup).setPmemSetup(XenSysctlNvdimmPmemSetup.newBuilder().setType(type).setSmfn(s).setEmfn(t))));
    }

    @Test
    void mappingTheManagementAreaSaysSo() {
        handOver();
        List<Verdict> v = hypercall("qemu-2", mapping(2, 0x100000, PMEM + 0x10, 16, true), 0);
        assertTrue(v.stream().anyMatch(x -> x.getDetail().equals("Xen mapped MFNs 0x280010 - 0x280020 of its own management area into d2")), v.toString());
    }

    @Test
    void handingOverFramesADomainStillMapsIsIsolation() {
        hypercall("xl", pmemSetup(PMEM_REGION_TYPE_DATA, PMEM + 0x3000, PMEM + 0x400000), 0);
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 16, true), 0));
        List<Verdict> v = hypercall("xl", pmemSetup(PMEM_REGION_TYPE_MGMT, PMEM + 0x3008, PMEM + 0x3100), 0);
        assertEquals(1, v.size(), v.toString());
        assertEquals("d1 still maps MFNs 0x283008 - 0x283010 of Xen's new management area 0x283008 - 0x283100", v.get(0).getDetail());
        assertEquals(seq, v.get(0).getSeq());
        // an area nobody maps: nothing
        assertEquals(List.of(), hypercall("xl", pmemSetup(PMEM_REGION_TYPE_MGMT, PMEM + 0x4000, PMEM + 0x4100), 0));
    }

    @Test
    void aTableLongerThan255BytesIsReadWhole() {
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("xen").setTo("dom0").setDomainStart(DomainStart.newBuilder()
                .addAcpiTables(AcpiTableBlob.newBuilder().setSignature("SSDT").setData(ByteString.copyFrom(table300(300)))))));
        List<Verdict> v = step(Envelope.newBuilder().setFrom("xen").setTo("dom0").setDomainStart(DomainStart.newBuilder()
                .addAcpiTables(AcpiTableBlob.newBuilder().setSignature("SSDT").setData(ByteString.copyFrom(table300(301))))));
        assertEquals(1, v.size(), v.toString());
        assertEquals("SSDT header length 301, but the table has 300 bytes", v.get(0).getDetail());
    }

    /** A 300-byte table whose header says hdrLen, summing to zero. */
    static byte[] table300(int hdrLen) {
        byte[] t = new byte[300];
        t[0] = 'S'; t[1] = 'S'; t[2] = 'D'; t[3] = 'T';
        t[4] = (byte) hdrLen;
        t[5] = (byte) (hdrLen >>> 8);
        t[100] = 77;
        int sum = 0;
        for (byte b : t) sum += b;
        t[9] = (byte) -sum;
        return t;
    }

    List<Verdict> dmAcpi(String address, String offset, String length, boolean write) {
        step(OraclesTest.xs("xl", "/local/domain/1/hvmloader/dm-acpi/address", address));
        step(OraclesTest.xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NFIT/type", "0"));
        step(OraclesTest.xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NFIT/offset", offset));
        step(OraclesTest.xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NFIT/length", length));
        // not a table (type 1): never checked
        step(OraclesTest.xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NVDR/type", "1"));
        step(OraclesTest.xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NVDR/offset", "x"));
        step(OraclesTest.xs("qemu-1", "/local/domain/1/hvmloader/dm-acpi/NVDR/length", "5"));
        // a key of another tree, and a path with no domain directory
        step(OraclesTest.xs("qemu-1", "/local/domain/1/device/vbd/0", "1"));
        step(OraclesTest.xs("qemu-1", "/local/domain/1", "x"));
        if (write) {
            step(Envelope.newBuilder().setFrom("xen").setTo("platform").setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE)
                    .setSpa(0x5000).setGpa(0x1fff0010).setReplyTo("qemu-1").setData(ByteString.copyFrom(OraclesTest.table("NFIT", 40)))));
        }
        return step(OraclesTest.xs("qemu-1", "/local/domain/0/device-model/1/state", "running"));
    }

    @Test
    void dmAcpiKeysMustBeNumbersAndTheBytesMustBeThere() {
        assertEquals(List.of(), dmAcpi("0x1fff0000", "16", "40", true));
        platform();
        assertEquals("d1 dm-acpi/address is not a number: zz", dmAcpi("zz", "16", "40", true).get(0).getDetail());
        platform();
        assertEquals("d1 dm-acpi/NFIT: offset or length is not a number", dmAcpi("0x1fff0000", "y", "40", true).get(0).getDetail());
        platform();
        assertEquals("d1 dm-acpi/NFIT: length 0", dmAcpi("0x1fff0000", "16", "0", true).get(0).getDetail());
        platform();
        assertEquals("d1 dm-acpi/NFIT: 40 of 40 bytes at gpa 0x1fff0010 were never written by QEMU", dmAcpi("0x1fff0000", "16", "40", false).get(0).getDetail());
        platform();
        assertEquals("d1 dm-acpi/NFIT: 8 of 48 bytes at gpa 0x1fff0010 were never written by QEMU", dmAcpi("0x1fff0000", "16", "48", true).get(0).getDetail());
        platform();
        assertEquals(List.of(), dmAcpi("0x1fff0000", "16", "1048576", false).stream().filter(v -> v.getDetail().contains("length")).toList(),
                "1 MiB is allowed (it is then missing, not too long)");
        platform();
        assertEquals("d1 dm-acpi/NFIT: length 1048577", dmAcpi("0x1fff0000", "16", "1048577", false).get(0).getDetail());
    }

    @Test
    void aDestroyedDomainsFramesAndLayoutsAreForgotten() {
        handOver();
        step(any(), extents("/f", 0, PMEM + 0x3000, 64));
        step(any(), layout(1, 0x100000, 64, "/f"));
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 64, true), 0);
        Envelope.Builder destroy = Envelope.newBuilder().setDomctl(Domctl.newBuilder().setCmd(XEN_DOMCTL_destroydomain).setDomain(1));
        assertEquals(List.of(), hypercall("xl", destroy, 0));
        assertEquals(List.of(), step(any(), extents("/f", 0, PMEM + 0x9000, 64)), "no mapping is left to go stale");
        assertEquals(List.of(), hypercall("qemu-2", mapping(2, 0x100000, PMEM + 0x3000, 64, true), 0), "d1's frames are free again");
        assertEquals("isolation", step(bus(1, MemAccess.Op.READ, (PMEM + 0x3000) << 12, 64, "guest-1", 0x100000L << 12)).get(0).getOracle());
        // a refused destroy changes nothing
        Envelope.Builder destroy2 = Envelope.newBuilder().setDomctl(Domctl.newBuilder().setCmd(XEN_DOMCTL_destroydomain).setDomain(2));
        hypercall("xl", destroy2, org.vnvdimm.contract.Errno.ESRCH.neg());
        assertEquals("isolation", hypercall("qemu-3", mapping(3, 0x100000, PMEM + 0x3000, 8, true), 0).get(0).getOracle());
    }

    @Test
    void aRemovedLayoutIsNotCheckedAnyMore() {
        handOver();
        step(any(), extents("/f", 0, PMEM + 0x3000, 64), extents("/g", 0, PMEM + 0x5000, 64));
        step(any(), layout(1, 0x100000, 64, "/f"), layout(1, 0x200000, 64, "/g"));
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 64, true), 0);
        hypercall("qemu-1", mapping(1, 0x200000, PMEM + 0x5000, 64, true), 0);
        step(any(), Observation.newBuilder().setVnvdimm(VnvdimmLayout.newBuilder().setDomid(1).setGfn(0x100000).setNr(64).setPath("/f").setRemoved(true)).build());
        assertEquals(List.of(), step(any(), extents("/f", 0, PMEM + 0x9000, 64)), "/f is no longer a vNVDIMM");
        assertEquals("mapping-coherence", step(any(), extents("/g", 0, PMEM + 0x9100, 64)).get(0).getOracle(), "/g still is");
    }

    @Test
    void busBoundaries() {
        // a Xen write that ends exactly where pmem starts is RAM's business; one byte more is not
        assertEquals(List.of(), step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM - 1) << 12, 4096, "", 0)));
        assertEquals("boot-safety", step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM - 1) << 12, 4097, "", 0)).get(0).getOracle());
        platform();
        // a read that ends where the probe page starts is not the probe
        step(bus(0, MemAccess.Op.READ, PMEM << 12, 4096, "dom0", 0));
        assertEquals("boot-safety", step(bus(0, MemAccess.Op.WRITE, (PMEM + 9) << 12, 8, "dom0", 0)).get(0).getOracle());
        // an empty access touches nothing
        assertEquals(List.of(), step(bus(DOMID_XEN, MemAccess.Op.FILL, PMEM << 12, 0, "", 0)));
    }

    @Test
    void aGuestAccessIsJudgedOnlyOnTheFramesItTouches() {
        handOver();
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 16, true), 0);
        hypercall("qemu-2", mapping(2, 0x100000, PMEM + 0x3010, 16, true), 0);
        assertEquals(List.of(), step(bus(1, MemAccess.Op.READ, (PMEM + 0x300f) << 12, 4096, "guest-1", 0x10000fL << 12)), "its last frame");
        assertEquals(List.of(), step(bus(1, MemAccess.Op.WRITE, (PMEM + 0x3005) << 12, 64, "guest-1", 0x100005L << 12)));
        List<Verdict> v = step(bus(1, MemAccess.Op.READ, (PMEM + 0x3010) << 12, 64, "guest-1", 0x100010L << 12));
        assertEquals("d1 read MFNs 0x283010 - 0x283011, which are mapped to d2", v.get(0).getDetail());
    }

    @Test
    void unmappingOnlyDropsTheUnmappersFrames() {
        handOver();
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 16, true), 0);
        hypercall("qemu-2", mapping(2, 0x100000, PMEM + 0x3000, 16, true), 0);   // isolation; d2 now holds them
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 16, false), 0);
        int before = o.verdicts().size();
        step(bus(2, MemAccess.Op.READ, (PMEM + 0x3000) << 12, 64, "guest-2", 0x100000L << 12));
        assertEquals(before, o.verdicts().size(), "d2 still maps them");
    }

    @Test
    void anOfferIsOnlyARealAreaAndCoversOnlyItself() {
        // an empty reserved area offers nothing
        step(pmemAdd(PMEM, PMEM + 0x400000, PMEM + 2, PMEM + 2, PMEM + 0x2a02, PMEM + 0x400000).setFrom("dom0").setTo("xen"));
        assertEquals("boot-safety", step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 2) << 12, 4096, "", 0)).get(0).getOracle());
        platform();
        step(pmemSetup(PMEM_REGION_TYPE_MGMT, PMEM + 2, PMEM + 2).setFrom("xl").setTo("xen"));
        assertEquals("boot-safety", step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 2) << 12, 4096, "", 0)).get(0).getOracle());
        platform();
        step(pmemSetup(PMEM_REGION_TYPE_DATA, PMEM + 2, PMEM + 0x100).setFrom("xl").setTo("xen"));
        assertEquals("boot-safety", step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 2) << 12, 4096, "", 0)).get(0).getOracle(), "DATA is not Xen's");
        platform();
        // exactly the offered area: fine; one page past it: not
        step(pmemSetup(PMEM_REGION_TYPE_MGMT, PMEM + 2, PMEM + 0x100).setFrom("xl").setTo("xen"));
        assertEquals(List.of(), step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 2) << 12, 0xfe * 4096L, "", 0)));
        assertEquals("boot-safety", step(bus(DOMID_XEN, MemAccess.Op.FILL, (PMEM + 2) << 12, 0xff * 4096L, "", 0)).get(0).getOracle());
    }

    @Test
    void theLoadVerdictNamesTheExactByte() {
        byte[] four = {1, 2, 3, 4};
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(1).setGuestMemAccess(GuestMemAccess.newBuilder().setWrite(true).setGpa(0x1000).setLen(4).setData(ByteString.copyFrom(four))));
        step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(1).setMemAccessDone(MemAccessDone.getDefaultInstance()));
        // a later store over the middle two bytes: the mirror keeps 1, 9, 9, 4
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(2).setGuestMemAccess(GuestMemAccess.newBuilder().setWrite(true).setGpa(0x1001).setLen(2).setData(ByteString.copyFrom(new byte[] {9, 9}))));
        step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(2).setMemAccessDone(MemAccessDone.getDefaultInstance()));
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(3).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x0ffe).setLen(8)));
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(3)
                .setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[] {7, 7, 1, 9, 9, 4, 7, 7})))));
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(4).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x0ffe).setLen(8)));
        List<Verdict> v = step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(4)
                .setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[] {7, 7, 1, 9, 2, 4, 7, 7}))));
        assertEquals("d1 load gpa=0xffe: byte at 0x1002 is 0x02, last stored 0x09 (stale or foreign data)", v.get(0).getDetail());
        // a failed load and a fault say nothing
        step(Envelope.newBuilder().setFrom("guest-1").setTo("xen").setTag(5).setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x1000).setLen(4)));
        assertEquals(List.of(), step(Envelope.newBuilder().setFrom("platform").setTo("guest-1").setTag(5).setMemAccessDone(MemAccessDone.newBuilder().setRc(-14))));
    }

    @Test
    void coherenceNamesTheFramesAndSkipsWhatIsNotAVnvdimm() {
        handOver();
        step(any(), extents("/f", 0, PMEM + 0x3000, 256));
        step(any(), Observation.newBuilder().setVnvdimm(VnvdimmLayout.newBuilder().setDomid(1).setGfn(0x100000).setNr(256).setPath("/f").setFilePgoff(0)).build());
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 64, true), 0));
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x300000, PMEM + 0x3100, 8, true), 0), "outside any vNVDIMM");
        assertEquals(List.of(), hypercall("qemu-1", mapping(1, 0x0fff00, PMEM + 0x3200, 0x100, true), 0), "ends where the vNVDIMM starts");
        List<Verdict> v = hypercall("qemu-1", mapping(1, 0x100040, PMEM + 0x3041, 64, true), 0);
        assertEquals("d1 gfn 0x100040+64 maps mfn 0x283041, but the file's block is now at mfn 0x283040 (stale mapping)", v.get(0).getDetail());
        // a hole in the middle of the file under a live mapping
        platform();
        handOver();
        step(any(), extents("/f", 0, PMEM + 0x3000, 256));
        step(any(), layout(1, 0x100000, 256, "/f"));
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 256, true), 0);
        List<Verdict> hole = step(any(), extents("/f", 0, PMEM + 0x3000, 16, 32, PMEM + 0x3020, 224));
        assertEquals("d1 gfn 0x100010+16 maps mfn 0x283010, but that file range has no block now (stale mapping)", hole.get(0).getDetail());
        // and a tail cut off
        platform();
        handOver();
        step(any(), extents("/f", 0, PMEM + 0x3000, 256));
        step(any(), layout(1, 0x100000, 256, "/f"));
        hypercall("qemu-1", mapping(1, 0x100000, PMEM + 0x3000, 256, true), 0);
        List<Verdict> tail = step(any(), extents("/f", 0, PMEM + 0x3000, 200));
        assertEquals("d1 gfn 0x1000c8+56 maps mfn 0x2830c8, but that file range has no block now (stale mapping)", tail.get(0).getDetail());
    }

    @Test
    void aComponentThatStopsOutsideADeliveryIsACrash() {
        List<Verdict> v = o.stoppedOutsideDelivery("qemu-3", 41);
        assertEquals(1, v.size());
        assertEquals("crash", v.get(0).getOracle());
        assertEquals(41, v.get(0).getSeq());
        assertEquals(v, o.verdicts());
    }

    static List<String> rbm(List<Verdict> v) {
        return v.stream().filter(x -> x.getOracle().equals("report-before-map")).map(Verdict::getDetail).toList();
    }

    @Test
    void nothingUsesOrReachesPmemXenWasNotToldAbout() {
        // a DIMM hot-added at 0x6_8000_0000: the bus decodes it, Xen has not heard of it
        long hot = 0x680000;
        model.hotplug(2, hot << 12, 1L << 30, 0, 0);   // what the platform does with the step
        step(Envelope.newBuilder().setFrom("admin").setTo("platform").setHotplugDimm(HotplugDimm.newBuilder().setHandle(2)
                .setSpa(hot << 12).setSizeBytes(1L << 30)));
        // Dom0 drives the DIMM: it may read (and write its pfn-xen info block) before reporting
        assertEquals(List.of(), step(bus(0, MemAccess.Op.READ, (hot + 1) << 12, 4096, "dom0", 0)));
        assertEquals(List.of(), step(bus(0, MemAccess.Op.WRITE, (hot + 1) << 12, 64, "dom0", 0)));
        // Xen writing it, or a guest reaching it, is too early
        assertEquals(List.of("Xen wrote pmem MFNs 0x680002 - 0x680003 before Xen accepted a report of them (not in the boot NFIT or E820, no accepted XENPF_pmem_add)"),
                rbm(step(bus(DOMID_XEN, MemAccess.Op.FILL, (hot + 2) << 12, 4096, "", 0))));
        assertEquals(List.of(), rbm(step(bus(DOMID_XEN, MemAccess.Op.READ, (hot + 2) << 12, 4096, "", 0))), "Xen reading is not using");
        assertEquals(List.of("d1 read pmem MFNs 0x680003 - 0x680004 before Xen accepted a report of them (not in the boot NFIT or E820, no accepted XENPF_pmem_add)"),
                rbm(step(bus(1, MemAccess.Op.READ, (hot + 3) << 12, 64, "guest-1", 0x100000L << 12))));
        // Dom0 reports it; Xen refuses: still unknown; Xen accepts: known
        hypercall("dom0", pmemAdd(hot, hot + 0x40000, hot, hot + 0x100, hot + 0x100, hot + 0x40000), org.vnvdimm.contract.Errno.EINVAL.neg());
        assertEquals(List.of(), step(bus(1, MemAccess.Op.READ, (hot + 3) << 12, 64, "guest-1", 0x100000L << 12)), "the same cause: folded");
        hypercall("dom0", pmemAdd(hot, hot + 0x40000, hot, hot + 0x100, hot + 0x100, hot + 0x40000), 0);
        assertEquals(List.of(), rbm(step(bus(2, MemAccess.Op.READ, (hot + 0x200) << 12, 64, "guest-2", 0x100000L << 12))));
        // the boot DIMM was known from the firmware's E820 all along
        assertEquals(List.of(), rbm(step(bus(3, MemAccess.Op.READ, (PMEM + 0x300) << 12, 64, "guest-3", 0x100000L << 12))));
    }

    @Test
    void aMappingOfUnreportedPmemIsAlsoTooEarly() {
        long hot = 0x680000;
        model.hotplug(2, hot << 12, 1L << 30, 0, 0);   // what the platform does with the step
        step(Envelope.newBuilder().setFrom("admin").setTo("platform").setHotplugDimm(HotplugDimm.newBuilder().setHandle(2)
                .setSpa(hot << 12).setSizeBytes(1L << 30)));
        List<Verdict> v = hypercall("qemu-1", mapping(1, 0x100000, hot + 0x100, 16, true), 0);
        assertTrue(v.stream().anyMatch(x -> x.getOracle().equals("report-before-map") && x.getDetail().startsWith("d1 got a mapping of pmem MFNs 0x680100")), v.toString());
    }

    @Test
    void theBootNfitTellsXenToo() {
        o = new Oracles(new org.vnvdimm.sim.platform.PlatformModel(PlatformConfig.newBuilder().setRamBytes(8L << 30)
                .addDimms(DimmConfig.newBuilder().setHandle(1).setSizeBytes(16L << 30)).build()));
        seq = 0;
        org.vnvdimm.sim.platform.PlatformModel m = new org.vnvdimm.sim.platform.PlatformModel(PlatformConfig.newBuilder().setRamBytes(8L << 30)
                .addDimms(DimmConfig.newBuilder().setHandle(1).setSizeBytes(16L << 30)).build());
        step(Envelope.newBuilder().setFrom("platform").setTo("xen").setFirmwareHandoff(FirmwareHandoff.newBuilder().addAllAcpiTables(m.acpiTables())));
        assertEquals(List.of(), rbm(step(bus(1, MemAccess.Op.READ, (PMEM + 1) << 12, 64, "guest-1", 0))), "the NFIT lists it");
        platform();
        o = new Oracles(m);
        seq = 0;
        assertEquals(1, rbm(step(bus(1, MemAccess.Op.READ, (PMEM + 1) << 12, 64, "guest-1", 0))).size(), "no firmware hand-off: Xen knows nothing");
    }
}
