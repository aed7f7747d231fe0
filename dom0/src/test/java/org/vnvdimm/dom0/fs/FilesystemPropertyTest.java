package org.vnvdimm.dom0.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.dom0.nd.BlockDevice;
import org.vnvdimm.ranges.RangeSet;

/**
 * Seeded random operations on a small filesystem, checked after every step by
 * {@link DaxFilesystem#checkConsistency()} (no block owned twice unless refcounted, free + owned +
 * quarantined + metadata = total) and by a listener-side model of the invalidation order: a block may be
 * handed to a file only when no file owns it and no un-released free holds it, and blocks are released
 * only after a notice named them.
 */
class FilesystemPropertyTest {
    private static final long B = DaxFilesystem.BLOCK_SIZE_BYTES;
    private static final long METADATA = 16;

    /** What the Dom0 actor would see: live = owned by some file or waiting in quarantine (or metadata). */
    private static final class OrderModel implements LayoutListener {
        final RangeSet live = RangeSet.of(0, METADATA);
        final TreeMap<Long, RangeSet> noticed = new TreeMap<>();
        long lastSeq;
        int notices;
        int releases;

        @Override
        public void invalidated(long seq, List<Invalidation> batch) {
            assertTrue(seq > lastSeq, "sequence numbers grow: " + seq + " after " + lastSeq);
            lastSeq = seq;
            RangeSet s = new RangeSet();
            for (Invalidation i : batch) {
                assertEquals(seq, i.seq());
                assertTrue(live.containsAll(i.oldBlock(), i.oldBlock() + i.nrPages()), "invalidated blocks were in use: " + i);
                s.add(i.oldBlock(), i.oldBlock() + i.nrPages());
            }
            noticed.put(seq, s);
            notices++;
        }

        @Override
        public void allocated(String path, long off, long n, long block) {
            assertFalse(live.intersects(block, block + n),
                    "block " + block + "+" + n + " handed to " + path + " while still owned or not yet released: " + live);
            live.add(block, block + n);
        }

        @Override
        public void released(long seq, List<BlockRun> blocks) {
            RangeSet s = noticed.get(seq);
            assertNotNull(s, "release of seq " + seq + " without a notice");
            for (BlockRun b : blocks) {
                assertTrue(s.containsAll(b.startBlock(), b.endBlock()), "released blocks " + b + " were not in notice " + seq);
                assertTrue(live.containsAll(b.startBlock(), b.endBlock()));
                live.remove(b.startBlock(), b.endBlock());
            }
            releases++;
        }
    }

    private static final Set<Errno> EXPECTED_ERRORS =
            EnumSet.of(Errno.ENOSPC, Errno.EEXIST, Errno.ENOENT, Errno.EOVERFLOW, Errno.EINVAL, Errno.EFAULT);

    @Test
    void randomOperationsKeepTheInvariants() {
        int notices = 0;
        int releases = 0;
        for (long seed = 1; seed <= 16; seed++) {
            for (boolean defer : new boolean[] {true, false}) {
                OrderModel m = run(seed, defer);
                notices += m.notices;
                releases += m.releases;
            }
        }
        assertTrue(notices > 500, "the random walk exercised invalidations: " + notices);
        assertTrue(releases > 300, "and releases: " + releases);
    }

    private static OrderModel run(long seed, boolean defer) {
        SplittableRandom rng = new SplittableRandom(seed);
        FsOptions o = FsOptions.of(FsType.XFS, "/p").withAllowDaxReflink(true).withDeferFreeUntilAck(defer)
                .withMaxFiles(24).withMaxExtentsPerFile(12).withMetadataBlocks(METADATA);
        DaxFilesystem fs = DaxFilesystem.mkfs(new BlockDevice("pmem0", 1L << 32, 1024 * B, true), o).orThrow();
        OrderModel m = new OrderModel();
        fs.setLayoutListener(m);
        fs.fragment(12, rng).orThrow();
        String[] names = {"/p/a", "/p/b", "/p/c", "/p/d", "/p/e", "/p/f"};
        for (int step = 0; step < 300; step++) {
            String p = names[rng.nextInt(names.length)];
            String q = names[rng.nextInt(names.length)];
            long size = fs.stat(p).isOk() ? fs.stat(p).value().sizeBytes() : 0;
            long off = size > 0 ? rng.nextLong(size) : 0;
            long len = 1 + (size > off ? rng.nextLong(size - off) : 0);
            FsResult<?> r = switch (rng.nextInt(11)) {
                case 0 -> fs.create(p, (1 + rng.nextInt(120)) * B - rng.nextInt(100), 1 + rng.nextInt(5));
                case 1 -> fs.createSparse(p, (1 + rng.nextInt(80)) * B);
                case 2, 3 -> fs.writeFault(p, off);
                case 4 -> fs.cowWrite(p, off, len);
                case 5 -> fs.punchHole(p, off, len);
                case 6 -> fs.truncate(p, rng.nextInt(3) == 0 ? size + rng.nextInt(20) * B : off);
                case 7 -> fs.unlink(p);
                case 8 -> fs.reflink(p, q);
                case 9 -> fs.defragMove(p, off, len);
                default -> {
                    List<Long> seqs = fs.pendingSeqs();
                    yield seqs.isEmpty() ? FsResult.ok(0L) : fs.acknowledge(seqs.get(rng.nextInt(seqs.size())));
                }
            };
            if (!r.isOk()) assertTrue(EXPECTED_ERRORS.contains(r.errno()), "seed " + seed + " step " + step + ": " + r);
            if (!defer) assertEquals(0, fs.pendingFreeBlocks());
            for (Invalidation i : r.invalidations()) assertEquals(r.invalidationSeq(), i.seq());
            List<String> bad = fs.checkConsistency();
            assertTrue(bad.isEmpty(), "seed " + seed + " defer " + defer + " step " + step + ": " + bad);
            assertEquals(fs.totalBlocks() - fs.freeBlocks(), m.live.totalLength(),
                    "listener's view of used blocks matches the allocator");
            checkFilesAgainstMapping(fs);
        }
        for (String p : fs.paths()) fs.unlink(p).orThrow();
        for (long s : fs.pendingSeqs()) fs.acknowledge(s).orThrow();
        assertEquals(fs.totalBlocks() - METADATA, fs.freeBlocks(), "everything comes back");
        assertEquals(METADATA, m.live.totalLength());
        return m;
    }

    /** FIEMAP, mapping() and physicalOf() agree, and extents never run past EOF. */
    private static void checkFilesAgainstMapping(DaxFilesystem fs) {
        for (String p : fs.paths()) {
            FileInfo fi = fs.stat(p).orThrow();
            List<FiemapExtent> fe = fs.extents(p).orThrow();
            long mapped = 0;
            List<FileRun> runs = new ArrayList<>();
            for (FileRun r : fs.mapping(p, 0, Long.MAX_VALUE).orThrow()) if (!r.hole()) runs.add(r);
            for (FiemapExtent e : fe) mapped += e.lengthBytes() / B;
            assertEquals(fi.mappedBlocks(), mapped);
            if (!fe.isEmpty()) {
                assertTrue(fe.get(fe.size() - 1).last());
                FileRun first = runs.get(0);
                assertEquals(first.block() * B, fs.physicalOf(p, first.fileOffsetPages() * B).orThrow());
            }
        }
    }
}
