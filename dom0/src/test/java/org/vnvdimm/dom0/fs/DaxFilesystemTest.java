package org.vnvdimm.dom0.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.dom0.nd.BlockDevice;

class DaxFilesystemTest {
    private static final long B = DaxFilesystem.BLOCK_SIZE_BYTES;
    private static final long SPA = 4L << 30; // device byte 0 = SPA 4 GiB = MFN 0x100000
    private static final String A = "/mnt/pmem0/a.img";
    private static final String C = "/mnt/pmem0/c.img";

    private static DaxFilesystem fs(FsOptions o, long sizeBytes) {
        return DaxFilesystem.mkfs(new BlockDevice("pmem0", SPA, sizeBytes, true), o).orThrow();
    }

    private static DaxFilesystem xfs() { return fs(FsOptions.of(FsType.XFS, "/mnt/pmem0"), 64L << 20); }

    /** Records listener calls as text, in order. */
    private static final class Log implements LayoutListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void invalidated(long seq, List<Invalidation> batch) { events.add("invalidated " + seq + " x" + batch.size()); }

        @Override
        public void allocated(String path, long off, long n, long block) { events.add("allocated " + path + " " + off + "+" + n + "@" + block); }

        @Override
        public void released(long seq, List<BlockRun> blocks) { events.add("released " + seq + " " + blocks); }
    }

    @Test
    void fiemapOfAMultiExtentFile() {
        DaxFilesystem fs = xfs();
        FileInfo fi = fs.create(A, 30 * B - 100, 3).orThrow();
        assertEquals(3, fi.extentCount());
        assertEquals(30, fi.mappedBlocks());
        // 256 metadata blocks, then 3 pieces of 10 blocks with one-block gaps
        assertEquals(List.of(
                new FiemapExtent(0, 256 * B, 10 * B, 0),
                new FiemapExtent(10 * B, 267 * B, 10 * B, 0),
                new FiemapExtent(20 * B, 278 * B, 10 * B, FiemapExtent.FIEMAP_EXTENT_LAST)), fs.extents(A).orThrow());
        assertEquals(267 * B + 5, fs.physicalOf(A, 10 * B + 5).orThrow());
        assertEquals(Errno.ENXIO, fs.physicalOf(A, 30 * B - 100).errno());
        assertEquals(Errno.ENOENT, fs.extents("/mnt/pmem0/none").errno());
        assertEquals(List.of(new FileRun(8, 2, 264), new FileRun(10, 3, 267)), fs.mapping(A, 8, 5).orThrow());
        assertTrue(fs.checkConsistency().isEmpty(), fs.checkConsistency().toString());
    }

    @Test
    void sparseFileFaultsInBlocksNextToEachOther() {
        DaxFilesystem fs = xfs();
        Log log = new Log();
        fs.setLayoutListener(log);
        fs.createSparse(A, 10 * B);
        assertEquals(Errno.ENODATA, fs.physicalOf(A, 0).errno());
        assertEquals(256 * B + 7, fs.writeFault(A, 7).orThrow());
        assertEquals(257 * B, fs.writeFault(A, B).orThrow(), "grows in place after page 0's block");
        assertEquals(256 * B + 9, fs.writeFault(A, 9).orThrow(), "already mapped: same block");
        assertEquals(1, fs.stat(A).orThrow().extentCount());
        assertEquals(Errno.EFAULT, fs.writeFault(A, 10 * B).errno());
        assertEquals(List.of("allocated " + A + " 0+1@256", "allocated " + A + " 1+1@257"), log.events);
    }

    @Test
    void punchHoleNoticeComesBeforeReuse() {
        DaxFilesystem fs = fs(FsOptions.of(FsType.XFS, "/mnt/pmem0"), (256 + 100) * B);
        Log log = new Log();
        fs.create(A, 100 * B, 1).orThrow();
        fs.setLayoutListener(log);
        FsResult<Void> r = fs.punchHole(A, 10 * B + 1, 20 * B); // whole pages 11..29
        assertEquals(List.of(new Invalidation(1, Invalidation.Cause.PUNCH_HOLE, A, 11, 19, 256 + 11, Invalidation.NO_BLOCK,
                0x100000 + 256 + 11, Invalidation.NO_BLOCK)), r.invalidations());
        assertEquals(1, r.invalidationSeq());
        assertEquals(19, fs.pendingFreeBlocks());
        assertEquals(0, fs.freeBlocks(), "quarantined blocks are not allocatable");
        assertEquals(Errno.ENOSPC, fs.create(C, B, 1).errno(), "no reuse before the acknowledgement");
        assertEquals(19L, fs.acknowledge(1).orThrow());
        assertEquals(0L, fs.acknowledge(1).orThrow(), "second ack releases nothing");
        assertEquals(Errno.EINVAL, fs.acknowledge(2).errno());
        fs.create(C, 19 * B, 1).orThrow();
        assertEquals((256 + 11) * B, fs.physicalOf(C, 0).orThrow());
        assertEquals(List.of("invalidated 1 x1", "released 1 [BlockRun[startBlock=267, nrBlocks=19]]",
                "allocated " + C + " 0+19@267"), log.events);
        assertEquals(List.of(new FileRun(0, 11, 256), new FileRun(11, 19, Invalidation.NO_BLOCK), new FileRun(30, 70, 286)),
                fs.mapping(A, 0, 1000).orThrow());
        assertTrue(fs.checkConsistency().isEmpty(), fs.checkConsistency().toString());
    }

    @Test
    void immediateFreeReleasesRightAfterTheNotice() {
        DaxFilesystem fs = fs(FsOptions.of(FsType.EXT4, "/mnt/pmem0").withDeferFreeUntilAck(false), 4L << 20);
        fs.create(A, 40 * B, 1).orThrow();
        Log log = new Log();
        fs.setLayoutListener(log);
        long free = fs.freeBlocks();
        FsResult<Void> r = fs.truncate(A, 10 * B + 1); // keeps 11 pages
        assertEquals(1, r.invalidations().size());
        assertEquals(11, r.invalidations().get(0).fileOffsetPages());
        assertEquals(29, r.invalidations().get(0).nrPages());
        assertEquals(free + 29, fs.freeBlocks());
        assertEquals(0, fs.pendingFreeBlocks());
        assertEquals(List.of("invalidated 1 x1", "released 1 [BlockRun[startBlock=267, nrBlocks=29]]"), log.events);
        assertTrue(fs.truncate(A, 100 * B).invalidations().isEmpty(), "growing adds a hole");
        assertEquals(11, fs.stat(A).orThrow().mappedBlocks());
        assertEquals(Errno.ENODATA, fs.physicalOf(A, 50 * B).errno());
    }

    @Test
    void unlinkFreesEverything() {
        DaxFilesystem fs = xfs();
        long free = fs.freeBlocks();
        fs.create(A, 50 * B, 4).orThrow();
        FsResult<Void> r = fs.unlink(A);
        assertEquals(4, r.invalidations().size());
        assertTrue(r.invalidations().stream().allMatch(i -> i.freed() && i.cause() == Invalidation.Cause.UNLINK));
        assertEquals(50, r.invalidations().stream().mapToLong(Invalidation::nrPages).sum());
        fs.acknowledge(r.invalidationSeq()).orThrow();
        assertEquals(free, fs.freeBlocks());
        assertEquals(0, fs.fileCount());
        assertEquals(Errno.ENOENT, fs.unlink(A).errno());
    }

    @Test
    void reflinkIsRefusedOnDaxUnlessAllowed() {
        DaxFilesystem x = xfs();
        x.create(A, 10 * B, 1).orThrow();
        FsResult<FileInfo> r = x.reflink(A, C);
        assertEquals(Errno.EINVAL, r.errno());
        assertTrue(r.message().contains("DAX and reflink"), r.message());
        DaxFilesystem e = fs(FsOptions.of(FsType.EXT4, "/mnt/pmem0").withAllowDaxReflink(true), 4L << 20);
        e.create(A, 10 * B, 1).orThrow();
        assertEquals(Errno.EOPNOTSUPP, e.reflink(A, C).errno());
        DaxFilesystem noDax = fs(FsOptions.of(FsType.XFS, "/mnt/pmem0").withDax(false), 4L << 20);
        noDax.create(A, 10 * B, 1).orThrow();
        assertTrue(noDax.reflink(A, C).isOk());
    }

    @Test
    void reflinkThenCopyOnWriteMovesOnlyTheWrittenBlocks() {
        DaxFilesystem fs = fs(FsOptions.of(FsType.XFS, "/mnt/pmem0").withAllowDaxReflink(true), 64L << 20);
        fs.create(A, 20 * B, 1).orThrow(); // blocks 256..275
        FileInfo c = fs.reflink(A, C).orThrow();
        assertEquals(20, c.mappedBlocks());
        assertEquals(Errno.EEXIST, fs.reflink(A, C).errno());
        assertEquals(List.of(new FiemapExtent(0, 256 * B, 20 * B, FiemapExtent.FIEMAP_EXTENT_SHARED | FiemapExtent.FIEMAP_EXTENT_LAST)),
                fs.extents(C).orThrow());
        long free = fs.freeBlocks();
        FsResult<Void> w = fs.cowWrite(C, 5 * B + 3, 2 * B); // touches pages 5, 6, 7
        assertEquals(List.of(new Invalidation(1, Invalidation.Cause.COW, C, 5, 3, 261, 276, 0x100000 + 261, 0x100000 + 276)),
                w.invalidations());
        assertEquals(free - 3, fs.freeBlocks());
        assertEquals(0, fs.pendingFreeBlocks(), "A still owns the old blocks");
        assertEquals(List.of(
                new FiemapExtent(0, 256 * B, 5 * B, FiemapExtent.FIEMAP_EXTENT_SHARED),
                new FiemapExtent(5 * B, 276 * B, 3 * B, 0),
                new FiemapExtent(8 * B, 264 * B, 12 * B, FiemapExtent.FIEMAP_EXTENT_SHARED | FiemapExtent.FIEMAP_EXTENT_LAST)),
                fs.extents(C).orThrow());
        assertFalse(fs.extents(A).orThrow().get(0).shared() && fs.isShared(261), "page 5's old block is A's alone now");
        assertTrue(fs.cowWrite(C, 5 * B, B).invalidations().isEmpty(), "unshared pages are written in place");
        // a write fault on a still-shared page copies it too
        FsResult<Long> wf = fs.writeFault(C, 0);
        assertEquals(279 * B, wf.orThrow());
        assertEquals(Invalidation.Cause.COW, wf.invalidations().get(0).cause());
        // unlinking A frees only the blocks C no longer shares: pages 0 and 5..7 of A
        FsResult<Void> u = fs.unlink(A);
        fs.acknowledge(u.invalidationSeq()).orThrow();
        assertEquals(0, fs.sharedRangeCount());
        assertEquals(free - 3 - 1 + 4, fs.freeBlocks());
        assertTrue(fs.checkConsistency().isEmpty(), fs.checkConsistency().toString());
    }

    @Test
    void defragMovesXfsRangesAndExt4DaxRefuses() {
        DaxFilesystem fs = xfs();
        fs.create(A, 30 * B, 3).orThrow();
        FsResult<Void> r = fs.defragMove(A, 0, 30 * B);
        assertEquals(3, r.invalidations().size());
        assertTrue(r.invalidations().stream().allMatch(i -> i.cause() == Invalidation.Cause.DEFRAG && !i.freed()));
        assertEquals(1, fs.stat(A).orThrow().extentCount(), "moved into one contiguous run");
        assertEquals(30, fs.pendingFreeBlocks());
        assertEquals(288 * B, fs.physicalOf(A, 0).orThrow(), "new run after the old blocks (which are not reusable yet)");
        DaxFilesystem e = fs(FsOptions.of(FsType.EXT4, "/mnt/pmem0"), 4L << 20);
        e.create(A, 3 * B, 3).orThrow();
        FsResult<Void> x = e.defragMove(A, 0, 3 * B);
        assertEquals(Errno.EOPNOTSUPP, x.errno());
        assertTrue(x.message().contains("DAX"), x.message());
        DaxFilesystem e2 = fs(FsOptions.of(FsType.EXT4, "/mnt/pmem0").withDax(false), 4L << 20);
        e2.create(A, 3 * B, 3).orThrow();
        assertTrue(e2.defragMove(A, 0, 3 * B).isOk());
        assertEquals(Errno.EINVAL, fs.defragMove(A, 0, 31 * B).errno());
    }

    @Test
    void limitsAreEnforced() {
        DaxFilesystem fs = fs(FsOptions.of(FsType.XFS, "/mnt/pmem0").withMaxFiles(2).withMaxExtentsPerFile(3), 4L << 20);
        fs.create(A, 9 * B, 10).orThrow();
        assertEquals(3, fs.stat(A).orThrow().extentCount(), "maxExtents is capped by the per-file limit");
        fs.createSparse(C, 100 * B).orThrow();
        FsResult<FileInfo> third = fs.createSparse("/mnt/pmem0/d", B);
        assertEquals(Errno.ENOSPC, third.errno());
        assertTrue(third.message().contains("maxFiles"), third.message());
        // faults at pages 0, 2, 4 make three extents; a fourth separate one is refused
        fs.writeFault(C, 0).orThrow();
        fs.writeFault(C, 2 * B).orThrow();
        fs.writeFault(C, 4 * B).orThrow();
        assertEquals(3, fs.stat(C).orThrow().extentCount());
        FsResult<Long> over = fs.writeFault(C, 6 * B);
        assertEquals(Errno.EOVERFLOW, over.errno());
        assertTrue(over.message().contains("maxExtentsPerFile=3"), over.message());
        // punching the middle of an extent of A (already at 3) would split it into a fourth
        assertEquals(Errno.EOVERFLOW, fs.punchHole(A, B, B).errno());
        assertTrue(fs.punchHole(A, 0, B).isOk(), "trimming an end does not add an extent");
        FsResult<Void> neg = fs.truncate(A, -1);
        assertEquals(Errno.EINVAL, neg.errno());
        assertTrue(neg.message().startsWith("newSizeBytes"), neg.message());
        assertTrue(fs.checkConsistency().isEmpty(), fs.checkConsistency().toString());
    }

    @Test
    void pathsAreChecked() {
        DaxFilesystem fs = xfs();
        assertEquals(Errno.EXDEV, fs.create("/mnt/other/a", B, 1).errno());
        assertEquals(Errno.EINVAL, fs.create("/mnt/pmem0/../etc/passwd", B, 1).errno());
        assertEquals(Errno.EINVAL, fs.create("/mnt/pmem0/", B, 1).errno());
        assertEquals(Errno.EINVAL, fs.create("/mnt/pmem0/" + "n".repeat(256), B, 1).errno());
        assertEquals(Errno.EINVAL, fs.create(null, B, 1).errno());
        assertTrue(fs.create("/mnt/pmem0/vm/disk.img", B, 1).isOk());
        assertEquals(Errno.EEXIST, fs.create("/mnt/pmem0/vm/disk.img", B, 1).errno());
        assertEquals(List.of("/mnt/pmem0/vm/disk.img"), fs.paths());
    }

    @Test
    void mkfsChecksTheDevice() {
        FsResult<DaxFilesystem> raw = DaxFilesystem.mkfs(new BlockDevice("pmem1", SPA, 4L << 20, false), FsOptions.of(FsType.XFS, "/mnt/pmem1"));
        assertEquals(Errno.EINVAL, raw.errno());
        assertTrue(raw.message().startsWith("dax:"), raw.message());
        assertEquals(Errno.ENOSPC, DaxFilesystem.mkfs(new BlockDevice("pmem1", SPA, 256 * B, true), FsOptions.of(FsType.XFS, "/mnt/pmem1")).errno());
        assertTrue(DaxFilesystem.mkfs(new BlockDevice("pmem1", SPA, 4L << 20, false), FsOptions.of(FsType.EXT4, "/mnt/pmem1").withDax(false)).isOk());
    }

    @Test
    void fragmentMakesLaterFilesMultiExtent() {
        DaxFilesystem fs = xfs();
        List<BlockRun> holes = fs.fragment(40, new java.util.SplittableRandom(3)).orThrow();
        assertEquals(40, holes.size());
        assertEquals(40, fs.fileCount());
        assertTrue(fs.paths().get(0).startsWith("/mnt/pmem0/.fragment-"));
        // ask for the whole remaining space in up to 100 extents: it must flow around the other files
        long want = fs.freeBlocks();
        FileInfo fi = fs.create(A, want * B, 100).orThrow();
        assertTrue(fi.extentCount() > 1 && fi.extentCount() <= 100, "extents " + fi.extentCount());
        assertEquals(0, fs.freeBlocks());
        assertTrue(fs.checkConsistency().isEmpty(), fs.checkConsistency().toString());
    }

    @Test
    void extentSizeHintKeepsExtentsAndTheDefragRunAligned() {
        long mib2 = 2L << 20;
        DaxFilesystem fs = fs(FsOptions.of(FsType.XFS, "/mnt/pmem0").withMetadataBlocks(3), 1L << 30);
        FileInfo f = fs.create(A, 64 * mib2, 10, mib2).orThrow();
        assertEquals(10, f.extentCount());
        List<FiemapExtent> before = fs.extents(A).orThrow();
        for (FiemapExtent x : before) {
            assertEquals(0, x.physicalBytes() % mib2, x.toString());
            assertEquals(0, x.lengthBytes() % mib2, x.toString());
        }
        assertTrue(fs.defragMove(A, 0, 64 * mib2).isOk());
        List<FiemapExtent> after = fs.extents(A).orThrow();
        assertEquals(1, after.size(), "one run");
        assertEquals(0, after.get(0).physicalBytes() % mib2, after.toString());
        // Not a multiple of the hint, or ext4: EINVAL, nothing made.
        assertEquals(Errno.EINVAL, fs.create(C, 3 * mib2 + B, 1, mib2).errno());
        DaxFilesystem e = fs(FsOptions.of(FsType.EXT4, "/mnt/pmem0"), 1L << 30);
        assertEquals(Errno.EINVAL, e.create(C, mib2, 1, mib2).errno());
        assertEquals(0, e.fileCount());
    }
}
