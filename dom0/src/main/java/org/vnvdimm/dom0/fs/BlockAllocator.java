package org.vnvdimm.dom0.fs;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.vnvdimm.contract.Errno;
import org.vnvdimm.ranges.RangeSet;

/**
 * Free space of a block device as a {@link RangeSet} of block numbers. Every policy is deterministic
 * (address order, or a caller-supplied SplittableRandom) and costs O(free ranges visited + pieces
 * returned), never O(blocks). Running out of space returns ENOSPC; misuse (double free, freeing or
 * reserving outside the device) throws IllegalArgumentException naming the blocks.
 *
 * <ul>
 *   <li>{@link #contiguous}: the lowest free run that holds the whole request.</li>
 *   <li>{@link #firstFit}: fill the lowest free runs in address order (what makes files fragmented
 *       once the free space is); if more than maxPieces runs would be needed, take the largest free
 *       runs instead; ENOSPC if even those are not enough.</li>
 *   <li>{@link #near}: starting exactly at a goal block when it is free (extending a file), else first-fit;
 *       the goal run is returned first, the others by address.</li>
 *   <li>{@link #allocate(long, int)}: deliberately split into min(maxExtents, nrBlocks) near-equal
 *       pieces, each placed first-fit after the previous one with a one-block gap so they stay separate
 *       extents; falls back to first-fit when the free space does not allow that.</li>
 *   <li>{@link #allocate(long, int, SplittableRandom)}: as above but the piece count (1..maxExtents)
 *       and the cut points are drawn from the random source.</li>
 * </ul>
 */
public final class BlockAllocator {
    /** Largest "other file" {@link #fragment} creates. */
    public static final int MAX_FRAGMENT_BLOCKS = 8;

    private final long totalBlocks;
    private final RangeSet free;

    public BlockAllocator(long totalBlocks) {
        if (totalBlocks <= 0) throw new IllegalArgumentException("totalBlocks: must be > 0, got " + totalBlocks);
        this.totalBlocks = totalBlocks;
        this.free = RangeSet.of(0, totalBlocks);
    }

    public long totalBlocks() { return totalBlocks; }

    public long freeBlocks() { return free.totalLength(); }

    public long usedBlocks() { return totalBlocks - free.totalLength(); }

    /** Number of separate free runs: a measure of fragmentation. */
    public int freeRangeCount() { return free.rangeCount(); }

    public List<BlockRun> freeRuns() {
        List<BlockRun> out = new ArrayList<>();
        for (RangeSet.Range r : free.ranges()) out.add(new BlockRun(r.start(), r.length()));
        return out;
    }

    /** True when every block of [startBlock, +nrBlocks) is free. */
    public boolean isFree(long startBlock, long nrBlocks) {
        checkRange("isFree", startBlock, nrBlocks);
        return free.containsAll(startBlock, startBlock + nrBlocks);
    }

    /** True when no block of [startBlock, +nrBlocks) is free. */
    public boolean isAllocated(long startBlock, long nrBlocks) {
        checkRange("isAllocated", startBlock, nrBlocks);
        return !free.intersects(startBlock, startBlock + nrBlocks);
    }

    private void checkRange(String op, long startBlock, long nrBlocks) {
        if (startBlock < 0 || nrBlocks <= 0 || startBlock > totalBlocks - nrBlocks) {
            throw new IllegalArgumentException(op + ": blocks [" + startBlock + ", +" + nrBlocks + ") outside device of "
                    + totalBlocks + " blocks");
        }
    }

    /** Marks specific blocks used (filesystem metadata, tests). */
    public void reserve(long startBlock, long nrBlocks) {
        checkRange("reserve", startBlock, nrBlocks);
        if (!free.containsAll(startBlock, startBlock + nrBlocks)) {
            throw new IllegalArgumentException("reserve: blocks [" + startBlock + ", +" + nrBlocks + ") are not all free; in use: "
                    + usedIn(startBlock, nrBlocks));
        }
        free.remove(startBlock, startBlock + nrBlocks);
    }

