package org.vnvdimm.contract;

/**
 * Xen's ABI numbers as the public headers define them (Xen 4.10 unless noted; the vNVDIMM numbers
 * come from Haozhong Zhang's RFC branches, facts/xen-linux.md section 1).
 */
public final class XenAbi {
    private XenAbi() {}

    public static final long PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;

    // ---- domids (public/xen.h)
    public static final int DOMID_FIRST_RESERVED = 0x7FF0;
    public static final int DOMID_SELF = 0x7FF0;
    public static final int DOMID_IO = 0x7FF1;
    public static final int DOMID_XEN = 0x7FF2;
    public static final int DOMID_INVALID = 0x7FF4;

    // ---- __HYPERVISOR_mmu_update (public/xen.h)
    public static final int MMU_NORMAL_PT_UPDATE = 0;
    /** A limit of the simulation: PTEs one mmu_update call may install (1 TiB of 4 KiB frames). */
    public static final long MMU_UPDATE_MAX_PTES = 1L << 28;

    // ---- domctl (public/domctl.h)
    public static final int XEN_DOMCTL_INTERFACE_VERSION = 0x0000000f;
    public static final int XEN_DOMCTL_createdomain = 1;
    public static final int XEN_DOMCTL_destroydomain = 2;
    public static final int XEN_DOMCTL_pausedomain = 3;
    public static final int XEN_DOMCTL_unpausedomain = 4;
    public static final int XEN_DOMCTL_max_mem = 11;
    public static final int XEN_DOMCTL_max_vcpus = 15;
    public static final int XEN_DOMCTL_iomem_permission = 20;
    public static final int XEN_DOMCTL_ioport_permission = 21;
    public static final int XEN_DOMCTL_assign_device = 37;
    public static final int XEN_DOMCTL_memory_mapping = 39;
    public static final int XEN_DOMCTL_CDF_hvm_guest = 1 << 0;
    public static final int XEN_DOMCTL_CDF_hap = 1 << 1;
    public static final int XEN_DOMCTL_CDF_s3_integrity = 1 << 2;
    public static final int XEN_DOMCTL_CDF_oos_off = 1 << 3;
    public static final int XEN_DOMCTL_CDF_xs_domain = 1 << 4;
    /** HVM_MAX_VCPUS (public/hvm/hvm_info_table.h). */
    public static final int HVM_MAX_VCPUS = 128;
    /** XEN_X86_EMU_ALL (arch-x86/xen.h, 4.10): LAPIC..USE_PIRQ, bits 0-9. */
    public static final int XEN_X86_EMU_ALL = 0x3ff;
    public static final int DPCI_ADD_MAPPING = 1;
    public static final int DPCI_REMOVE_MAPPING = 0;
    /** x86 p2m.c: map_mmio_regions() inserts at most this many p2m entries per call. */
    public static final int MAP_MMIO_MAX_ITER = 64;

    // ---- sysctl (public/sysctl.h, rfc-v3/v4)
    public static final int XEN_SYSCTL_INTERFACE_VERSION = 0x11;
    public static final int XEN_SYSCTL_nvdimm_op = 29;
    public static final int XEN_SYSCTL_nvdimm_pmem_get_regions_nr = 0;
    public static final int XEN_SYSCTL_nvdimm_pmem_get_regions = 1;
    public static final int XEN_SYSCTL_nvdimm_pmem_setup = 2;
    public static final int PMEM_REGION_TYPE_RAW = 0;
    public static final int PMEM_REGION_TYPE_MGMT = 1;
    public static final int PMEM_REGION_TYPE_DATA = 2;
    /** Per 4 KiB pmem page Xen keeps a 32-byte struct page_info and an 8-byte M2P entry. */
    public static final long PAGE_INFO_BYTES = 32;
    public static final long M2P_ENTRY_BYTES = 8;

    // ---- platform_op (public/platform.h, rfc-v1)
    public static final int XENPF_INTERFACE_VERSION = 0x03000001;
    public static final int XENPF_pmem_add = 64;

    // ---- memory_op (public/memory.h)
    public static final int XENMEM_decrease_reservation = 1;
    public static final int XENMEM_populate_physmap = 6;
    public static final int XENMEM_add_to_physmap = 7;
    public static final int XENMEM_memory_map = 9;
    public static final int XENMEM_machine_memory_map = 10;
    public static final int XENMEM_set_memory_map = 13;
    /** rfc-v3/v4 public/memory.h (rfc-v1 called it XENMEM_populate_pmemmap, same number). */
    public static final int XENMEM_populate_pmem_map = 28;
    /** public/memory.h: a memory_op continuation keeps its progress in cmd's bits above this shift. */
    public static final int MEMOP_EXTENT_SHIFT = 6;
    public static final int MEMOP_CMD_MASK = (1 << MEMOP_EXTENT_SHIFT) - 1;
    public static final int E820MAX = 1024;

    // ---- dm_op (public/hvm/dm_op.h)
    public static final int XEN_DMOP_create_ioreq_server = 1;
    public static final int XEN_DMOP_map_io_range_to_ioreq_server = 3;
    public static final int XEN_DMOP_set_ioreq_server_state = 5;
    /** public/hvm/dm_op.h: struct xen_dm_op_set_isa_irq_level {uint8 isa_irq (0-15); uint8 level (0/1)}. */
    public static final int XEN_DMOP_set_isa_irq_level = 9;
    /** ISA IRQs 0-15 (dm.c set_isa_irq_level refuses isa_irq > 15). */
    public static final int NR_ISA_IRQS = 16;
    public static final int XEN_DMOP_IO_RANGE_PORT = 0;
    public static final int XEN_DMOP_IO_RANGE_MEMORY = 1;

