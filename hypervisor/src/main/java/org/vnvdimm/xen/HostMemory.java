package org.vnvdimm.xen;

import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.ranges.RangeSet;

/** Xen's heap of host RAM frames, as free ranges; allocations are runs, never single pages. */
public final class HostMemory {
    private final RangeSet ram = new RangeSet();
    private final RangeSet free = new RangeSet();

    public void addRam(long smfn, long emfn) {
        ram.add(smfn, emfn);
        free.add(smfn, emfn);
    }

    /** Take [smfn, emfn) out of the heap (Xen's own image, boot allocations). */
    public void reserve(long smfn, long emfn) { free.remove(smfn, emfn); }

    public RangeSet ram() { return ram; }

    public long freePages() { return free.totalLength(); }

    /**
     * Allocate nrPages in runs aligned to 2^order, lowest address first. Returns the runs as
     * {mfn, nr} pairs, or null (and allocates nothing) if the heap cannot satisfy it.
     */
    public List<long[]> allocate(long nrPages, int order) {
        long align = 1L << order;
        if (nrPages % align != 0) throw new IllegalArgumentException("allocation not a multiple of the order");
        List<long[]> out = new ArrayList<>();
        long need = nrPages;
        // Range by range from the lowest, without copying the free list: populate_physmap calls
        // this once per extent, and the first free range nearly always has room.
        for (RangeSet.Range r = free.rangeFrom(0); r != null && need > 0; r = free.rangeFrom(r.end())) {
            long s = (r.start() + align - 1) & -align;
            if (s >= r.end()) continue;
            long avail = ((r.end() - s) / align) * align;
            long take = Math.min(avail, need);
            if (take > 0) {
                out.add(new long[] {s, take});
                need -= take;
            }
        }
        if (need > 0) return null;
        for (long[] run : out) free.remove(run[0], run[0] + run[1]);
        return out;
    }

    public void release(long mfn, long nr) {
        if (!ram.containsAll(mfn, mfn + nr)) throw new IllegalArgumentException("releasing frames that are not RAM");
        free.add(mfn, mfn + nr);
    }
}