    /** Returns blocks to the free space. */
    public void free(long startBlock, long nrBlocks) {
        checkRange("free", startBlock, nrBlocks);
        if (free.intersects(startBlock, startBlock + nrBlocks)) {
            throw new IllegalArgumentException("free: double free, blocks already free in [" + startBlock + ", +" + nrBlocks
                    + "): " + free.intersection(startBlock, startBlock + nrBlocks));
        }
        free.add(startBlock, startBlock + nrBlocks);
    }

    private String usedIn(long start, long nr) {
        RangeSet used = RangeSet.of(start, start + nr);
        for (RangeSet.Range r : free.intersection(start, start + nr)) used.remove(r.start(), r.end());
        return used.toString();
    }

    private FsResult<List<BlockRun>> checkRequest(long nrBlocks, long maxPieces) {
        if (nrBlocks <= 0) return FsResult.error(Errno.EINVAL, "nrBlocks: must be > 0, got " + nrBlocks);
        if (maxPieces <= 0) return FsResult.error(Errno.EINVAL, "maxExtents: must be > 0, got " + maxPieces);
        if (nrBlocks > free.totalLength()) {
            return FsResult.error(Errno.ENOSPC, "need " + nrBlocks + " blocks, only " + free.totalLength() + " free");
        }
        return null;
    }

    /** The lowest free run with room for all nrBlocks; ENOSPC if there is none. */
    public FsResult<List<BlockRun>> contiguous(long nrBlocks) {
        FsResult<List<BlockRun>> bad = checkRequest(nrBlocks, 1);
        if (bad != null) return bad;
        FreeCursor c = new FreeCursor(0);
        for (RangeSet.Range r = c.next(); r != null; r = c.next()) {
            if (r.length() >= nrBlocks) return take(List.of(new BlockRun(r.start(), nrBlocks)));
        }
        return FsResult.error(Errno.ENOSPC, "no free run of " + nrBlocks + " contiguous blocks (largest free runs are smaller; "
                + free.rangeCount() + " free runs)");
    }

    /** Lowest free blocks first, in at most maxPieces runs (largest runs when address order needs too many). */
    public FsResult<List<BlockRun>> firstFit(long nrBlocks, int maxPieces) {
        FsResult<List<BlockRun>> bad = checkRequest(nrBlocks, maxPieces);
        if (bad != null) return bad;
        List<BlockRun> got = new ArrayList<>();
        long need = nrBlocks;
        FreeCursor c = new FreeCursor(0);
        for (RangeSet.Range r = c.next(); r != null && need > 0 && got.size() < maxPieces; r = c.next()) {
            long n = Math.min(need, r.length());
            got.add(new BlockRun(r.start(), n));
            need -= n;
        }
        if (need == 0) return take(got);
        return largestFirst(nrBlocks, maxPieces);
    }

    private FsResult<List<BlockRun>> largestFirst(long nrBlocks, int maxPieces) {
        List<RangeSet.Range> all = free.ranges();
        all.sort(Comparator.comparingLong(RangeSet.Range::length).reversed().thenComparingLong(RangeSet.Range::start));
        List<BlockRun> got = new ArrayList<>();
        long need = nrBlocks;
        for (int i = 0; i < all.size() && need > 0 && got.size() < maxPieces; i++) {
            long n = Math.min(need, all.get(i).length());
            got.add(new BlockRun(all.get(i).start(), n));
            need -= n;
        }
        if (need > 0) {
            return FsResult.error(Errno.ENOSPC, "free space too fragmented: " + nrBlocks + " blocks need more than "
                    + maxPieces + " extents (" + free.rangeCount() + " free runs, " + free.totalLength() + " blocks free)");
        }
        got.sort(Comparator.comparingLong(BlockRun::startBlock));
        return take(got);
    }

