package org.vnvdimm.qemu;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.*;

/** QEMU maps each backing-file extent with libxc's memory_mapping loop, and undoes a failed add. */
class QemuTest {
    static ActorTestKit kit;
    static final String FILE = "/mnt/pmem0/vm1.img";
    static final long FILE_BYTES = 66L << 20;   // 64 MiB of pmem after a 128 KiB label area, 2 MiB aligned
    static final long RESOURCE = 0x28a200000L;

    @BeforeAll static void up() { kit = ActorTestKit.create("QemuTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    static List<String> argv() {
        return List.of("-xen-domid", "1", "-machine", "xenfv,nvdimm=on", "-m", "512M,slots=1,maxmem=1536M",
                "-object", "memory-backend-file,id=mem1,mem-path=" + FILE + ",size=" + FILE_BYTES + ",share=on,align=2M",
                "-device", "nvdimm,id=xen_nvdimm1,memdev=mem1,label-size=131072");
    }

    static Envelope.Builder ret(long rc) { return Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(rc)); }

    /** Start QEMU and walk it to its first memory_mapping call; extents are {logical, physical, length} in bytes. */
    static StepResult toFirstMapping(Harness q, long[][] extents) {
        StepResult r = q.deliver(Roles.XL, Envelope.newBuilder().setDeviceModelStart(DeviceModelStart.newBuilder().setDomid(1).addAllArgv(argv())));
        FileMmap mmap = Harness.only(r).getFileMmap();
        assertEquals(FILE, mmap.getPath());
        assertEquals(MAP_SHARED_VALIDATE | MAP_SYNC, mmap.getFlags(), "QEMU asks for synchronous faults on the DAX file");
        r = q.answer(Harness.only(r), Envelope.newBuilder().setFileMmapReply(FileMmapReply.newBuilder().setSize(FILE_BYTES).setBdev("pmem0")));
        assertTrue(Harness.only(r).hasFiemap());
        FiemapReply.Builder fm = FiemapReply.newBuilder();
        for (long[] x : extents) fm.addExtents(FiemapExtent.newBuilder().setFeLogical(x[0]).setFePhysical(x[1]).setFeLength(x[2]));
        r = q.answer(Harness.only(r), Envelope.newBuilder().setFiemapReply(fm));
        assertEquals("/sys/block/pmem0/device/resource", Harness.only(r).getSysfsRead().getPath());
        r = q.answer(Harness.only(r), Envelope.newBuilder().setSysfsReply(SysfsReply.newBuilder().setValue("0x28a200000")));
        IomemGrantRequest g = Harness.only(r).getIomemGrantRequest();
        assertEquals((RESOURCE + extents[0][1]) >>> 12, g.getFirstMfn());
        return q.answer(Harness.only(r), Envelope.newBuilder().setIomemGrantReply(IomemGrantReply.newBuilder().setRc(0)));
    }

    @Test
    void theLibxcLoopFollowsPartialProgressAndHalvesOnE2big() {
        Harness q = new Harness(kit, "qemu-1", w -> Qemu.create(w, 1, Design.getDefaultInstance()));
        long[][] one = {{0, 0x100000, 64L << 20}};
        StepResult r = toFirstMapping(q, one);
        DomctlMemoryMapping m = Harness.only(r).getDomctl().getMemoryMapping();
        long gfn0 = 0x100000, mfn0 = (RESOURCE + 0x100000) >>> 12, nr = (64L << 20) >>> 12;
        assertEquals(List.of(gfn0, mfn0, nr, (long) DPCI_ADD_MAPPING), List.of(m.getFirstGfn(), m.getFirstMfn(), m.getNrMfns(), (long) m.getAddMapping()));
        r = q.answer(Harness.only(r), ret(64));
        m = Harness.only(r).getDomctl().getMemoryMapping();
        assertEquals(List.of(gfn0 + 64, mfn0 + 64, nr - 64), List.of(m.getFirstGfn(), m.getFirstMfn(), m.getNrMfns()), "continue after progress");
        r = q.answer(Harness.only(r), ret(Errno.E2BIG.neg()));
        m = Harness.only(r).getDomctl().getMemoryMapping();
        // libxc halves its batch size (nr at first), not what is left: min(nr / 2, nr - 64) = 8192
        assertEquals(List.of(gfn0 + 64, nr / 2), List.of(m.getFirstGfn(), m.getNrMfns()), "halve the batch on -E2BIG");
        r = q.answer(Harness.only(r), ret(0));
        m = Harness.only(r).getDomctl().getMemoryMapping();
        assertEquals(List.of(gfn0 + 64 + nr / 2, nr - 64 - nr / 2), List.of(m.getFirstGfn(), m.getNrMfns()));
        r = q.answer(Harness.only(r), ret(0));
        Envelope next = Harness.only(r);
        assertTrue(next.hasDmOp(), "all mapped: on to the ioreq server, got " + next);
        assertEquals(1, q.observed().stream().filter(Observation::hasVnvdimm).count());
        VnvdimmLayout l = q.observed().stream().filter(Observation::hasVnvdimm).findFirst().get().getVnvdimm();
        assertEquals(List.of(gfn0, nr, 0L), List.of(l.getGfn(), l.getNr(), l.getFilePgoff()));
    }

    @Test
    void aFailedAddUndoesTheWholeRangeAndQemuStops() {
        Harness q = new Harness(kit, "qemu-1", w -> Qemu.create(w, 1, Design.getDefaultInstance()));
        long[][] two = {{0, 0x100000, 32L << 20}, {32L << 20, 0x4000000, 32L << 20}};
        StepResult r = toFirstMapping(q, two);
        r = q.answer(Harness.only(r), ret(64));
        r = q.answer(Harness.only(r), ret(Errno.EPERM.neg()));
        DomctlMemoryMapping undo = Harness.only(r).getDomctl().getMemoryMapping();
        assertEquals(DPCI_REMOVE_MAPPING, undo.getAddMapping());
        assertEquals(0x100000, undo.getFirstGfn(), "from the start of the range");
        assertEquals((32L << 20) >>> 12, undo.getNrMfns(), "the whole range");
        r = q.answer(Harness.only(r), ret(0));
        assertEquals(0, r.getSentCount(), "a device model that cannot map its vNVDIMM goes no further");
        assertTrue(q.logged("xc_domain_memory_mapping"));
    }

    @Test
    void badOptionsAreReportedAsQemuWouldAndNothingHappens() {
        Harness q = new Harness(kit, "qemu-1", w -> Qemu.create(w, 1, Design.getDefaultInstance()));
        StepResult r = q.deliver(Roles.XL, Envelope.newBuilder().setDeviceModelStart(DeviceModelStart.newBuilder().setDomid(1)
                .addAllArgv(List.of("-machine", "xenfv", "-m", "512M,slots=1,maxmem=1G", "-object", "memory-backend-file,id=m,mem-path=/f,size=64M",
                        "-device", "nvdimm,id=n,memdev=m"))));
        assertEquals(0, r.getSentCount());
        assertTrue(q.logged("qemu-system-i386: "), q.logs().toString());
        assertTrue(q.logs().get(0).contains("nvdimm"), q.logs().toString());
        StepResult wrong = q.deliver(Roles.XL, Envelope.newBuilder().setDeviceModelStart(DeviceModelStart.newBuilder().setDomid(2)));
        assertEquals(0, wrong.getSentCount());
        assertTrue(q.logged("rejected"), "a second start, and for another domain, is refused");
    }
}
