package org.vnvdimm.ranges;

import java.util.Locale;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of half-open ranges [start, end) of non-negative longs (frame numbers, addresses), kept
 * merged. Cost is O(log ranges) per operation, never O(pages): Xen's iomem_caps rangeset.
 */
public final class RangeSet {
    private final TreeMap<Long, Long> ranges = new TreeMap<>(); // start -> end (exclusive)
    private long total;

    public record Range(long start, long end) {
        public Range {
            if (start < 0 || end < start) throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
        }

        public long length() { return end - start; }
    }

    public static RangeSet of(long start, long end) {
        RangeSet s = new RangeSet();
        s.add(start, end);
        return s;
    }

    public RangeSet copy() {
        RangeSet s = new RangeSet();
        s.ranges.putAll(ranges);
        s.total = total;
        return s;
    }

    private static void check(long start, long end) {
        if (start < 0 || end < start) throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
    }

    public void add(long start, long end) {
        check(start, end);
        if (start == end) return;
        long s = start;
        long e = end;
        Map.Entry<Long, Long> lo = ranges.floorEntry(s);
        if (lo != null && lo.getValue() >= s) {
            s = lo.getKey();
            e = Math.max(e, lo.getValue());
        }
        Map.Entry<Long, Long> next;
        while ((next = ranges.ceilingEntry(s)) != null && next.getKey() <= e) {
            e = Math.max(e, next.getValue());
            total -= next.getValue() - next.getKey();
            ranges.remove(next.getKey());
        }
        ranges.put(s, e);
        total += e - s;
    }

    public void remove(long start, long end) {
        check(start, end);
        if (start == end) return;
        Map.Entry<Long, Long> lo = ranges.lowerEntry(start);
        if (lo != null && lo.getValue() > start) {
            ranges.put(lo.getKey(), start);
            total -= lo.getValue() - start;
            if (lo.getValue() > end) {
                ranges.put(end, lo.getValue());
                total += lo.getValue() - end;
                return;
            }
        }
        Map.Entry<Long, Long> e;
        while ((e = ranges.ceilingEntry(start)) != null && e.getKey() < end) {
            ranges.remove(e.getKey());
            total -= e.getValue() - e.getKey();
            if (e.getValue() > end) {
                ranges.put(end, e.getValue());
                total += e.getValue() - end;
            }
        }
    }

    public boolean contains(long point) {
        Map.Entry<Long, Long> e = ranges.floorEntry(point);
        return e != null && point < e.getValue();
    }

    /** True when every point of [start, end) is in the set (an empty range is contained). */
    public boolean containsAll(long start, long end) {
        check(start, end);
        if (start == end) return true;
        Map.Entry<Long, Long> e = ranges.floorEntry(start);
        return e != null && end <= e.getValue();
    }

    /** True when some point of [start, end) is in the set. */
    public boolean intersects(long start, long end) {
        check(start, end);
        if (start == end) return false;
        Map.Entry<Long, Long> e = ranges.floorEntry(start);
        if (e != null && e.getValue() > start) return true;
        Long next = ranges.higherKey(start);
        return next != null && next < end;
    }

    /** The ranges of this set inside [start, end). */
    public List<Range> intersection(long start, long end) {
        check(start, end);
        List<Range> out = new ArrayList<>(2);
        if (start == end) return out;
        // Entry by entry rather than through a subMap view: the view costs more than the one or
        // two ranges a call usually finds (a hot path of the oracles).
        Map.Entry<Long, Long> r = ranges.floorEntry(start);
        if (r == null || r.getValue() <= start) r = ranges.higherEntry(start);
        while (r != null && r.getKey() < end) {
            long s = Math.max(r.getKey(), start);
            long t = Math.min(r.getValue(), end);
            if (s < t) out.add(new Range(s, t));
            r = ranges.higherEntry(r.getKey());
        }
        return out;
    }

    /** The first range that ends after point (the one containing it, else the next one), or null. */
    public Range rangeFrom(long point) {
        Map.Entry<Long, Long> e = ranges.floorEntry(point);
        if (e == null || e.getValue() <= point) e = ranges.higherEntry(point);
        return e == null ? null : new Range(e.getKey(), e.getValue());
    }

    /** The range containing point, or null. */
    public Range rangeAt(long point) {
        Map.Entry<Long, Long> e = ranges.floorEntry(point);
        return e != null && point < e.getValue() ? new Range(e.getKey(), e.getValue()) : null;
    }

    public List<Range> ranges() {
        List<Range> out = new ArrayList<>(ranges.size());
        for (Map.Entry<Long, Long> e : ranges.entrySet()) out.add(new Range(e.getKey(), e.getValue()));
        return out;
    }

    public int rangeCount() { return ranges.size(); }

    public long totalLength() { return total; }

    public boolean isEmpty() { return ranges.isEmpty(); }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<Long, Long> e : ranges.entrySet()) {
            if (b.length() > 1) b.append(", ");
            b.append(String.format(Locale.ROOT, "[%#x, %#x)", e.getKey(), e.getValue()));
        }
        return b.append('}').toString();
    }

    @Override
    public boolean equals(Object o) { return o instanceof RangeSet r && r.ranges.equals(ranges); }

    @Override
    public int hashCode() { return ranges.hashCode(); }
}