    /** Starts at goalBlock when it is free (so a file grows in place), the rest first-fit. */
    public FsResult<List<BlockRun>> near(long goalBlock, long nrBlocks, int maxPieces) {
        FsResult<List<BlockRun>> bad = checkRequest(nrBlocks, maxPieces);
        if (bad != null) return bad;
        RangeSet.Range r = goalBlock >= 0 && goalBlock < totalBlocks ? free.rangeAt(goalBlock) : null;
        if (r == null) return firstFit(nrBlocks, maxPieces);
        long n = Math.min(nrBlocks, r.end() - goalBlock);
        free.remove(goalBlock, goalBlock + n);
        if (n == nrBlocks) return FsResult.ok(List.of(new BlockRun(goalBlock, n)));
        FsResult<List<BlockRun>> rest = maxPieces > 1 ? firstFit(nrBlocks - n, maxPieces - 1)
                : FsResult.error(Errno.ENOSPC, "no room for " + nrBlocks + " blocks in 1 extent at goal " + goalBlock);
        if (!rest.isOk()) {
            free.add(goalBlock, goalBlock + n);
            return firstFit(nrBlocks, maxPieces);
        }
        List<BlockRun> out = new ArrayList<>();
        out.add(new BlockRun(goalBlock, n));
        out.addAll(rest.value());
        return FsResult.ok(out); // goal run first: it continues the caller's previous run
    }

    /** Deliberately split into min(maxExtents, nrBlocks) separate pieces (see the class comment). */
    public FsResult<List<BlockRun>> allocate(long nrBlocks, int maxExtents) {
        FsResult<List<BlockRun>> bad = checkRequest(nrBlocks, maxExtents);
        if (bad != null) return bad;
        int k = (int) Math.min(maxExtents, nrBlocks);
        long[] sizes = new long[k];
        for (int i = 0; i < k; i++) sizes[i] = nrBlocks / k + (i < nrBlocks % k ? 1 : 0);
        List<BlockRun> placed = place(sizes);
        return placed != null ? take(placed) : firstFit(nrBlocks, maxExtents);
    }

    /**
     * As {@link #allocate(long, int)} under an extent size hint of alignBlocks (XFS's extsize, e.g.
     * xfs_io -c "extsize 2m"): nrBlocks must be a multiple of alignBlocks; the pieces are
     * min(maxExtents, nrBlocks / alignBlocks) near-equal multiples of it, each starting on an
     * alignBlocks boundary of the device, with at least one free aligned unit between two pieces so
     * they stay separate extents. Falls back to {@link #contiguousAligned} when they do not fit.
     * O(free runs visited + pieces).
     */
    public FsResult<List<BlockRun>> allocateAligned(long nrBlocks, int maxExtents, long alignBlocks) {
        if (alignBlocks <= 1) return allocate(nrBlocks, maxExtents);
        FsResult<List<BlockRun>> bad = checkRequest(nrBlocks, maxExtents);
        if (bad != null) return bad;
        if (nrBlocks % alignBlocks != 0) {
            return FsResult.error(Errno.EINVAL, "nrBlocks: " + nrBlocks + " is not a multiple of the extent size hint of " + alignBlocks + " blocks");
        }
        long units = nrBlocks / alignBlocks;
        int k = (int) Math.min(maxExtents, units);
        List<BlockRun> out = new ArrayList<>(k);
        FreeCursor c = new FreeCursor(0);
        RangeSet.Range r = c.next();
        long pos = 0;
        for (int i = 0; i < k; i++) {
            long s = (units / k + (i < units % k ? 1 : 0)) * alignBlocks;
            while (r != null && r.end() - alignUp(Math.max(r.start(), pos), alignBlocks) < s) r = c.next();
            if (r == null) return contiguousAligned(nrBlocks, alignBlocks);
            long at = alignUp(Math.max(r.start(), pos), alignBlocks);
            out.add(new BlockRun(at, s));
            pos = at + s + alignBlocks;
        }
        return take(out);
    }

    /** The lowest free run holding nrBlocks from an alignBlocks boundary; ENOSPC if there is none. */
    public FsResult<List<BlockRun>> contiguousAligned(long nrBlocks, long alignBlocks) {
        if (alignBlocks <= 1) return contiguous(nrBlocks);
        FsResult<List<BlockRun>> bad = checkRequest(nrBlocks, 1);
        if (bad != null) return bad;
        FreeCursor c = new FreeCursor(0);
        for (RangeSet.Range r = c.next(); r != null; r = c.next()) {
            long at = alignUp(r.start(), alignBlocks);
            if (at < r.end() && r.end() - at >= nrBlocks) return take(List.of(new BlockRun(at, nrBlocks)));
        }
        return FsResult.error(Errno.ENOSPC, "no free run of " + nrBlocks + " contiguous blocks aligned to " + alignBlocks + " blocks ("
                + free.rangeCount() + " free runs)");
    }

