package org.vnvdimm.sim.platform;

import java.util.Locale;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.vnvdimm.acpi.AcpiHeader;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitControlRegion;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.NfitStructure;
import org.vnvdimm.acpi.NfitWriter;
import org.vnvdimm.proto.AcpiTableBlob;
import org.vnvdimm.proto.DimmConfig;
import org.vnvdimm.proto.E820Entry;
import org.vnvdimm.proto.PlatformConfig;
import org.vnvdimm.ranges.RangeSet;

/**
 * The machine: its RAM layout, its NVDIMMs, and what the firmware reports about them (an E820 and a
 * binary NFIT). Derived deterministically from the scenario's platform section.
 */
public final class PlatformModel {
    public record Dimm(int handle, long spa, long sizeBytes, int pxm, long labelBytes) {
        public long smfn() { return spa >>> PAGE_SHIFT; }
        public long emfn() { return (spa + sizeBytes) >>> PAGE_SHIFT; }
    }

    static final long LOW_RAM_MAX = 2L << 30;           // below-4G RAM ends here at most
    static final long FOUR_GIB = 1L << 32;
    static final long ACPI_REGION_BYTES = 1L << 20;      // firmware's ACPI tables at the top of low RAM
    static final long ONE_GIB = 1L << 30;

    private final long ramBytes;
    private final List<Dimm> dimms = new ArrayList<>();
    /** DIMMs hot-added after power on: in the _FIT, never in the boot NFIT or the E820. */
    private final List<Dimm> hotAdded = new ArrayList<>();
    private final List<E820Entry> e820 = new ArrayList<>();
    private final RangeSet ramPages = new RangeSet();
    private final RangeSet pmemPages = new RangeSet();
    private final long acpiBase;
    private final byte[] nfit;
    private final int nrCpus;

