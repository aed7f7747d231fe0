package org.vnvdimm.dom0.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;

class BlockAllocatorTest {

    /** The naive model: one boolean per block. */
    private static final class Naive {
        final boolean[] used;

        Naive(int n) { used = new boolean[n]; }

        long free() {
            long f = 0;
            for (boolean u : used) if (!u) f++;
            return f;
        }

        List<long[]> freeRuns() {
            List<long[]> out = new ArrayList<>();
            for (int i = 0; i < used.length; ) {
                if (used[i]) {
                    i++;
                    continue;
                }
                int j = i;
                while (j < used.length && !used[j]) j++;
                out.add(new long[] {i, j - i});
                i = j;
            }
            return out;
        }

        /** Sum of the k largest free runs. */
        long largest(int k) {
            List<Long> lens = new ArrayList<>();
            for (long[] r : freeRuns()) lens.add(r[1]);
            lens.sort((a, b) -> Long.compare(b, a));
            long s = 0;
            for (int i = 0; i < Math.min(k, lens.size()); i++) s += lens.get(i);
            return s;
        }

        void mark(BlockRun r, boolean v) {
            for (long b = r.startBlock(); b < r.endBlock(); b++) {
                assertTrue(used[(int) b] != v, "block " + b + " already " + (v ? "used" : "free"));
                used[(int) b] = v;
            }
        }
    }

    private static void assertSameFreeSpace(Naive m, BlockAllocator a) {
        assertEquals(m.free(), a.freeBlocks());
        assertEquals(a.totalBlocks(), a.freeBlocks() + a.usedBlocks());
        List<long[]> runs = m.freeRuns();
        List<BlockRun> got = a.freeRuns();
        assertEquals(runs.size(), got.size());
        for (int i = 0; i < runs.size(); i++) {
            assertEquals(runs.get(i)[0], got.get(i).startBlock());
            assertEquals(runs.get(i)[1], got.get(i).nrBlocks());
        }
    }

    private static long sum(List<BlockRun> runs) {
        long s = 0;
        for (BlockRun r : runs) s += r.nrBlocks();
        return s;
    }

