package org.vnvdimm.dom0;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.vnvdimm.proto.E820Entry;

/**
 * What a PV Dom0 Linux (4.14, arch/x86/xen/setup.c xen_memory_setup) makes of the machine's E820,
 * and how arch/x86/kernel/e820.c prints a table. The model runs Dom0 with dom0_mem=N,max:N, so the
 * domain's maximum reservation is its initial size and the only extra pages are those remapped from
 * the non-RAM holes below the end of its memory.
 */
final class XenE820 {
    private XenE820() {}

    static final long ISA_START_ADDRESS = 0xa0000;
    static final long ISA_END_ADDRESS = 0x100000;
    /** Linux's E820_TYPE_PRAM (legacy persistent memory). */
    static final int E820_TYPE_PRAM = 12;

    /** The table e820__print_table("Xen") shows after xen_memory_setup(). */
    static List<E820Entry> memorySetup(List<E820Entry> machine, long nrPages) {
        List<E820Entry> in = new ArrayList<>();
        // xen_ignore_unusable(): the initial domain keeps UNUSABLE as RAM.
        for (E820Entry x : machine) in.add(x.getType() == E820_UNUSABLE ? x.toBuilder().setType(E820_RAM).build() : x);
        in = sanitize(in);
        long maxPfn = nrPages;
        long memEnd = maxPfn << PAGE_SHIFT;
        long extraPages = remapPages(in, maxPfn);
        List<E820Entry> out = new ArrayList<>();
        for (E820Entry x : in) {
            long addr = x.getAddr(), size = x.getSize();
            while (size > 0) {
                long chunk = size;
                boolean discard = false;
                if (x.getType() == E820_RAM) {
                    if (addr < memEnd) {
                        chunk = Math.min(size, memEnd - addr);
                    } else if (extraPages > 0) {
                        chunk = Math.min(size, extraPages << PAGE_SHIFT);
                        long pfnS = (addr + PAGE_SIZE - 1) >>> PAGE_SHIFT;
                        extraPages -= ((addr + chunk) >>> PAGE_SHIFT) - pfnS;
                    } else {
                        discard = true;
                    }
                }
                if (!discard) alignAndAdd(out, addr, chunk, x.getType());
                addr += chunk;
                size -= chunk;
            }
        }
        out.add(entry(ISA_START_ADDRESS, ISA_END_ADDRESS - ISA_START_ADDRESS, E820_RESERVED));
        return sanitize(out);
    }

    /** xen_count_remap_pages over xen_foreach_remap_area: non-RAM frames below maxPfn between RAM entries. */
    private static long remapPages(List<E820Entry> map, long maxPfn) {
        long total = 0;
        long start = 0;
        for (int i = 0; i < map.size(); i++) {
            E820Entry x = map.get(i);
            long end = x.getAddr() + x.getSize();
            if (x.getType() == E820_RAM || i == map.size() - 1) {
                long startPfn = start >>> PAGE_SHIFT;
                long endPfn = x.getType() == E820_RAM ? (x.getAddr() + PAGE_SIZE - 1) >>> PAGE_SHIFT : (end + PAGE_SIZE - 1) >>> PAGE_SHIFT;
                if (startPfn < endPfn && startPfn < maxPfn) total += Math.min(endPfn, maxPfn) - startPfn;
                start = end;
            }
        }
        return total;
    }

    /** xen_align_and_add_e820_region: RAM shrinks to whole pages. */
    private static void alignAndAdd(List<E820Entry> out, long start, long size, int type) {
        long end = start + size;
        if (type == E820_RAM) {
            start = (start + PAGE_SIZE - 1) & -PAGE_SIZE;
            end &= -PAGE_SIZE;
        }
        if (end > start) out.add(entry(start, end - start, type));
    }

    /**
     * e820__update_table: overlaps resolved in favour of the highest-numbered type, adjacent entries
     * of one type merged, sorted by address.
     */
    static List<E820Entry> sanitize(List<E820Entry> in) {
        TreeSet<Long> cuts = new TreeSet<>();
        for (E820Entry x : in) {
            if (x.getSize() == 0) continue;
            cuts.add(x.getAddr());
            cuts.add(x.getAddr() + x.getSize());
        }
        List<E820Entry> out = new ArrayList<>();
        Long prev = null;
        for (long c : cuts) {
            if (prev != null) {
                int type = 0;
                for (E820Entry x : in) {
                    if (x.getSize() != 0 && x.getAddr() <= prev && c <= x.getAddr() + x.getSize()) type = Math.max(type, x.getType());
                }
                if (type != 0) {
                    E820Entry last = out.isEmpty() ? null : out.get(out.size() - 1);
                    if (last != null && last.getType() == type && last.getAddr() + last.getSize() == prev) {
                        out.set(out.size() - 1, last.toBuilder().setSize(c - last.getAddr()).build());
                    } else {
                        out.add(entry(prev, c - prev, type));
                    }
                }
            }
            prev = c;
        }
        return out;
    }

    private static E820Entry entry(long addr, long size, int type) {
        return E820Entry.newBuilder().setAddr(addr).setSize(size).setType(type).build();
    }

    /** e820__print_table: "%s: [mem %#018Lx-%#018Lx] " and e820_print_type's words. */
    static String printLine(String who, E820Entry x) {
        return org.vnvdimm.contract.ComponentBehavior.format("%s: [mem %#018x-%#018x] %s", who, x.getAddr(), x.getAddr() + x.getSize() - 1, typeName(x.getType()));
    }

    /** e820_print_type (Linux 4.14). */
    static String typeName(int type) {
        return switch (type) {
            case E820_RAM -> "usable";
            case E820_RESERVED -> "reserved";
            case E820_ACPI -> "ACPI data";
            case E820_NVS -> "ACPI NVS";
            case E820_UNUSABLE -> "unusable";
            case E820_PMEM, E820_TYPE_PRAM -> org.vnvdimm.contract.ComponentBehavior.format("persistent (type %d)", type);
            default -> org.vnvdimm.contract.ComponentBehavior.format("type %d", type);
        };
    }
}
