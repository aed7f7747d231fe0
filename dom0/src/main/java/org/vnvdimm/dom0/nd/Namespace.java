package org.vnvdimm.dom0.nd;

import java.util.UUID;

/**
 * A libnvdimm namespace (namespaceR.N) with its personality. For fsdax the block device /dev/pmemX
 * covers exactly the data area; for devdax the character device /dev/daxR.N does; raw exposes the
 * whole namespace as /dev/pmemX without DAX.
 */
public final class Namespace {
    private final String name;
    private final NvdimmRegion region;
    private final int index;
    private final NamespaceMode mode;
    private final NamespaceLayout layout;
    private final UUID uuid;
    private final PfnInfoBlock infoBlock;

    Namespace(NvdimmRegion region, int index, NamespaceMode mode, NamespaceLayout layout, UUID uuid, UUID pfnUuid) {
        this.region = region;
        this.index = index;
        this.name = "namespace" + region.id() + "." + index;
        this.mode = mode;
        this.layout = layout;
        this.uuid = uuid;
        this.infoBlock = mode == NamespaceMode.RAW ? null : new PfnInfoBlock(
                mode == NamespaceMode.DEVDAX ? PfnInfoBlock.DAX_SIGNATURE : PfnInfoBlock.PFN_SIGNATURE,
                pfnUuid, uuid, 0, PfnInfoBlock.VERSION_MAJOR, PfnInfoBlock.VERSION_MINOR,
                layout.dataOffBytes(), layout.dataPages(), layout.mode().value(), 0, layout.endTruncBytes(),
                layout.alignBytes(), 4096, layout.mode().bytesPerPage());
    }

    public String name() { return name; }

    public NvdimmRegion region() { return region; }

    public int index() { return index; }

    public NamespaceMode mode() { return mode; }

    public PfnMode pfnMode() { return layout.mode(); }

    public NamespaceLayout layout() { return layout; }

    public UUID uuid() { return uuid; }

    /** The whole namespace. */
    public SpaRange spa() { return layout.namespace(); }

    /** The 4 KiB pfn info block, EMPTY for raw. */
    public SpaRange infoBlockSpa() { return layout.infoBlock(); }

    /** The reserve after the info block: Xen's frame table + M2P (map=xen) or struct pages (map=dev); else EMPTY. */
    public SpaRange reserveSpa() { return layout.reserve(); }

    /** The reserve handed to Xen (XENPF_pmem_add rsv_spfn..rsv_epfn); EMPTY unless map=xen. */
    public SpaRange xenReserveSpa() { return layout.mode() == PfnMode.XEN ? layout.reserve() : SpaRange.EMPTY; }

    /** The data area: what /dev/pmemX or /dev/daxR.N exposes. */
    public SpaRange dataSpa() { return layout.data(); }

    /** sysfs {@code resource}: the SPA base of the data area. */
    public long resource() { return layout.data().startBytes(); }

    public long dataPages() { return layout.dataPages(); }

    /** The pfn info block written at namespace offset 4 KiB; null for raw. */
    public PfnInfoBlock infoBlock() { return infoBlock; }

    /** 40 bytes per data page; compare with {@link #xenReserveSpa()}'s size. */
    public long requiredXenReserveBytes() { return layout.requiredXenReserveBytes(); }

    /** True unless map=xen with an explicit reserve too small for the data area (Xen's pmem_add would refuse it). */
    public boolean xenReserveSufficient() {
        return layout.mode() != PfnMode.XEN || layout.reserve().sizeBytes() >= requiredXenReserveBytes();
    }

    /** "pmem0", "pmem0.1" for fsdax/raw; null for devdax. */
    public String blockDeviceName() {
        if (mode == NamespaceMode.DEVDAX) return null;
        return index == 0 ? "pmem" + region.id() : "pmem" + region.id() + "." + index;
    }

    /** "dax0.0" for devdax; null otherwise. */
    public String charDeviceName() {
        return mode == NamespaceMode.DEVDAX ? "dax" + region.id() + "." + index : null;
    }

    /** /dev/pmemX or /dev/daxR.N. */
    public String devicePath() {
        return "/dev/" + (mode == NamespaceMode.DEVDAX ? charDeviceName() : blockDeviceName());
    }

    /** The block device a filesystem is made on; null for devdax. DAX-capable only for fsdax. */
    public BlockDevice blockDevice() {
        if (mode == NamespaceMode.DEVDAX) return null;
        return new BlockDevice(blockDeviceName(), layout.data().startBytes(), layout.data().sizeBytes(), mode == NamespaceMode.FSDAX);
    }

    @Override
    public String toString() {
        return name + "{mode=" + mode.ndctlName() + ", map=" + layout.mode().ndctlMap() + ", spa=" + spa()
                + ", reserve=" + reserveSpa() + ", data=" + dataSpa() + ", dev=" + devicePath() + "}";
    }
}
