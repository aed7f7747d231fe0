package org.vnvdimm.qemu.acpi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vnvdimm.acpi.AcpiHeader;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitControlRegion;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitPlatformCapabilities;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.NfitStructure;
import org.vnvdimm.acpi.NfitWriter;
import org.vnvdimm.qemu.acpi.QemuConfig.MemoryDevice;

/**
 * The NFIT QEMU (hw/acpi/nvdimm.c) gives the guest, per facts/qemu-acpi.md section 3: for each NVDIMM an
 * SPA Range, a Memory Device map and a Control Region; then a Platform Capabilities structure when
 * -machine nvdimm-persistence is set. The same structures without header form the _FIT buffer.
 *
 * <p>Device order: QEMU walks its device list through a GHashTable, so the order of several NVDIMMs is
 * unspecified there. This builder emits them in slot order; tests comparing against QEMU must compare
 * several-device tables order-independently (by structure), or use a single NVDIMM.
 */
public final class NfitBuilder {
    public static final int NFIT_REVISION = 1;
    public static final long OEM_REVISION = 1;
    public static final String CREATOR_ID = "BXPC";
    public static final long CREATOR_REVISION = 1;
    /** SPA flags: control region only for hot add + proximity domain valid. */
    public static final int SPA_FLAGS = NfitSpaRange.FLAG_CONTROL_REGION_FOR_HOT_ADD
            | NfitSpaRange.FLAG_PROXIMITY_DOMAIN_VALID;
    public static final long MEMORY_MAPPING_ATTRIBUTE = NfitSpaRange.EFI_MEMORY_WB | NfitSpaRange.EFI_MEMORY_NV;
    public static final int VENDOR_ID = 0x8086;
    public static final int DEVICE_ID = 0x0001;
    public static final int REVISION_ID = 0x0001;
    public static final long SERIAL_NUMBER_BASE = 0x123456;

    private NfitBuilder() {
    }

    /** NFIT Device Handle of the NVDIMM in {@code slot} (also its _ADR); 0 is the root device. */
    public static long deviceHandle(int slot) {
        return slot + 1L;
    }

    public static int spaRangeIndex(int slot) {
        return (slot + 1) << 1;
    }

    public static int controlRegionIndex(int slot) {
        return spaRangeIndex(slot) + 1;
    }

    public static long serialNumber(int slot) {
        return SERIAL_NUMBER_BASE + slot;
    }

    /** The three structures of one NVDIMM. */
    public static List<NfitStructure> deviceStructures(MemoryDevice nvdimm) {
        int slot = nvdimm.slot();
        return List.of(
                new NfitSpaRange(spaRangeIndex(slot), SPA_FLAGS, nvdimm.node(), Guid.PERSISTENT_MEMORY,
                        nvdimm.address(), nvdimm.regionSizeBytes(), MEMORY_MAPPING_ATTRIBUTE),
                new NfitMemoryDeviceMap(deviceHandle(slot), 0, 0, spaRangeIndex(slot), controlRegionIndex(slot),
                        nvdimm.regionSizeBytes(), 0, 0, 0, 1,
                        nvdimm.unarmed() ? NfitMemoryDeviceMap.FLAG_NOT_ARMED : 0),
                NfitControlRegion.pmem(controlRegionIndex(slot), VENDOR_ID, DEVICE_ID, REVISION_ID,
                        serialNumber(slot), NfitControlRegion.FORMAT_BYTE_ADDRESSABLE_PMEM));
    }

    /** All structures for the configuration, NVDIMMs in slot order (empty without NVDIMMs). */
    public static List<NfitStructure> structures(QemuConfig config) {
        List<NfitStructure> out = new ArrayList<>();
        for (MemoryDevice d : config.nvdimms()) {
            out.addAll(deviceStructures(d));
        }
        if (!out.isEmpty() && config.persistence().isPresent()) {
            out.add(NfitPlatformCapabilities.of(config.persistence().get().capabilities()));
        }
        return out;
    }

    /** The NFIT header QEMU writes (acpi_table_begin with the machine's OEM ids). */
    public static AcpiHeader header(QemuConfig config) {
        return AcpiHeader.of(NfitWriter.SIGNATURE, NFIT_REVISION, config.oemId(), config.oemTableId(),
                OEM_REVISION, CREATOR_ID, CREATOR_REVISION);
    }

    /** The NFIT table, or empty when no NVDIMM is present (QEMU then emits no NFIT) or ACPI is off. */
    public static Optional<byte[]> build(QemuConfig config) {
        if (config.nvdimms().isEmpty() || !config.acpiEnabled()) {
            return Optional.empty();
        }
        return Optional.of(NfitWriter.writeTable(header(config), structures(config)));
    }

    /** The _FIT buffer: the same structures without header (empty without NVDIMMs). */
    public static byte[] buildFit(QemuConfig config) {
        return NfitWriter.writeFit(structures(config));
    }
}
