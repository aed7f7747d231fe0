package org.vnvdimm.ranges;

import static org.junit.jupiter.api.Assertions.*;

import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** RangeSet and ExtentMap against a page-by-page model, under seeded random operations. */
class RangesTest {
    record Run(long base) implements ExtentMap.Value<Run> {
        public Run slice(long offset) { return new Run(base + offset); }
    }

    @Test
    void rangeSetMatchesBitsetModel() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            RangeSet set = new RangeSet();
            BitSet model = new BitSet();
            for (int op = 0; op < 60; op++) {
                int s = rnd.nextInt(200);
                int e = s + rnd.nextInt(40);
                if (rnd.nextBoolean()) { set.add(s, e); model.set(s, e); } else { set.remove(s, e); model.clear(s, e); }
                assertEquals(model.cardinality(), set.totalLength(), "total after op " + op);
                int q = rnd.nextInt(240);
                int qe = q + rnd.nextInt(30);
                assertEquals(model.get(q), set.contains(q));
                assertEquals(qe == q || model.get(q, qe).cardinality() == qe - q, set.containsAll(q, qe));
                assertEquals(model.get(q, qe).cardinality() > 0, set.intersects(q, qe));
                long inter = set.intersection(q, qe).stream().mapToLong(RangeSet.Range::length).sum();
                assertEquals(model.get(q, qe).cardinality(), inter);
            }
            // ranges are merged: no two touch
            List<RangeSet.Range> rs = set.ranges();
            for (int i = 1; i < rs.size(); i++) assertTrue(rs.get(i - 1).end() < rs.get(i).start());
        }
    }

    @Test
    void extentMapMatchesPageModel() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int round = 0; round < 200; round++) {
            ExtentMap<Run> map = new ExtentMap<>((a, b) -> a.value().base() + a.length() == b.value().base());
            long[] model = new long[300];
            java.util.Arrays.fill(model, -1);
            for (int op = 0; op < 50; op++) {
                int s = rnd.nextInt(250);
                int len = 1 + rnd.nextInt(40);
                if (rnd.nextInt(3) > 0) {
                    long base = rnd.nextInt(1000);
                    map.put(s, len, new Run(base));
                    for (int i = 0; i < len; i++) model[s + i] = base + i;
                } else {
                    map.remove(s, len);
                    for (int i = 0; i < len; i++) model[s + i] = -1;
                }
                for (int p = 0; p < 300; p++) {
                    ExtentMap.Extent<Run> e = map.at(p);
                    assertEquals(model[p], e == null ? -1 : e.value().base(), "page " + p + " after op " + op);
                }
            }
            List<ExtentMap.Extent<Run>> all = map.extents();
            for (int i = 1; i < all.size(); i++) {
                ExtentMap.Extent<Run> a = all.get(i - 1), b = all.get(i);
                assertTrue(a.end() <= b.start());
                assertFalse(a.end() == b.start() && a.value().base() + a.length() == b.value().base(), "unmerged neighbours");
            }
        }
    }

    @Test
    void rejectsNegativeAndWrappingRanges() {
        RangeSet s = new RangeSet();
        assertThrows(IllegalArgumentException.class, () -> s.add(-1, 4));
        assertThrows(IllegalArgumentException.class, () -> s.add(9, 4));
        ExtentMap<Run> m = new ExtentMap<>();
        assertThrows(IllegalArgumentException.class, () -> m.put(Long.MAX_VALUE - 1, 10, new Run(0)));
    }

    @Test
    void sixteenTebibytesIsOneExtent() {
        long pages16T = (16L << 40) >>> 12;
        RangeSet s = RangeSet.of(0x240000, 0x240000 + pages16T);
        s.remove(0x250000, 0x250010);
        assertEquals(2, s.rangeCount());
        assertEquals(pages16T - 16, s.totalLength());
    }
}
