package org.vnvdimm.dom0.nd;

import java.util.Locale;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;

import org.vnvdimm.contract.XenAbi;

/**
 * Dom0's libnvdimm state: the regions the NFIT driver registered and the namespaces created in them
 * (ndctl create-namespace). Pure bookkeeping, no I/O: the caller writes {@link Namespace#infoBlock()}
 * wherever it keeps media contents. Iteration orders are by name/address, never hash order. UUIDs come
 * from a SplittableRandom seeded at construction, so the same calls give the same UUIDs.
 */
public final class Libnvdimm {
    private final SplittableRandom uuidRng;
    private final long alignBytes;
    private final TreeMap<Integer, NvdimmRegion> regions = new TreeMap<>();
    /** Key: region id, then namespace start SPA. */
    private final TreeMap<Integer, TreeMap<Long, Namespace>> namespaces = new TreeMap<>();
    private int nextRegionId;

    public Libnvdimm(long seed) { this(seed, NamespaceLayout.DEFAULT_ALIGN_BYTES); }

    public Libnvdimm(long seed, long alignBytes) {
        if (alignBytes < XenAbi.PAGE_SIZE || Long.bitCount(alignBytes) != 1) {
            throw new NdException(NdException.Reason.BAD_RANGE, "alignBytes", alignBytes + " is not a power of two >= 4096");
        }
        this.uuidRng = new SplittableRandom(seed);
        this.alignBytes = alignBytes;
    }

    public long alignBytes() { return alignBytes; }

    /**
     * Registers a region for an NFIT SPA range (boot or _FIT hotplug). Named regionN with N counting up.
     *
     * @throws NdException BAD_RANGE if not page aligned or empty, OVERLAP if it overlaps a region
     */
    public NvdimmRegion addRegion(long spaBaseBytes, long sizeBytes, int proximityDomain, List<Integer> dimmHandles) {
        if (sizeBytes <= 0 || ((spaBaseBytes | sizeBytes) & (XenAbi.PAGE_SIZE - 1)) != 0 || spaBaseBytes < 0) {
            throw new NdException(NdException.Reason.BAD_RANGE, "spaBaseBytes/sizeBytes",
                    org.vnvdimm.contract.ComponentBehavior.format("region [%#x, +%#x) must be non-empty and 4 KiB aligned", spaBaseBytes, sizeBytes));
        }
        if (dimmHandles == null || dimmHandles.isEmpty()) {
            throw new NdException(NdException.Reason.BAD_RANGE, "dimmHandles", "a region needs at least one DIMM handle");
        }
        SpaRange spa = SpaRange.ofSize(spaBaseBytes, sizeBytes);
        for (NvdimmRegion r : regions.values()) {
            if (r.spa().overlaps(spa)) {
                throw new NdException(NdException.Reason.OVERLAP, "spaBaseBytes", spa + " overlaps " + r.name() + " " + r.spa());
            }
        }
        NvdimmRegion r = new NvdimmRegion(nextRegionId++, spa, proximityDomain, dimmHandles);
        regions.put(r.id(), r);
        namespaces.put(r.id(), new TreeMap<>());
        return r;
    }

    public List<NvdimmRegion> regions() { return new ArrayList<>(regions.values()); }

    /** @throws NdException NOT_FOUND */
    public NvdimmRegion region(String name) {
        for (NvdimmRegion r : regions.values()) if (r.name().equals(name)) return r;
        throw new NdException(NdException.Reason.NOT_FOUND, "region", "no region named '" + name + "' (have " + regionNames() + ")");
    }

    private List<String> regionNames() {
        List<String> out = new ArrayList<>();
        for (NvdimmRegion r : regions.values()) out.add(r.name());
        return out;
    }

    /** The unused parts of a region, lowest first. */
    public List<SpaRange> availableSpa(String regionName) {
        NvdimmRegion r = region(regionName);
        List<SpaRange> out = new ArrayList<>();
        long pos = r.spa().startBytes();
        for (Namespace ns : namespaces.get(r.id()).values()) {
            if (ns.spa().startBytes() > pos) out.add(new SpaRange(pos, ns.spa().startBytes()));
            pos = ns.spa().endBytes();
        }
        if (pos < r.spa().endBytes()) out.add(new SpaRange(pos, r.spa().endBytes()));
        return out;
    }

