package org.vnvdimm.dom0;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.AcpiHeader;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.NfitWriter;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.*;

/** Dom0 probes its regions, reports a pfn-xen namespace to Xen (rfc-v1), and serves QEMU's file queries from its filesystem. */
class Dom0KernelTest {
    static ActorTestKit kit;
    static final long BASE = 0x280000000L, SIZE = 16L << 30;

    @BeforeAll static void up() { kit = ActorTestKit.create("Dom0KernelTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    static E820Entry e820(long addr, long size, int type) { return E820Entry.newBuilder().setAddr(addr).setSize(size).setType(type).build(); }

    static final List<E820Entry> HOST_E820 = List.of(
            e820(0, 0x9fc00, E820_RAM), e820(0x9fc00, 0x400, E820_RESERVED), e820(0xe0000, 0x20000, E820_RESERVED),
            e820(0x100000, 0x7fe00000L, E820_RAM), e820(0x7ff00000L, 0x100000, E820_ACPI), e820(0xfec00000L, 0x1400000, E820_RESERVED),
            e820(1L << 32, 6L << 30, E820_RAM), e820(BASE, SIZE, E820_PMEM));

    static DomainStart start(long... ranges) {
        List<org.vnvdimm.acpi.NfitStructure> s = new java.util.ArrayList<>();
        for (int i = 0; i < ranges.length; i += 2) {
            s.add(new NfitSpaRange(i / 2 + 1, NfitSpaRange.FLAG_PROXIMITY_DOMAIN_VALID, 0, Guid.PERSISTENT_MEMORY, ranges[i], ranges[i + 1], 0x8008));
            s.add(new NfitMemoryDeviceMap(i / 2 + 1, 0, 0, i / 2 + 1, 1, ranges[i + 1], 0, 0, 0, 1, 0));
        }
        byte[] nfit = NfitWriter.writeTable(AcpiHeader.of("NFIT", 1, "TEST  ", "TESTNFIT", 1, "TEST", 1), s);
        return DomainStart.newBuilder().setDomid(0).setNrPages(0x20000).addAcpiTables(AcpiTableBlob.newBuilder().setSignature("NFIT").setData(ByteString.copyFrom(nfit))).build();
    }

    /** Boot: the host map, then each region probed (rfc-v1: nothing is reported to Xen at boot). */
    Harness booted(Harness d0, DomainStart s, int regions) {
        StepResult r = d0.deliver(Roles.XEN, Envelope.newBuilder().setDomainStart(s));
        Envelope mm = Harness.only(r);
        assertEquals(XENMEM_machine_memory_map, mm.getMemoryOp().getCmd(), "first the host's memory map, as xen_memory_setup asks for the initial domain");
        assertTrue(mm.getMemoryOp().getMemoryMap().getNrEntries() >= 128);
        r = d0.answer(mm, Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0).setMemoryMap(XenMemoryMap.newBuilder()
                .setNrEntries(HOST_E820.size()).addAllBuffer(HOST_E820))));
        for (int i = 0; i < regions; i++) {
            Envelope probe = Harness.only(r);
            assertFalse(probe.hasPlatformOp(), "rfc-v1 reports nothing at boot");
            assertEquals(MemAccess.Op.READ, probe.getMemAccess().getOp());
            assertEquals(Roles.XEN, probe.getTo(), "a PV kernel's access goes through Xen's check");
            assertEquals(Roles.DOM0, probe.getMemAccess().getReplyTo());
            assertEquals(probe.getTag(), probe.getMemAccess().getReplyTag());
            assertEquals(BASE + (long) i * SIZE + 4096, probe.getMemAccess().getSpa(), "Dom0 reads where an info block would be");
            r = d0.answer(probe, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[4096]))));
            assertTrue(r.getObservedList().stream().anyMatch(Observation::hasInspected));
        }
        assertTrue(d0.observed().stream().anyMatch(o -> o.hasDomainState() && o.getDomainState().getState().equals("booted")));
        return d0;
    }

    static Envelope.Builder probeNamespace(String ns) {
        return Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder().setXlPmemSetup(XlPmemSetup.newBuilder().setFromNamespace(ns)));
    }

    @Test
    void aPfnXenNamespaceIsReportedWithItsRegionReservedAndDataAreas() {
        Harness d0 = booted(new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1))), start(BASE, SIZE, BASE + SIZE, SIZE), 2);
        assertEquals(Errno.ENOENT.neg(), Harness.only(d0.deliver(Roles.ADMIN, probeNamespace("namespace0.0"))).getAdminResult().getRc(), "no namespace yet");
        StepResult ns = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setNdctlCreateNamespace(NdctlCreateNamespace.newBuilder().setRegion("region0").setMode("fsdax").setMap("xen"))));
        d0.answer(Harness.only(ns), Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        StepResult rep = d0.deliver(Roles.ADMIN, probeNamespace("namespace0.0"));
        Envelope add = Harness.only(rep);
        assertEquals(Roles.XEN, add.getTo());
        XenpfPmemAdd a = add.getPlatformOp().getPmemAdd();
        assertEquals(XENPF_pmem_add, add.getPlatformOp().getCmd());
        assertEquals(List.of(0x280000L, 0x680000L, 0x280002L, 0x28a200L, 0x28a200L, 0x680000L),
                List.of(a.getSpfn(), a.getEpfn(), a.getRsvSpfn(), a.getRsvEpfn(), a.getDataSpfn(), a.getDataEpfn()),
                "the whole region, the info block's reserve for Xen, the data area");
        assertTrue(d0.logged("xen_pmem: namespace0.0 (pfn-xen) probed"));
        assertEquals(0, Harness.only(d0.answer(add, Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0)))).getAdminResult().getRc());
        // a refused report is the step's failure, with Xen's errno
        Harness d1 = booted(new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1))), start(BASE, SIZE), 1);
        d1.answer(Harness.only(d1.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setNdctlCreateNamespace(NdctlCreateNamespace.newBuilder().setRegion("region0").setMode("fsdax").setMap("xen"))))),
                Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        Envelope add1 = Harness.only(d1.deliver(Roles.ADMIN, probeNamespace("namespace0.0")));
        assertEquals(Errno.EINVAL.neg(), Harness.only(d1.answer(add1, Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder()
                .setRc(Errno.EINVAL.neg())))).getAdminResult().getRc());
        assertTrue(d1.logged("XENPF_pmem_add pfns 0x280000-0x680000 failed: -EINVAL"));
    }

    @Test
    void aNamespaceWithoutAXenReserveIsNotReported() {
        Harness d0 = booted(new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1))), start(BASE, SIZE), 1);
        d0.answer(Harness.only(d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setNdctlCreateNamespace(NdctlCreateNamespace.newBuilder().setRegion("region0").setMode("fsdax").setMap("dev"))))),
                Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        StepResult r = d0.deliver(Roles.ADMIN, probeNamespace("namespace0.0"));
        assertEquals(Errno.EINVAL.neg(), Harness.only(r).getAdminResult().getRc());
        assertTrue(Harness.only(r).getAdminResult().getOutput().contains("not a pfn-xen namespace"));
    }

    @Test
    void withATfinTableDom0HasNoRegions() {
        DomainStart s = start(BASE, SIZE);
        AcpiTableBlob nfit = s.getAcpiTables(0);
        byte[] b = nfit.getData().toByteArray();
        System.arraycopy("TFIN".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, b, 0, 4);
        s = s.toBuilder().setAcpiTables(0, nfit.toBuilder().setSignature("TFIN").setData(ByteString.copyFrom(b))).build();
        Harness d0 = booted(new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1))), s, 0);
        assertTrue(d0.logged("TFIN table (Xen's zapped NFIT)"));
        assertTrue(d0.sent().stream().noneMatch(Envelope::hasMemAccess), "no region to probe");
    }

    @Test
    void namespaceFilesystemAndTheFileServicesQemuUses() {
        Harness d0 = booted(new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1))), start(BASE, SIZE), 1);
        StepResult ns = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setNdctlCreateNamespace(NdctlCreateNamespace.newBuilder().setRegion("region0").setMode("fsdax").setMap("xen"))));
        Envelope infoWrite = Harness.only(ns);
        assertEquals(BASE + 4096, infoWrite.getMemAccess().getSpa(), "the pfn info block lives at namespace offset 4 KiB");
        StepResult done = d0.answer(infoWrite, Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        assertEquals(0, Harness.only(done).getAdminResult().getRc());
        assertTrue(Harness.only(done).getAdminResult().getOutput().contains("\"blockdev\":\"pmem0\""));

        Envelope rsv = Harness.only(d0.deliver(Roles.XL, Envelope.newBuilder().setSysfsRead(SysfsRead.newBuilder().setPath("/sys/bus/nd/devices/namespace0.0/xen_reserve"))));
        assertEquals("0x280002 0x28a200", rsv.getSysfsReply().getValue());
        assertEquals(Errno.ENOENT.neg(), Harness.only(d0.deliver(Roles.XL, Envelope.newBuilder().setSysfsRead(SysfsRead.newBuilder().setPath("/sys/bus/nd/devices/namespace9.9/xen_reserve")))).getSysfsReply().getRc());

        StepResult mk = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setMkfs(Mkfs.newBuilder().setDev("/dev/pmem0").setType("xfs").setMount("/mnt/pmem0"))));
        d0.answer(Harness.only(mk), Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        StepResult f = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setCreateFile(CreateFile.newBuilder().setPath("/mnt/pmem0/vm1.img").setSizeBytes(64L << 20).setExtents(3))));
        FileExtents ext = f.getObservedList().stream().filter(Observation::hasFileExtents).findFirst().orElseThrow().getFileExtents();
        assertEquals(3, ext.getExtentsCount(), "allocated in three extents as asked");
        // fallocate leaves unwritten extents: nothing touches the media, the command answers at once.
        assertEquals(0, Harness.only(f).getAdminResult().getRc(), "no zero-fill: the extents are unwritten");
        FileIoReply zeros = Harness.only(d0.deliver("qemu-1", Envelope.newBuilder().setFileIo(FileIo.newBuilder().setPath("/mnt/pmem0/vm1.img")
                .setOffset(8192).setLen(4096)))).getFileIoReply();
        assertEquals(4096, zeros.getRc(), "an unwritten page reads as zeros without a bus access");
        assertArrayEquals(new byte[4096], zeros.getData().toByteArray());

        FiemapReply fm = Harness.only(d0.deliver("qemu-1", Envelope.newBuilder().setFiemap(Fiemap.newBuilder().setPath("/mnt/pmem0/vm1.img")))).getFiemapReply();
        assertEquals(3, fm.getExtentsCount());
        assertEquals(FIEMAP_EXTENT_LAST, fm.getExtents(2).getFeFlags() & FIEMAP_EXTENT_LAST);
        long resource = Long.decode(Harness.only(d0.deliver("qemu-1", Envelope.newBuilder().setSysfsRead(SysfsRead.newBuilder().setPath("/sys/block/pmem0/device/resource")))).getSysfsReply().getValue());
        assertEquals(ext.getExtents(0).getMfn() << 12, resource + fm.getExtents(0).getFePhysical(), "FIEMAP + resource = the MFNs the fs reports");

        FileMmapReply noShared = Harness.only(d0.deliver("qemu-1", Envelope.newBuilder().setFileMmap(FileMmap.newBuilder().setPath("/mnt/pmem0/vm1.img").setFlags(0)))).getFileMmapReply();
        assertEquals(Errno.EINVAL.neg(), noShared.getRc(), "a private mapping of a vNVDIMM is refused");
        FileMmapReply ok = Harness.only(d0.deliver("qemu-1", Envelope.newBuilder().setFileMmap(FileMmap.newBuilder().setPath("/mnt/pmem0/vm1.img").setFlags(MAP_SHARED_VALIDATE | MAP_SYNC)))).getFileMmapReply();
        assertEquals(0, ok.getRc());
        assertEquals("pmem0", ok.getBdev());
        assertEquals(Errno.ENOENT.neg(), Harness.only(d0.deliver("qemu-1", Envelope.newBuilder().setFileStat(FileStat.newBuilder().setPath("/mnt/pmem0/nope")))).getFileStatReply().getRc());

        // pwrite across an extent boundary: one bus access per extent piece, and the pages are written now
        long firstExtentBytes = ext.getExtents(0).getNr() << 12;
        StepResult wr = d0.deliver("qemu-1", Envelope.newBuilder().setFileIo(FileIo.newBuilder().setPath("/mnt/pmem0/vm1.img").setWrite(true)
                .setOffset(firstExtentBytes - 100).setLen(200).setData(ByteString.copyFrom(new byte[200]))));
        assertEquals(2, wr.getSentCount());
        for (Envelope w : wr.getSentList()) assertEquals(MemAccess.Op.WRITE, w.getMemAccess().getOp());
        d0.answer(wr.getSent(0), Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        assertEquals(200, Harness.only(d0.answer(wr.getSent(1), Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()))).getFileIoReply().getRc());
        // pread of the written pages across the boundary likewise
        StepResult io = d0.deliver("qemu-1", Envelope.newBuilder().setFileIo(FileIo.newBuilder().setPath("/mnt/pmem0/vm1.img")
                .setOffset(firstExtentBytes - 100).setLen(200)));
        assertEquals(2, io.getSentCount());
        assertEquals(100, io.getSent(0).getMemAccess().getLen());
        assertEquals(ext.getExtents(1).getMfn() << 12, io.getSent(1).getMemAccess().getSpa());
        d0.answer(io.getSent(0), Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[100]))));
        StepResult end = d0.answer(io.getSent(1), Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[100]))));
        assertEquals(200, Harness.only(end).getFileIoReply().getRc());
        assertEquals(Errno.EINVAL.neg(), Harness.only(d0.deliver("qemu-1", Envelope.newBuilder().setFileIo(FileIo.newBuilder().setPath("/mnt/pmem0/vm1.img")
                .setOffset(64L << 20).setLen(1)))).getFileIoReply().getRc(), "beyond the end of the file");
    }

    @Test
    void theE820IsPrintedAsLinuxPrintsWhatXenMemorySetupKeeps() {
        Harness d0 = booted(new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1))), start(BASE, SIZE), 1);
        List<String> lines = d0.logs().stream().filter(l -> l.startsWith("Xen: ") || l.startsWith("e820:")).toList();
        assertEquals(List.of(
                "e820: BIOS-provided physical RAM map:",
                "Xen: [mem 0x0000000000000000-0x000000000009efff] usable",
                "Xen: [mem 0x000000000009fc00-0x00000000000fffff] reserved",
                "Xen: [mem 0x0000000000100000-0x0000000020060fff] usable",
                "Xen: [mem 0x000000007ff00000-0x000000007fffffff] ACPI data",
                "Xen: [mem 0x00000000fec00000-0x00000000ffffffff] reserved",
                "Xen: [mem 0x0000000280000000-0x000000067fffffff] persistent (type 7)"), lines,
                "RAM ends at nr_pages plus the 0x61 pages remapped out of the hole below 1 MiB; RAM above is discarded; the ISA range is reserved");
    }

    @Test
    void aRefusedStoreFailsTheAdminCommandWithEio() {
        Harness d0 = booted(new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1))), start(BASE, SIZE), 1);
        StepResult ns = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setNdctlCreateNamespace(NdctlCreateNamespace.newBuilder().setRegion("region0").setMode("fsdax").setMap("dev"))));
        d0.answer(Harness.only(ns), Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        StepResult mk = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setMkfs(Mkfs.newBuilder().setDev("/dev/pmem0").setType("ext4").setMount("/mnt/pmem0"))));
        Envelope sb = Harness.only(mk);
        assertEquals(Roles.XEN, sb.getTo());
        // Xen refuses: the superblock lies in an area Dom0 handed to Xen.
        StepResult refused = d0.answer(sb, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setRc(Errno.EPERM.neg())));
        AdminResult res = Harness.only(refused).getAdminResult();
        assertEquals(Errno.EIO.neg(), res.getRc(), "the pmem driver reports an I/O error");
        assertTrue(d0.logged("write failed"));
        // Nothing is mounted: fallocate finds no filesystem.
        StepResult f = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setCreateFile(CreateFile.newBuilder().setPath("/mnt/pmem0/vm1.img").setSizeBytes(1L << 20))));
        assertEquals(Errno.ENOENT.neg(), Harness.only(f).getAdminResult().getRc());
    }
}
