package org.vnvdimm.ranges;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * Disjoint extents [start, start+length) each carrying a value that knows how to describe a
 * sub-range of itself (a p2m run: gfn -> mfn+offset; a file extent: page offset -> block). Putting
 * an extent overwrites what it overlaps, splitting neighbours. O(log n + extents touched).
 *
 * @param <V> an immutable value; {@link Value#slice(long)} gives the value for a run that starts
 *            {@code offset} units later.
 */
public final class ExtentMap<V extends ExtentMap.Value<V>> {
    public interface Value<V> {
        V slice(long offset);
    }

    public record Extent<V>(long start, long length, V value) {
        public long end() { return start + length; }
    }

    private final TreeMap<Long, Extent<V>> map = new TreeMap<>();
    /** When non-null: decides whether (left, right) are one continuous run and may be merged. */
    private final BiPredicate<Extent<V>, Extent<V>> mergeable;

    public ExtentMap() { this(null); }

    public ExtentMap(BiPredicate<Extent<V>, Extent<V>> mergeable) { this.mergeable = mergeable; }

    private static void check(long start, long length) {
        if (start < 0 || length < 0 || start + length < start) {
            throw new IllegalArgumentException("bad extent start=" + start + " length=" + length);
        }
    }

    public void put(long start, long length, V value) {
        check(start, length);
        if (length == 0) return;
        long end = start + length;
        // The neighbours first: when nothing lies inside [start, end) (a mapping loop appending
        // run after run, the common case) there is nothing to remove, and a merge with the left
        // neighbour replaces its value in place instead of removing and re-inserting it.
        Map.Entry<Long, Extent<V>> lo = map.lowerEntry(start);
        Map.Entry<Long, Extent<V>> hi = map.ceilingEntry(start);
        if ((lo != null && lo.getValue().end() > start) || (hi != null && hi.getKey() < end)) {
            remove(start, length);
            lo = map.lowerEntry(start);
            hi = map.ceilingEntry(start);
        }
        Extent<V> ext = new Extent<>(start, length, value);
        if (mergeable != null) {
            boolean left = lo != null && lo.getValue().end() == start && mergeable.test(lo.getValue(), ext);
            if (left) ext = new Extent<>(lo.getKey(), lo.getValue().length() + length, lo.getValue().value());
            if (hi != null && hi.getKey() == end && mergeable.test(ext, hi.getValue())) {
                map.remove(hi.getKey());
                ext = new Extent<>(ext.start(), ext.length() + hi.getValue().length(), ext.value());
            }
        }
        map.put(ext.start(), ext);
    }

    /** Removes [start, start+length); returns the pieces that were there. */
    public List<Extent<V>> remove(long start, long length) {
        check(start, length);
        List<Extent<V>> removed = new ArrayList<>();
        if (length == 0) return removed;
        long end = start + length;
        Map.Entry<Long, Extent<V>> lo = map.lowerEntry(start);
        if (lo != null && lo.getValue().end() > start) {
            Extent<V> e = lo.getValue();
            map.put(e.start(), new Extent<>(e.start(), start - e.start(), e.value()));
            long cutEnd = Math.min(e.end(), end);
            removed.add(new Extent<>(start, cutEnd - start, e.value().slice(start - e.start())));
            if (e.end() > end) {
                map.put(end, new Extent<>(end, e.end() - end, e.value().slice(end - e.start())));
                return removed;
            }
        }
        Map.Entry<Long, Extent<V>> next;
        while ((next = map.ceilingEntry(start)) != null && next.getKey() < end) {
            Extent<V> e = next.getValue();
            map.remove(e.start());
            if (e.end() > end) {
                removed.add(new Extent<>(e.start(), end - e.start(), e.value()));
                map.put(end, new Extent<>(end, e.end() - end, e.value().slice(end - e.start())));
            } else {
                removed.add(e);
            }
        }
        return removed;
    }

    /** The extent covering point, sliced to start there; null if none. */
    public Extent<V> at(long point) {
        Map.Entry<Long, Extent<V>> e = map.floorEntry(point);
        if (e == null || e.getValue().end() <= point) return null;
        Extent<V> x = e.getValue();
        long off = point - x.start();
        return off == 0 ? x : new Extent<>(point, x.length() - off, x.value().slice(off));
    }

    /** The pieces of extents inside [start, start+length), in order, clipped. */
    public List<Extent<V>> overlapping(long start, long length) {
        check(start, length);
        List<Extent<V>> out = new ArrayList<>(2);
        if (length == 0) return out;
        long end = start + length;
        // Entry by entry rather than through a subMap view: the view costs more than the one or
        // two extents a call usually finds (the p2m and the oracles call this per delivery).
        Map.Entry<Long, Extent<V>> n = map.floorEntry(start);
        if (n == null || n.getValue().end() <= start) n = map.higherEntry(start);
        while (n != null && n.getKey() < end) {
            Extent<V> e = n.getValue();
            long s = Math.max(e.start(), start);
            long t = Math.min(e.end(), end);
            if (s < t) out.add(s == e.start() && t == e.end() ? e : new Extent<>(s, t - s, s == e.start() ? e.value() : e.value().slice(s - e.start())));
            n = map.higherEntry(n.getKey());
        }
        return out;
    }

    /** True when [start, start+length) is fully covered by extents. */
    public boolean covers(long start, long length) {
        long pos = start;
        for (Extent<V> e : overlapping(start, length)) {
            if (e.start() != pos) return false;
            pos = e.end();
        }
        return pos == start + length;
    }

    public List<Extent<V>> extents() { return new ArrayList<>(map.values()); }

    public int size() { return map.size(); }

    public boolean isEmpty() { return map.isEmpty(); }

    public void clear() { map.clear(); }
}
