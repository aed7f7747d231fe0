package org.vnvdimm.xen;

import java.util.Locale;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.List;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.ranges.ExtentMap;

/**
 * A domain's physical-to-machine map as runs of GFNs, each run mapping to consecutive MFNs with one
 * p2m type. Range-based: a 16 TiB mapping is one run, not four billion entries.
 */
public final class P2m {
    public record Run(long mfn, int type) implements ExtentMap.Value<Run> {
        public Run slice(long offset) { return new Run(mfn + offset, type); }
    }

    public static final int PAGE_ORDER_4K = 0;
    public static final int PAGE_ORDER_2M = 9;

    private final ExtentMap<Run> runs = new ExtentMap<>(
            (a, b) -> a.value().type() == b.value().type() && a.value().mfn() + a.length() == b.value().mfn());

    public ExtentMap.Extent<Run> lookup(long gfn) { return runs.at(gfn); }

    public List<ExtentMap.Extent<Run>> overlapping(long gfn, long nr) { return runs.overlapping(gfn, nr); }

    public List<ExtentMap.Extent<Run>> all() { return runs.extents(); }

    public int runCount() { return runs.size(); }

    public void set(long gfn, long nr, long mfn, int type) { runs.put(gfn, nr, new Run(mfn, type)); }

    public List<ExtentMap.Extent<Run>> clear(long gfn, long nr) { return runs.remove(gfn, nr); }

    /**
     * The p2m entry order x86 Xen 4.10 uses for a direct-MMIO insertion: 2 MiB only when the IOMMU
     * shares the HAP page tables and both frame numbers are 2 MiB aligned; 1 GiB is disabled there.
     */
    public static int mmioOrder(boolean iommuSharesHap, long startFns, long nrLeft) {
        if (!iommuSharesHap || (startFns & ((1L << PAGE_ORDER_2M) - 1)) != 0 || (nrLeft >>> PAGE_ORDER_2M) == 0) {
            return PAGE_ORDER_4K;
        }
        return PAGE_ORDER_2M;
    }

    /** Result of one map/unmap call: pages done, or a negative errno (Xen's return convention). */
    public record Progress(long rc, long pagesDone, List<long[]> changed) {}

    /**
     * map_mmio_regions(): at most MAP_MMIO_MAX_ITER p2m insertions; returns 0 when all nr pages are
     * mapped, the count done so far when stopped early (positive partial progress), or -errno when
     * the very first insertion fails. A GFN already holding RAM refuses with -EBUSY.
     */
    public Progress mapMmio(long gfn, long nr, long mfn, boolean iommuSharesHap) {
        // Count the insertions Xen would make (orders by alignment, at most 64), stopping at the first
        // GFN that holds something else; then record the whole run with one update of the map.
        long busyAt = firstConflict(gfn, nr, mfn);
        long i = 0;
        int iter = 0;
        while (i < nr && iter < MAP_MMIO_MAX_ITER) {
            long n = 1L << mmioOrder(iommuSharesHap, (gfn + i) | (mfn + i), nr - i);
            if (i + n > busyAt) {
                if (n > 1 && i < busyAt) { n = 1; }   // a smaller order still fits before the conflict
                if (i + n > busyAt) break;
            }
            i += n;
            iter++;
        }
        List<long[]> changed = new java.util.ArrayList<>();
        if (i > 0) {
            set(gfn, i, mfn, p2m_mmio_direct);
            changed.add(new long[] {gfn, i, mfn});
        }
        long ret = i == nr ? 0 : (i > 0 ? i : Errno.EBUSY.neg());
        return new Progress(ret, i, changed);
    }

    /**
     * unmap_mmio_regions(): the same iteration bound and orders. As Xen 4.10's
     * clear_mmio_p2m_entry(): a GFN that is not p2m_mmio_direct fails with -EINVAL; one that maps a
     * different MFN is only warned about and cleared anyway.
     */
    public Progress unmapMmio(long gfn, long nr, long mfn, boolean iommuSharesHap, List<String> warnings) {
        long i = 0;
        int iter = 0;
        long rc = 0;
        List<long[]> changed = new java.util.ArrayList<>();
        while (i < nr && iter < MAP_MMIO_MAX_ITER) {
            int order = mmioOrder(iommuSharesHap, (gfn + i) | (mfn + i), nr - i);
            long n = 1L << order;
            if (!runs.covers(gfn + i, n) || overlapping(gfn + i, n).stream().anyMatch(e -> e.value().type() != p2m_mmio_direct)) {
                warnings.add(org.vnvdimm.contract.ComponentBehavior.format("gfn_to_mfn failed! gfn=%08x", gfn + i));
                rc = Errno.EINVAL.neg();
                break;
            }
            ExtentMap.Extent<Run> e = lookup(gfn + i);
            if (e.value().mfn() != mfn + i) {
                warnings.add(org.vnvdimm.contract.ComponentBehavior.format("no mapping between mfn %08x and gfn %08x", mfn + i, gfn + i));
            }
            clear(gfn + i, n);
            if (!changed.isEmpty() && changed.get(changed.size() - 1)[0] + changed.get(changed.size() - 1)[1] == gfn + i) {
                changed.get(changed.size() - 1)[1] += n;
            } else {
                changed.add(new long[] {gfn + i, n, mfn + i});
            }
            i += n;
            iter++;
        }
        long ret = i == nr ? 0 : (i > 0 ? i : rc);
        return new Progress(ret, i, changed);
    }

    /** Offset of the first GFN in [gfn, gfn+n) holding anything but this very mapping; n if none. */
    private long firstConflict(long gfn, long n, long mfn) {
        for (ExtentMap.Extent<Run> e : overlapping(gfn, n)) {
            // Re-mapping the same frames is harmless; anything else there is a conflict.
            if (e.value().type() == p2m_mmio_direct && e.value().mfn() == mfn + (e.start() - gfn)) continue;
            return e.start() - gfn;
        }
        return n;
    }
}
