package org.vnvdimm.contract;

import java.util.List;
import org.vnvdimm.proto.DumpRange;
import org.vnvdimm.proto.DumpSection;
import org.vnvdimm.ranges.RangeSet;

/** Building blocks for {@link ComponentBehavior#dumpState()}: sections of ranges and facts. */
public final class Dumps {
    private Dumps() {}

    public static DumpSection.Builder section(String name) { return DumpSection.newBuilder().setName(name); }

    /** [start, start + count) of unit, mapped to toUnit at toStart, with a type ("" for none). */
    public static DumpRange range(String unit, long start, long count, String toUnit, long toStart, String type) {
        return DumpRange.newBuilder().setUnit(unit).setStart(start).setCount(count).setToUnit(toUnit).setToStart(toStart).setType(type).build();
    }

    public static DumpRange range(String unit, long start, long count, String type) {
        return DumpRange.newBuilder().setUnit(unit).setStart(start).setCount(count).setType(type).build();
    }

    /** Every range of a set, one DumpRange each (the set is already merged: O(ranges)). */
    public static DumpSection.Builder ranges(DumpSection.Builder s, String unit, RangeSet set, String type) {
        for (RangeSet.Range r : set.ranges()) s.addRanges(range(unit, r.start(), r.length(), type));
        return s;
    }

    /** A FIT (NFIT structures without the table header): its SPA ranges and memory-device maps. */
    public static DumpSection.Builder fit(String name, byte[] fit) {
        DumpSection.Builder s = section(name).addFacts("length_bytes=" + fit.length);
        org.vnvdimm.acpi.ParsedNfit p;
        try {
            p = org.vnvdimm.acpi.NfitParser.parseFit(fit);
        } catch (RuntimeException ex) {
            return s.addFacts("unparsable=" + ex.getMessage());
        }
        for (org.vnvdimm.acpi.NfitSpaRange r : p.spaRanges()) {
            s.addRanges(range("spa", r.rangeBase(), r.rangeLengthBytes(), "SPA range " + r.rangeIndex() + " pxm " + r.proximityDomain()));
        }
        for (org.vnvdimm.acpi.NfitMemoryDeviceMap m : p.memoryDeviceMaps()) {
            s.addFacts("nfit_handle=" + hex(m.deviceHandle()) + " spa_range=" + m.spaRangeIndex() + " size_bytes=" + m.regionSizeBytes());
        }
        return s;
    }

    public static String fact(String key, Object value) { return key + "=" + value; }

    public static String hex(long v) { return "0x" + Long.toHexString(v); }

    public static List<String> facts(Object... kv) {
        String[] out = new String[kv.length / 2];
        for (int i = 0; i < out.length; i++) out[i] = kv[2 * i] + "=" + kv[2 * i + 1];
        return List.of(out);
    }
}