    @Test
    void randomOpsAgreeWithNaiveModel() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rng = new SplittableRandom(seed);
            int n = 64 + rng.nextInt(1000);
            BlockAllocator a = new BlockAllocator(n);
            Naive m = new Naive(n);
            List<BlockRun> owned = new ArrayList<>();
            for (int step = 0; step < 400; step++) {
                int op = rng.nextInt(7);
                long nr = 1 + rng.nextInt(Math.max(1, n / 8));
                int k = 1 + rng.nextInt(6);
                FsResult<List<BlockRun>> r;
                long freeBefore = m.free();
                switch (op) {
                    case 0 -> {
                        boolean fits = false;
                        long lowest = -1;
                        for (long[] fr : m.freeRuns()) {
                            if (fr[1] >= nr) {
                                fits = true;
                                lowest = fr[0];
                                break;
                            }
                        }
                        r = a.contiguous(nr);
                        assertEquals(fits, r.isOk(), "contiguous " + nr + " seed " + seed);
                        if (r.isOk()) {
                            assertEquals(1, r.value().size());
                            assertEquals(lowest, r.value().get(0).startBlock(), "lowest fitting run");
                        }
                    }
                    case 1 -> {
                        boolean possible = freeBefore >= nr && m.largest(k) >= nr;
                        r = a.firstFit(nr, k);
                        assertEquals(possible, r.isOk(), "firstFit " + nr + "/" + k + " seed " + seed + ": " + r);
                    }
                    case 2 -> {
                        boolean possible = freeBefore >= nr && m.largest(k) >= nr;
                        r = a.allocate(nr, k);
                        assertEquals(possible, r.isOk(), "allocate " + nr + "/" + k + " seed " + seed + ": " + r);
                    }
                    case 3 -> {
                        r = a.allocate(nr, k, rng);
                        if (freeBefore < nr || m.largest(k) < nr) assertFalse(r.isOk());
                    }
                    case 4 -> {
                        long goal = rng.nextLong(n);
                        r = a.near(goal, nr, k);
                        boolean possible = freeBefore >= nr && m.largest(k) >= nr;
                        if (possible) assertTrue(r.isOk(), "near must succeed whenever first-fit could: " + r);
                        long runAtGoal = 0;
                        for (long b = goal; b < n && !m.used[(int) b]; b++) runAtGoal++;
                        if (runAtGoal >= nr) assertEquals(List.of(new BlockRun(goal, nr)), r.value(), "fits at the goal");
                    }
                    case 5 -> {
                        r = null;
                        if (!owned.isEmpty()) {
                            BlockRun v = owned.remove(rng.nextInt(owned.size()));
                            a.free(v.startBlock(), v.nrBlocks());
                            m.mark(v, false);
                        }
                    }
                    default -> {
                        r = null;
                        List<BlockRun> holes = a.fragment(1 + rng.nextInt(4), rng);
                        for (BlockRun h : holes) {
                            m.mark(h, true);
                            owned.add(h);
                            assertTrue(h.nrBlocks() <= BlockAllocator.MAX_FRAGMENT_BLOCKS);
                        }
                    }
                }
                if (r != null && r.isOk()) {
                    List<BlockRun> runs = r.value();
                    assertEquals(nr, sum(runs), "allocates exactly the request");
                    int cap = op == 0 ? 1 : k;
                    assertTrue(runs.size() <= cap, runs.size() + " pieces > maxExtents " + cap);
                    for (int i = 1; i < runs.size() && op != 4; i++) {
                        assertTrue(runs.get(i - 1).endBlock() <= runs.get(i).startBlock(), "pieces sorted and disjoint");
                    }
                    for (BlockRun b : runs) {
                        m.mark(b, true); // fails on a double allocation
                        owned.add(b);
                    }
                } else if (r != null) {
                    assertEquals(Errno.ENOSPC, r.errno());
                    assertEquals(freeBefore, m.free(), "a refused request changes nothing");
                }
                assertSameFreeSpace(m, a);
            }
        }
    }

    @Test
    void deliberateSplitGivesSeparatedPieces() {
        BlockAllocator a = new BlockAllocator(1000);
        List<BlockRun> r = a.allocate(30, 3).orThrow();
        assertEquals(List.of(new BlockRun(0, 10), new BlockRun(11, 10), new BlockRun(22, 10)), r);
        // uneven split 4, 3, 3; the 1-block gaps at 10 and 21 are too small, so it starts at 32
        assertEquals(List.of(new BlockRun(32, 4), new BlockRun(37, 3), new BlockRun(41, 3)), a.allocate(10, 3).orThrow());
        // the gaps are real free blocks: a 1-block first-fit takes the lowest one
        assertEquals(List.of(new BlockRun(10, 1)), a.firstFit(1, 1).orThrow());
        // fewer blocks than pieces: one piece per block
        assertEquals(2, a.allocate(2, 5).orThrow().size());
    }

    @Test
    void splitFallsBackWhenOnlyOneRunFits() {
        BlockAllocator a = new BlockAllocator(100);
        a.reserve(0, 70);
        // 30 free blocks in one run: three separated pieces of 10 need 32, so first-fit takes the run whole
        assertEquals(List.of(new BlockRun(70, 30)), a.allocate(30, 3).orThrow());
        assertEquals(0, a.freeBlocks());
        FsResult<List<BlockRun>> r = a.allocate(1, 1);
        assertEquals(Errno.ENOSPC, r.errno());
        assertTrue(r.message().contains("only 0 free"), r.message());
    }

    @Test
    void fragmentedSpaceRefusesTooFewExtents() {
        BlockAllocator a = new BlockAllocator(100);
        for (int i = 0; i < 100; i += 10) a.reserve(i, 5); // 10 free runs of 5
        assertEquals(10, a.freeRangeCount());
        FsResult<List<BlockRun>> r = a.firstFit(20, 3);
        assertEquals(Errno.ENOSPC, r.errno());
        assertTrue(r.message().contains("fragmented"), r.message());
        assertEquals(50, a.freeBlocks(), "nothing taken");
        List<BlockRun> got = a.firstFit(20, 4).orThrow();
        assertEquals(List.of(new BlockRun(5, 5), new BlockRun(15, 5), new BlockRun(25, 5), new BlockRun(35, 5)), got);
        assertEquals(Errno.ENOSPC, a.contiguous(6).errno());
    }

    @Test
    void misuseIsRefusedWithTheBlocksNamed() {
        BlockAllocator a = new BlockAllocator(100);
        a.reserve(10, 5);
        IllegalArgumentException dbl = assertThrows(IllegalArgumentException.class, () -> a.free(12, 10));
        assertTrue(dbl.getMessage().contains("double free"), dbl.getMessage());
        IllegalArgumentException res = assertThrows(IllegalArgumentException.class, () -> a.reserve(14, 2));
        assertTrue(res.getMessage().contains("not all free"), res.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.free(99, 2));
        assertEquals(Errno.EINVAL, a.firstFit(0, 1).errno());
        assertEquals(Errno.EINVAL, a.allocate(5, 0).errno());
        assertEquals(95, a.freeBlocks());
    }

    @Test
    void fragmentIsDeterministic() {
        BlockAllocator x = new BlockAllocator(1 << 20);
        BlockAllocator y = new BlockAllocator(1 << 20);
        List<BlockRun> hx = x.fragment(50, new SplittableRandom(9));
        List<BlockRun> hy = y.fragment(50, new SplittableRandom(9));
        assertEquals(hx, hy);
        assertEquals(50, hx.size());
        assertTrue(x.freeRangeCount() >= 40, "holes cut the free space: " + x.freeRangeCount());
        // afterwards a first-fit allocation bigger than the lowest gap comes out in several pieces
        long firstGap = x.freeRuns().get(0).nrBlocks();
        assertTrue(x.firstFit(firstGap + 1, 1000).orThrow().size() >= 2);
    }

    @Test
    void hugeDeviceCostsRangesNotBlocks() {
        long blocks = 1L << 32; // 16 TiB of 4 KiB blocks
        BlockAllocator a = new BlockAllocator(blocks);
        List<BlockRun> r = a.allocate(1L << 28, 3).orThrow(); // 1 TiB
        assertEquals(3, r.size());
        assertEquals(3, a.freeRangeCount()); // two 1-block gaps and the tail
        a.fragment(1000, new SplittableRandom(1));
        // 4 TiB more in at most 64 pieces cannot work: the tail is cut into ~16 GiB runs by the holes
        assertEquals(Errno.ENOSPC, a.firstFit(1L << 30, 64).errno());
        List<BlockRun> more = a.firstFit(1L << 30, 2000).orThrow();
        assertEquals(1L << 30, sum(more));
        assertTrue(more.size() < 400, "pieces: " + more.size());
        assertTrue(a.freeRangeCount() < 2000);
    }

    @Test
    void extentSizeHintGivesAlignedMultiplesAsSeparateExtents() {
        long align = 512;   // 2 MiB of 4 KiB blocks
        BlockAllocator a = new BlockAllocator(1L << 30);   // 4 TiB
        a.reserve(0, 7);    // metadata that leaves block 0 unaligned
        long units = 1L << 19;   // 1 TiB
        List<BlockRun> r = a.allocateAligned(units * align, 100_000, align).orThrow();
        assertEquals(100_000, r.size());
        long total = 0, prevEnd = -1;
        for (BlockRun b : r) {
            assertEquals(0, b.startBlock() % align, b.toString());
            assertEquals(0, b.nrBlocks() % align, b.toString());
            assertTrue(b.nrBlocks() == 5 * align || b.nrBlocks() == 6 * align, b.toString());
            assertTrue(b.startBlock() > prevEnd, "separate extents: " + b);
            prevEnd = b.endBlock();
            total += b.nrBlocks();
        }
        assertEquals(units * align, total);
        assertEquals(100_001, a.freeRangeCount(), "the gaps between the pieces and the tail");
        assertEquals(Errno.EINVAL, a.allocateAligned(align + 1, 2, align).errno());
        // the defrag's new run: one aligned run after everything else
        BlockRun c = a.contiguousAligned(units * align, align).orThrow().get(0);
        assertEquals(0, c.startBlock() % align);
        assertTrue(c.startBlock() >= prevEnd);
    }

    @Test
    void contiguousAlignedSkipsTheUnalignedHead() {
        BlockAllocator a = new BlockAllocator(4096);
        a.reserve(0, 3);
        assertEquals(List.of(new BlockRun(512, 1024)), a.contiguousAligned(1024, 512).orThrow());
        assertEquals(List.of(new BlockRun(3, 100)), a.contiguous(100).orThrow(), "without a hint the lowest free block");
        a.reserve(1536, 2560);
        assertEquals(Errno.ENOSPC, a.contiguousAligned(512, 512).errno(), "only the unaligned head [103, 512) is free");
    }
}