    private static long alignUp(long v, long a) { return (v + a - 1) / a * a; }

    /** Split into 1..min(maxExtents, nrBlocks) pieces at cut points drawn from rng. */
    public FsResult<List<BlockRun>> allocate(long nrBlocks, int maxExtents, SplittableRandom rng) {
        FsResult<List<BlockRun>> bad = checkRequest(nrBlocks, maxExtents);
        if (bad != null) return bad;
        int k = 1 + rng.nextInt((int) Math.min(maxExtents, nrBlocks));
        TreeSet<Long> cuts = new TreeSet<>();
        while (cuts.size() < k - 1) cuts.add(rng.nextLong(1, nrBlocks));
        long[] sizes = new long[k];
        long prev = 0;
        int i = 0;
        for (long cut : cuts) {
            sizes[i++] = cut - prev;
            prev = cut;
        }
        sizes[i] = nrBlocks - prev;
        List<BlockRun> placed = place(sizes);
        return placed != null ? take(placed) : firstFit(nrBlocks, maxExtents);
    }

    /** Places pieces in order, each first-fit after the previous one plus a one-block gap; null if impossible. */
    private List<BlockRun> place(long[] sizes) {
        List<BlockRun> out = new ArrayList<>(sizes.length);
        FreeCursor c = new FreeCursor(0);
        RangeSet.Range r = c.next();
        long pos = 0;
        for (long s : sizes) {
            while (r != null && r.end() - Math.max(r.start(), pos) < s) r = c.next();
            if (r == null) return null;
            long at = Math.max(r.start(), pos);
            out.add(new BlockRun(at, s));
            pos = at + s + 1;
        }
        return out;
    }

    private FsResult<List<BlockRun>> take(List<BlockRun> runs) {
        for (BlockRun b : runs) free.remove(b.startBlock(), b.endBlock());
        return FsResult.ok(List.copyOf(runs));
    }

    /**
     * Marks up to nHoles small runs (1..{@link #MAX_FRAGMENT_BLOCKS} blocks) at random free places as used,
     * so the free space is cut up the way older files leave it. Returns the runs, by address.
     */
    public List<BlockRun> fragment(int nHoles, SplittableRandom rng) {
        if (nHoles < 0) throw new IllegalArgumentException("nHoles: must be >= 0, got " + nHoles);
        List<BlockRun> out = new ArrayList<>();
        for (int i = 0; i < nHoles; i++) {
            for (int attempt = 0; attempt < 8; attempt++) {
                long pos = rng.nextLong(totalBlocks);
                RangeSet.Range r = free.rangeAt(pos);
                if (r == null) continue;
                long n = Math.min(1 + rng.nextInt(MAX_FRAGMENT_BLOCKS), r.end() - pos);
                free.remove(pos, pos + n);
                out.add(new BlockRun(pos, n));
                break;
            }
        }
        out.sort(Comparator.comparingLong(BlockRun::startBlock));
        return out;
    }

    /**
     * Walks free runs in address order from a block without copying the whole set: it asks the
     * RangeSet for windows that double in size, so the cost follows the runs actually visited.
     */
    private final class FreeCursor {
        private final ArrayDeque<RangeSet.Range> buffered = new ArrayDeque<>();
        private long pos;
        private long window = 1024;

        FreeCursor(long from) { pos = from; }

        RangeSet.Range next() {
            while (buffered.isEmpty() && pos < totalBlocks) {
                long end = window >= totalBlocks - pos ? totalBlocks : pos + window;
                for (RangeSet.Range r : free.intersection(pos, end)) {
                    // a run cut at the window edge is reported whole; the next window starts after it
                    RangeSet.Range whole = free.rangeAt(r.start());
                    buffered.add(new RangeSet.Range(r.start(), whole.end()));
                }
                pos = buffered.isEmpty() ? end : Math.max(end, buffered.peekLast().end());
                if (window < (1L << 40)) window <<= 1;
            }
            return buffered.poll();
        }
    }
}