    public PlatformModel(PlatformConfig cfg) {
        ramBytes = cfg.getRamBytes();
        nrCpus = Math.max(1, cfg.getNrCpus());
        long low = Math.min(ramBytes, LOW_RAM_MAX);
        long high = ramBytes - low;
        acpiBase = low - ACPI_REGION_BYTES;
        add(0, 0x9fc00, E820_RAM);
        add(0x9fc00, 0x400, E820_RESERVED);
        add(0xe0000, 0x20000, E820_RESERVED);
        add(0x100000, acpiBase - 0x100000, E820_RAM);
        add(acpiBase, ACPI_REGION_BYTES, E820_ACPI);
        add(0xfec00000L, FOUR_GIB - 0xfec00000L, E820_RESERVED);
        if (high > 0) add(FOUR_GIB, high, E820_RAM);
        long next = align(FOUR_GIB + high, ONE_GIB);
        for (DimmConfig d : cfg.getDimmsList()) {
            long spa = d.getSpa() != 0 ? d.getSpa() : next;
            Dimm dimm = new Dimm(d.getHandle(), spa, d.getSizeBytes(), d.getPxm(), d.getLabelBytes());
            for (Dimm o : dimms) {
                if (spa < o.spa() + o.sizeBytes() && o.spa() < spa + d.getSizeBytes()) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "DIMM %#x at %#x overlaps DIMM %#x", d.getHandle(), spa, o.handle()));
                }
            }
            if (spa < FOUR_GIB + high) throw new IllegalArgumentException(String.format(Locale.ROOT, "DIMM %#x at %#x overlaps RAM", d.getHandle(), spa));
            dimms.add(dimm);
            pmemPages.add(dimm.smfn(), dimm.emfn());
            if (cfg.getE820Pmem()) add(spa, d.getSizeBytes(), E820_PMEM);
            next = align(spa + d.getSizeBytes(), ONE_GIB);
        }
        e820.sort(Comparator.comparingLong(E820Entry::getAddr));
        nfit = dimms.isEmpty() ? null : buildNfit();
        highRamEnd = FOUR_GIB + high;
    }

    private final long highRamEnd;

    /**
     * A DIMM is hot-added: it joins what _FIT returns and its SPA range decodes on the bus. The boot
     * NFIT and the E820 stay as booted. spa 0 places it after every DIMM present, 1 GiB aligned.
     *
     * @throws IllegalArgumentException when it overlaps RAM, a DIMM, or reuses a device handle
     */
    public Dimm hotplug(int handle, long spa, long sizeBytes, int pxm, long labelBytes) {
        if (sizeBytes <= 0 || (sizeBytes & (PAGE_SIZE - 1)) != 0 || (spa & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "DIMM %#x: size %#x at %#x is not page aligned", handle, sizeBytes, spa));
        }
        long next = align(highRamEnd, ONE_GIB);
        for (Dimm o : allDimms()) next = Math.max(next, align(o.spa() + o.sizeBytes(), ONE_GIB));
        long at = spa != 0 ? spa : next;
        if (at < highRamEnd || at + sizeBytes < at) throw new IllegalArgumentException(String.format(Locale.ROOT, "DIMM %#x at %#x overlaps RAM", handle, at));
        for (Dimm o : allDimms()) {
            if (o.handle() == handle) throw new IllegalArgumentException(String.format(Locale.ROOT, "DIMM handle %#x is already present", handle));
            if (at < o.spa() + o.sizeBytes() && o.spa() < at + sizeBytes) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "DIMM %#x at %#x overlaps DIMM %#x", handle, at, o.handle()));
            }
        }
        Dimm d = new Dimm(handle, at, sizeBytes, pxm, labelBytes);
        hotAdded.add(d);
        pmemPages.add(d.smfn(), d.emfn());
        return d;
    }

    /** The boot DIMMs, then the hot-added ones in the order they came. */
    public List<Dimm> allDimms() {
        List<Dimm> out = new ArrayList<>(dimms);
        out.addAll(hotAdded);
        return out;
    }

    public List<Dimm> hotAdded() { return List.copyOf(hotAdded); }

    /**
     * What \_SB.NVDR._FIT returns: the NFIT structures (no table header) of every DIMM present,
     * boot and hot-added, numbered as the boot NFIT numbers them (SPA range index i+1).
     */
    public byte[] fit() { return NfitWriter.writeFit(structures(allDimms())); }

    private static long align(long v, long a) { return (v + a - 1) & -a; }

    private void add(long addr, long size, int type) {
        e820.add(E820Entry.newBuilder().setAddr(addr).setSize(size).setType(type).build());
        if (type == E820_RAM) ramPages.add((addr + PAGE_SIZE - 1) >>> PAGE_SHIFT, (addr + size) >>> PAGE_SHIFT);
    }

    /**
     * A host NFIT as a one-DIMM-per-region platform reports it: per DIMM an SPA range (persistent
     * memory GUID, proximity domain valid), a memory-device map and a control region.
     */
    private byte[] buildNfit() {
        return NfitWriter.writeTable(AcpiHeader.of("NFIT", 1, "VNVSIM", "PLATFORM", 1, "VSIM", 1), structures(dimms));
    }

    private static List<NfitStructure> structures(List<Dimm> dimms) {
        List<NfitStructure> s = new ArrayList<>();
        int index = 1;
        for (Dimm d : dimms) {
            s.add(new NfitSpaRange(index, NfitSpaRange.FLAG_PROXIMITY_DOMAIN_VALID, d.pxm(), Guid.PERSISTENT_MEMORY, d.spa(),
                    d.sizeBytes(), NfitSpaRange.EFI_MEMORY_WB | NfitSpaRange.EFI_MEMORY_NV));
            s.add(new NfitMemoryDeviceMap(d.handle(), index - 1, 0, index, index, d.sizeBytes(), 0, 0, 0, 1, 0));
            s.add(NfitControlRegion.pmem(index, 0x8086, 0x097a, 0x0201, 0x5eed0000L + d.handle(),
                    NfitControlRegion.FORMAT_BYTE_ADDRESSABLE_PMEM));
            index++;
        }
        return s;
    }

    public List<E820Entry> e820() { return e820; }

    /** The DIMMs present at power on (the boot NFIT's). */
    public List<Dimm> dimms() { return dimms; }

    public List<AcpiTableBlob> acpiTables() {
        List<AcpiTableBlob> out = new ArrayList<>();
        if (nfit != null) {
            out.add(AcpiTableBlob.newBuilder().setSignature("NFIT").setAddress(acpiBase)
                    .setData(com.google.protobuf.ByteString.copyFrom(nfit)).build());
        }
        return out;
    }

    public byte[] nfit() { return nfit == null ? null : nfit.clone(); }

    /** Host RAM frames. */
    public RangeSet ramPages() { return ramPages.copy(); }

    /** NVDIMM frames. */
    public RangeSet pmemPages() { return pmemPages.copy(); }

    public long ramBytes() { return ramBytes; }

    public int nrCpus() { return nrCpus; }

    /** Whether [spa, spa+len) lies wholly in RAM or wholly in one NVDIMM. */
    public boolean decodes(long spa, long len) {
        long s = spa >>> PAGE_SHIFT, t = (spa + len + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        return ramPages.containsAll(s, t) || pmemPages.containsAll(s, t);
    }

    public boolean isPmem(long spa) { return pmemPages.contains(spa >>> PAGE_SHIFT); }
}
