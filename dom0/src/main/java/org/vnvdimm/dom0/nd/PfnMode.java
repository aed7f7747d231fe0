package org.vnvdimm.dom0.nd;

/**
 * Where the per-page metadata lives (Linux enum nd_pfn_mode, ndctl --map), plus the Oct-2016 Xen RFC's
 * fourth mode. The numeric value is what the pfn info block's {@code mode} field stores; XEN=3 is our
 * own choice because the RFC's value could not be confirmed (facts 2.3).
 */
public enum PfnMode {
    /** No pfn device: raw namespaces. */
    NONE(0, "none", 0),
    /** struct pages in DRAM (--map=mem): no reserve on the device. */
    RAM(1, "mem", 64),
    /** struct pages on the device (--map=dev): 64 bytes (MAX_STRUCT_PAGE_SIZE) per 4 KiB page. */
    PMEM(2, "dev", 64),
    /** "pfn-xen": the reserve holds Xen's frame table + M2P, 32 + 8 = 40 bytes per 4 KiB data page. */
    XEN(3, "xen", 40);

    private final int value;
    private final String ndctlMap;
    private final int bytesPerPage;

    PfnMode(int value, String ndctlMap, int bytesPerPage) {
        this.value = value;
        this.ndctlMap = ndctlMap;
        this.bytesPerPage = bytesPerPage;
    }

    /** The nd_pfn_sb.mode value. */
    public int value() { return value; }

    public String ndctlMap() { return ndctlMap; }

    /** Metadata bytes per 4 KiB page: the info block's page_struct_size. */
    public int bytesPerPage() { return bytesPerPage; }

    /** From ndctl's --map word: mem, dev or xen. */
    public static PfnMode fromMap(String map) {
        for (PfnMode m : values()) if (m != NONE && m.ndctlMap.equals(map)) return m;
        throw new NdException(NdException.Reason.BAD_MODE, "map", "unknown map '" + map + "' (mem|dev|xen)");
    }

    public static PfnMode fromValue(int value) {
        for (PfnMode m : values()) if (m.value == value) return m;
        throw new NdException(NdException.Reason.BAD_INFO_BLOCK, "mode", "unknown pfn mode " + value + " (0..3)");
    }
}
