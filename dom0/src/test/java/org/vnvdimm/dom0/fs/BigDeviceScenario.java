package org.vnvdimm.dom0.fs;

import java.util.List;

import org.vnvdimm.dom0.nd.BlockDevice;
import org.vnvdimm.dom0.nd.Libnvdimm;
import org.vnvdimm.dom0.nd.Namespace;
import org.vnvdimm.dom0.nd.NamespaceMode;
import org.vnvdimm.dom0.nd.PfnMode;

/** Region 16 TiB -> fsdax namespace with map=xen -> xfs on /dev/pmem0 -> 1 TiB file in 3 extents. */
final class BigDeviceScenario {
    private BigDeviceScenario() {}

    record Result(int extentsAfterCreate, int fiemapEntries, long fileBytes, int freeRangesAfterCreate, int extentsAfterPunch,
                  int punchInvalidations, long punchedPages, long totalExtents, int sharedRanges, boolean consistent,
                  long dataPages, long reserveBytes) {}

    static Result run() {
        Libnvdimm nd = new Libnvdimm(11);
        nd.addRegion(1L << 40, 16L << 40, 0, List.of(0x0001, 0x0101));
        Namespace ns = nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 0);
        BlockDevice dev = ns.blockDevice();
        FsOptions o = FsOptions.of(FsType.XFS, "/mnt/pmem0").withAllowDaxReflink(true);
        DaxFilesystem fs = DaxFilesystem.mkfs(dev, o).orThrow();
        String img = "/mnt/pmem0/guest.img";
        FileInfo fi = fs.create(img, 1L << 40, 3).orThrow();
        int fiemap = fs.extents(img).orThrow().size();
        int freeRanges = fs.freeRangeCount();
        FsResult<Void> punch = fs.punchHole(img, 100L << 30, 1L << 30);
        int afterPunch = fs.stat(img).orThrow().extentCount();
        fs.acknowledge(punch.invalidationSeq()).orThrow();
        fs.reflink(img, "/mnt/pmem0/snap.img").orThrow();
        fs.cowWrite(img, 0, 4L << 30).orThrow();
        fs.defragMove("/mnt/pmem0/snap.img", 500L << 30, 10L << 30).orThrow();
        fs.truncate(img, 600L << 30).orThrow();
        boolean ok = fs.checkConsistency().isEmpty();
        return new Result(fi.extentCount(), fiemap, fi.sizeBytes(), freeRanges, afterPunch, punch.invalidations().size(),
                punch.invalidations().get(0).nrPages(), fs.totalExtentCount(), fs.sharedRangeCount(), ok, ns.dataPages(),
                ns.xenReserveSpa().sizeBytes());
    }

    /** Entry point for the small-heap child JVM: exits 1 unless the structures stayed small. */
    public static void main(String[] args) {
        Result r = run();
        boolean small = r.extentsAfterCreate() == 3 && r.totalExtents() < 20 && r.consistent();
        System.out.println("extentsAfterCreate=" + r.extentsAfterCreate() + " " + r + " maxHeap=" + Runtime.getRuntime().maxMemory());
        System.exit(small ? 0 : 1);
    }
}