    /**
     * ndctl create-namespace without a size: takes the lowest unused range of the region, whole.
     *
     * @throws NdException NOT_FOUND (region), BAD_RANGE (region full), BAD_MODE, RESERVE_TOO_LARGE
     */
    private UUID keepUuid, keepPfnUuid;

    /**
     * The namespace an info block found at the start of a region describes (it was created before a
     * power cycle): same mode, UUIDs and data offset. The reserve is the default one when that gives
     * the block's data offset, else the one that does.
     */
    public Namespace adoptNamespace(String regionName, PfnInfoBlock ib) {
        NvdimmRegion r = region(regionName);
        NamespaceMode mode = ib.signature().trim().equals(PfnInfoBlock.DAX_SIGNATURE) ? NamespaceMode.DEVDAX : NamespaceMode.FSDAX;
        PfnMode pfn = PfnMode.fromValue(ib.mode());
        long want = r.spa().startBytes() + ib.dataOffBytes();
        NamespaceLayout dflt = NamespaceLayout.compute(r.spa(), pfn, 0, alignBytes);
        long reserve = dflt.data().startBytes() == want || pfn != PfnMode.XEN ? 0
                : ib.dataOffBytes() - PfnInfoBlock.NAMESPACE_OFFSET_BYTES - PfnInfoBlock.SIZE_BYTES;
        keepUuid = ib.parentUuid();
        keepPfnUuid = ib.uuid();
        Namespace ns = createNamespace(regionName, 0, r.sizeBytes(), mode, pfn, reserve);
        if (ns.dataSpa().startBytes() != want) {
            destroyNamespace(ns.name());
            throw new NdException(NdException.Reason.BAD_RANGE, "dataoff", org.vnvdimm.contract.ComponentBehavior.format("data offset %#x does not lay out", ib.dataOffBytes()));
        }
        return ns;
    }

    public Namespace createNamespace(String regionName, NamespaceMode mode, PfnMode map, long xenReserveBytes) {
        List<SpaRange> free = availableSpa(regionName);
        if (free.isEmpty()) {
            throw new NdException(NdException.Reason.BAD_RANGE, "region", regionName + " has no unused capacity");
        }
        NvdimmRegion r = region(regionName);
        SpaRange f = free.get(0);
        return createNamespace(regionName, f.startBytes() - r.spa().startBytes(), f.sizeBytes(), mode, map, xenReserveBytes);
    }

