package org.vnvdimm.sim.view;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.DumpRange;
import org.vnvdimm.proto.DumpSection;
import org.vnvdimm.proto.StateDump;

/**
 * `vnvdimm show` as text, in the style of Xen's `xl debug-keys` dumps: one line per fact set and per
 * range, each prefixed with its component ("(XEN)" for Xen, as Xen's console does; "(dom0)",
 * "(qemu-1)", "(guest-1)" for the others), e.g.
 * {@code (XEN) d1 p2m: gfn 0x100000-0x1015ff -> mfn 0x28a300 p2m_mmio_direct}. Ends are inclusive,
 * as Xen prints them.
 */
public final class StateDumpText {
    private StateDumpText() {}

    public static List<String> lines(StateDump d) {
        String p = Roles.XEN.equals(d.getRole()) ? "(XEN)" : "(" + d.getRole() + ")";
        List<String> out = new ArrayList<>();
        if (d.getSectionsCount() == 0) {
            out.add(p + " keeps no state the simulation shows");
            return out;
        }
        for (DumpSection s : d.getSectionsList()) {
            if (s.getFactsCount() > 0) out.add(p + " " + s.getName() + ": " + String.join(" ", s.getFactsList()));
            for (DumpRange r : s.getRangesList()) out.add(p + " " + s.getName() + ": " + range(r));
            if (s.getFactsCount() == 0 && s.getRangesCount() == 0) out.add(p + " " + s.getName() + ": (none)");
        }
        return out;
    }

    /** "gfn 0x100000-0x1015ff -> mfn 0x28a300 p2m_mmio_direct"; byte units add the size. */
    static String range(DumpRange r) {
        StringBuilder b = new StringBuilder();
        b.append(r.getUnit()).append(' ').append(hex(r.getStart())).append('-').append(hex(r.getStart() + r.getCount() - 1));
        if (bytes(r.getUnit())) b.append(" (").append(size(r.getCount())).append(')');
        else b.append(" (nr ").append(r.getCount()).append(')');
        if (!r.getToUnit().isEmpty()) b.append(" -> ").append(r.getToUnit()).append(' ').append(hex(r.getToStart()));
        if (!r.getType().isEmpty()) b.append(' ').append(r.getType());
        return b.toString();
    }

    private static boolean bytes(String unit) {
        return unit.equals("spa") || unit.equals("gpa") || unit.equals("offset");
    }

    private static String hex(long v) { return "0x" + Long.toHexString(v); }

    static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v >= 1024 && v % 1024 == 0) { v /= 1024; u++; }
        return String.format(Locale.ROOT, "%d%s", v, units[u]);
    }
}