    // ---- ioreq (public/hvm/ioreq.h)
    public static final int IOREQ_WRITE = 0;
    public static final int IOREQ_READ = 1;
    public static final int IOREQ_TYPE_PIO = 0;
    public static final int IOREQ_TYPE_COPY = 1;

    // ---- p2m types (asm-x86/p2m.h)
    public static final int p2m_ram_rw = 0;
    public static final int p2m_invalid = 1;
    public static final int p2m_mmio_dm = 4;
    public static final int p2m_mmio_direct = 5;
    public static final int p2m_ram_broken = 13;

    public static String p2mTypeName(int t) {
        return switch (t) {
            case 0 -> "p2m_ram_rw";
            case 1 -> "p2m_invalid";
            case 2 -> "p2m_ram_logdirty";
            case 3 -> "p2m_ram_ro";
            case 4 -> "p2m_mmio_dm";
            case 5 -> "p2m_mmio_direct";
            case 13 -> "p2m_ram_broken";
            default -> "p2m_type_" + t;
        };
    }

    // ---- E820 types (asm-x86/e820.h; 7 has no Xen name, Linux calls it E820_TYPE_PMEM)
    public static final int E820_RAM = 1;
    public static final int E820_RESERVED = 2;
    public static final int E820_ACPI = 3;
    public static final int E820_NVS = 4;
    public static final int E820_UNUSABLE = 5;
    public static final int E820_PMEM = 7;

    public static String e820TypeName(int type) {
        return switch (type) {
            case E820_RAM -> "(usable)";
            case E820_RESERVED -> "(reserved)";
            case E820_ACPI -> "(ACPI data)";
            case E820_NVS -> "(ACPI NVS)";
            case E820_UNUSABLE -> "(unusable)";
            default -> "type " + type;
        };
    }

    // ---- xenstore wire (io/xs_wire.h)
    public static final int XS_DIRECTORY = 1;
    public static final int XS_READ = 2;
    public static final int XS_WATCH = 4;
    public static final int XS_UNWATCH = 5;
    public static final int XS_WRITE = 11;
    public static final int XS_MKDIR = 12;
    public static final int XS_RM = 13;
    public static final int XS_WATCH_EVENT = 15;
    public static final int XS_ERROR = 16;

    public static String xsTypeName(int t) {
        return switch (t) {
            case XS_DIRECTORY -> "XS_DIRECTORY";
            case XS_READ -> "XS_READ";
            case XS_WATCH -> "XS_WATCH";
            case XS_UNWATCH -> "XS_UNWATCH";
            case XS_WRITE -> "XS_WRITE";
            case XS_MKDIR -> "XS_MKDIR";
            case XS_RM -> "XS_RM";
            case XS_WATCH_EVENT -> "XS_WATCH_EVENT";
            case XS_ERROR -> "XS_ERROR";
            default -> "XS_" + t;
        };
    }

    /** HVM_XS_DM_ACPI_* (public/hvm/hvm_xs_strings.h, rfc-v1..v3). */
    public static final String HVM_XS_DM_ACPI_ROOT = "hvmloader/dm-acpi";
    public static final String HVM_XS_DM_ACPI_ADDRESS = "hvmloader/dm-acpi/address";
    public static final String HVM_XS_DM_ACPI_LENGTH = "hvmloader/dm-acpi/length";
    public static final int DM_ACPI_BLOB_TYPE_TABLE = 0;
    public static final int DM_ACPI_BLOB_TYPE_NSDEV = 1;

    // ---- mmap flags (include/uapi/asm-generic/mman*.h)
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_SHARED_VALIDATE = 0x03;
    public static final int MAP_SYNC = 0x80000;
    public static final int FIEMAP_EXTENT_LAST = 0x1;

    // ---- QEMU's NVDIMM ACPI trap (hw/acpi/nvdimm.c)
    public static final int NVDIMM_ACPI_IO_BASE = 0x0a18;
    public static final int NVDIMM_ACPI_IO_LEN = 4;

    // ---- The guest's ACPI GPE0 block and SCI (tools/libacpi/acpi2_0.h, static_tables.c FADT;
    // QEMU hw/acpi/piix4.c GPE_BASE/GPE_LEN): status bytes at 0xafe0-0xafe1, enable at 0xafe2-0xafe3.
    public static final int ACPI_GPE0_BLK_ADDRESS_V1 = 0xafe0;
    public static final int ACPI_GPE0_BLK_LEN_V1 = 4;
    /** The FADT's sci_int in hvmloader's tables. */
    public static final int ACPI_SCI_IRQ = 9;
    /** QEMU's ACPI_NVDIMM_HOTPLUG_STATUS (include/hw/acpi/acpi_dev_interface.h): GPE0 status bit 4. */
    public static final int ACPI_NVDIMM_HOTPLUG_STATUS = 16;

    public static long pfnToAddr(long pfn) { return pfn << PAGE_SHIFT; }
    public static long addrToPfn(long addr) { return addr >>> PAGE_SHIFT; }
    public static long pagesFor(long bytes) { return (bytes + PAGE_SIZE - 1) >>> PAGE_SHIFT; }

    /** Pages of management area Xen needs for nrPages of pmem: rfc-v3 check_mgmt_size(). */
    public static long mgmtPagesFor(long nrPages) {
        return pagesFor(PAGE_INFO_BYTES * nrPages) + pagesFor(M2P_ENTRY_BYTES * nrPages);
    }
}