    /**
     * Creates a namespace at [region base + regionOffsetBytes, +sizeBytes).
     *
     * @param map             NONE for raw (null is taken as NONE); RAM, PMEM or XEN for fsdax/devdax
     * @param xenReserveBytes map=xen only: 0 = just enough for the data area (40 B per 4 KiB page),
     *                        else an explicit page-multiple reserve (which may be too small: see
     *                        {@link Namespace#xenReserveSufficient()}; Xen's pmem_add is what refuses it)
     * @throws NdException NOT_FOUND, BAD_RANGE (outside the region / unaligned), OVERLAP, BAD_MODE,
     *                     RESERVE_TOO_LARGE
     */
    public Namespace createNamespace(String regionName, long regionOffsetBytes, long sizeBytes, NamespaceMode mode,
                                     PfnMode map, long xenReserveBytes) {
        NvdimmRegion r = region(regionName);
        if (mode == null) throw new NdException(NdException.Reason.BAD_MODE, "mode", "missing (raw|fsdax|devdax)");
        PfnMode pfn = map == null ? PfnMode.NONE : map;
        if (mode == NamespaceMode.RAW && pfn != PfnMode.NONE) {
            throw new NdException(NdException.Reason.BAD_MODE, "map", "raw namespaces have no pfn device; map=" + pfn.ndctlMap() + " not allowed");
        }
        if (mode != NamespaceMode.RAW && pfn == PfnMode.NONE) {
            throw new NdException(NdException.Reason.BAD_MODE, "map", mode.ndctlName() + " needs map=mem|dev|xen");
        }
        if (regionOffsetBytes < 0 || sizeBytes <= 0 || regionOffsetBytes > r.sizeBytes() - sizeBytes) {
            throw new NdException(NdException.Reason.BAD_RANGE, "sizeBytes",
                    org.vnvdimm.contract.ComponentBehavior.format("[+%#x, +%#x) does not fit in %s of size %#x", regionOffsetBytes,
                            regionOffsetBytes + sizeBytes, r.name(), r.sizeBytes()));
        }
        SpaRange spa = SpaRange.ofSize(r.spa().startBytes() + regionOffsetBytes, sizeBytes);
        TreeMap<Long, Namespace> inRegion = namespaces.get(r.id());
        Map.Entry<Long, Namespace> below = inRegion.floorEntry(spa.endBytes() - 1);
        if (below != null && below.getValue().spa().overlaps(spa)) {
            throw new NdException(NdException.Reason.OVERLAP, "regionOffsetBytes",
                    spa + " overlaps " + below.getValue().name() + " " + below.getValue().spa());
        }
        NamespaceLayout layout = NamespaceLayout.compute(spa, pfn, xenReserveBytes, alignBytes);
        int index = 0;
        for (boolean used = true; used; ) {
            used = false;
            for (Namespace ns : inRegion.values()) {
                if (ns.index() == index) {
                    used = true;
                    index++;
                    break;
                }
            }
        }
        UUID uuid = keepUuid != null ? keepUuid : randomUuid();
        UUID pfnUuid = keepPfnUuid != null ? keepPfnUuid : randomUuid();
        keepUuid = keepPfnUuid = null;
        Namespace ns = new Namespace(r, index, mode, layout, uuid, pfnUuid);
        inRegion.put(spa.startBytes(), ns);
        return ns;
    }

    private UUID randomUuid() {
        long msb = (uuidRng.nextLong() & ~0xF000L) | 0x4000L; // version 4
        long lsb = (uuidRng.nextLong() & ~(0xC000_0000_0000_0000L)) | 0x8000_0000_0000_0000L; // IETF variant
        return new UUID(msb, lsb);
    }

    /** ndctl destroy-namespace. @throws NdException NOT_FOUND */
    public Namespace destroyNamespace(String name) {
        Namespace ns = namespace(name);
        namespaces.get(ns.region().id()).remove(ns.spa().startBytes());
        return ns;
    }

    /** All namespaces, by region then address. */
    public List<Namespace> namespaces() {
        List<Namespace> out = new ArrayList<>();
        for (TreeMap<Long, Namespace> m : namespaces.values()) out.addAll(m.values());
        return out;
    }

    /** @throws NdException NOT_FOUND */
    public Namespace namespace(String name) {
        for (Namespace ns : namespaces()) if (ns.name().equals(name)) return ns;
        throw new NdException(NdException.Reason.NOT_FOUND, "namespace", "no namespace named '" + name + "'");
    }

    /** By device name ("pmem0", "dax0.0") or path ("/dev/pmem0"). @throws NdException NOT_FOUND */
    public Namespace namespaceByDevice(String device) {
        String d = device.startsWith("/dev/") ? device.substring(5) : device;
        for (Namespace ns : namespaces()) {
            if (d.equals(ns.blockDeviceName()) || d.equals(ns.charDeviceName())) return ns;
        }
        throw new NdException(NdException.Reason.NOT_FOUND, "device", "no namespace exposes '" + device + "'");
    }

    /** The namespace whose SPA range contains the address, or null. */
    public Namespace namespaceAt(long spaBytes) {
        for (NvdimmRegion r : regions.values()) {
            if (!r.spa().contains(spaBytes)) continue;
            Map.Entry<Long, Namespace> e = namespaces.get(r.id()).floorEntry(spaBytes);
            return e != null && e.getValue().spa().contains(spaBytes) ? e.getValue() : null;
        }
        return null;
    }
}
