package org.vnvdimm.dom0.nd;

/** The personality a namespace is given (ndctl create-namespace --mode). Sector (BTT) is not modelled. */
public enum NamespaceMode {
    /** Plain /dev/pmemX over the whole namespace, no struct pages, no DAX. */
    RAW("raw"),
    /** /dev/pmemX for a DAX filesystem; pfn info block "NVDIMM_PFN_INFO". */
    FSDAX("fsdax"),
    /** Character device /dev/daxX.Y; pfn info block "NVDIMM_DAX_INFO". */
    DEVDAX("devdax");

    private final String ndctlName;

    NamespaceMode(String ndctlName) { this.ndctlName = ndctlName; }

    public String ndctlName() { return ndctlName; }

    public static NamespaceMode fromNdctl(String name) {
        for (NamespaceMode m : values()) if (m.ndctlName.equals(name)) return m;
        throw new NdException(NdException.Reason.BAD_MODE, "mode", "unknown namespace mode '" + name + "' (raw|fsdax|devdax)");
    }
}
