package org.vnvdimm.qemu.acpi;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.vnvdimm.acpi.AcpiHeader;

/**
 * A validated QEMU x86 machine configuration as far as it shapes the guest's NVDIMM ACPI tables: machine
 * type and ACPI ids, RAM split around 4 GiB, the device-memory ("hotplug memory") region, NUMA nodes,
 * memory backends, and every pc-dimm/nvdimm with the slot and address QEMU assigns it. Built by
 * {@link QemuOptions}.
 */
public final class QemuConfig {
    /** Machine families whose memory layout is modelled. */
    public enum Machine {
        /** i440FX/PIIX4 ("pc", "pc-i440fx-X.Y"). */
        PC,
        /** Q35/ICH9 ("q35", "pc-q35-X.Y"). */
        Q35,
        /** "xenfv": PIIX4 with Xen's RAM split (hvmloader's 0xF0000000 low-memory end). */
        XENFV
    }

    /** -machine nvdimm-persistence, with the Platform Capabilities bits QEMU reports. */
    public enum NvdimmPersistence {
        /** "cpu": CPU cache flush and memory controller flush on power loss (capabilities 3). */
        CPU("cpu", 3),
        /** "mem-ctrl": memory controller flush only (capabilities 2). */
        MEM_CTRL("mem-ctrl", 2);

        private final String optionValue;
        private final long capabilities;

        NvdimmPersistence(String optionValue, long capabilities) {
            this.optionValue = optionValue;
            this.capabilities = capabilities;
        }

        public String optionValue() {
            return optionValue;
        }

        public long capabilities() {
            return capabilities;
        }
    }

    public enum DeviceKind {
        PC_DIMM("pc-dimm"), NVDIMM("nvdimm");

        private final String driver;

        DeviceKind(String driver) {
            this.driver = driver;
        }

        public String driver() {
            return driver;
        }
    }

    /**
     * A -object memory-backend-*.
     *
     * @param alignBytes the MemoryRegion alignment QEMU derives (2 MiB for anonymous RAM on x86-64 Linux
     *                   hosts, the page size or align= for files)
     * @param readOnly   mapped read-only (ROM), which forces nvdimm unarmed=on
     */
    public record MemoryBackend(String id, String qomType, long sizeBytes, long alignBytes, Optional<String> memPath,
                                boolean share, boolean pmem, boolean readOnly, String option) {
    }

    /** A NUMA node; {@code sizeBytes} is its memdev's size (0 without memdev). */
    public record NumaNode(int nodeId, Optional<String> memdev, long sizeBytes) {
    }

    /** The device-memory region where pc-dimm and nvdimm devices are placed. */
    public record DeviceMemoryRegion(long baseAddress, long sizeBytes) {
        public long endAddress() {
            return baseAddress + sizeBytes;
        }
    }

    /**
     * A realized pc-dimm or nvdimm.
     *
     * @param slot             memory slot (shared by pc-dimm and nvdimm)
     * @param address          guest-physical base address
     * @param regionSizeBytes  size mapped into the guest: the backend size for a pc-dimm; for an nvdimm
     *                         ALIGN_DOWN(backend size - label size, backend alignment)
     * @param labelSizeBytes   nvdimm label area, the last label-size bytes of the backend (0: none)
     * @param node             proximity domain (pc-dimm "node")
     * @param readOnly         the backend is read-only, so the label area is too
     * @param option           the -device option as written
     */
    public record MemoryDevice(DeviceKind kind, Optional<String> id, String memdev, int slot, long address,
                               long regionSizeBytes, long backendSizeBytes, long labelSizeBytes, long alignBytes,
                               long node, boolean unarmed, boolean readOnly, String option) {
        /** Offset of the label area inside the backend. */
        public long labelOffsetInBackendBytes() {
            return backendSizeBytes - labelSizeBytes;
        }

        public long endAddress() {
            return address + regionSizeBytes;
        }
    }

    private final Machine machine;
    private final String machineTypeName;
    private final String accel;
    private final boolean nvdimmEnabled;
    private final Optional<NvdimmPersistence> persistence;
    private final String oemId;
    private final String oemTableId;
    private final boolean acpiEnabled;
    private final long ramSizeBytes;
    private final long maxRamSizeBytes;
    private final int ramSlots;
    private final Optional<String> smp;
    private final long belowFourGBytes;
    private final long aboveFourGBytes;
    private final Optional<DeviceMemoryRegion> deviceMemory;
    private final List<NumaNode> numaNodes;
    private final List<MemoryBackend> backends;
    private final List<MemoryDevice> memoryDevices;
    private final List<String> notes;

    QemuConfig(Machine machine, String machineTypeName, String accel, boolean nvdimmEnabled,
               Optional<NvdimmPersistence> persistence, String oemId, String oemTableId, boolean acpiEnabled,
               long ramSizeBytes, long maxRamSizeBytes, int ramSlots, Optional<String> smp, long belowFourGBytes,
               long aboveFourGBytes, Optional<DeviceMemoryRegion> deviceMemory, List<NumaNode> numaNodes,
               List<MemoryBackend> backends, List<MemoryDevice> memoryDevices, List<String> notes) {
        this.machine = machine;
        this.machineTypeName = machineTypeName;
        this.accel = accel;
        this.nvdimmEnabled = nvdimmEnabled;
        this.persistence = persistence;
        this.oemId = oemId;
        this.oemTableId = oemTableId;
        this.acpiEnabled = acpiEnabled;
        this.ramSizeBytes = ramSizeBytes;
        this.maxRamSizeBytes = maxRamSizeBytes;
        this.ramSlots = ramSlots;
        this.smp = smp;
        this.belowFourGBytes = belowFourGBytes;
        this.aboveFourGBytes = aboveFourGBytes;
        this.deviceMemory = deviceMemory;
        this.numaNodes = List.copyOf(numaNodes);
        this.backends = List.copyOf(backends);
        this.memoryDevices = List.copyOf(memoryDevices);
        this.notes = List.copyOf(notes);
    }

    public Machine machine() {
        return machine;
    }

    /** Canonical machine type, e.g. "pc-i440fx-10.2" for "pc". */
    public String machineTypeName() {
        return machineTypeName;
    }

    public String accel() {
        return accel;
    }

    public boolean nvdimmEnabled() {
        return nvdimmEnabled;
    }

    public Optional<NvdimmPersistence> persistence() {
        return persistence;
    }

    /** OEM ID as it goes into table headers: 6 characters, NUL-padded when user-supplied. */
    public String oemId() {
        return oemId;
    }

    /** OEM Table ID for the NFIT: 8 characters, NUL-padded when user-supplied. */
    public String oemTableId() {
        return oemTableId;
    }

    /** OEM ID without trailing NUL padding (the default "BOCHS " keeps its space). */
    public String oemIdText() {
        return AcpiHeader.trimNul(oemId);
    }

    public boolean acpiEnabled() {
        return acpiEnabled;
    }

    public long ramSizeBytes() {
        return ramSizeBytes;
    }

    public long maxRamSizeBytes() {
        return maxRamSizeBytes;
    }

    /** -m slots=N: memory slots shared by pc-dimm and nvdimm (the SSDT has one NVxx device per slot). */
    public int ramSlots() {
        return ramSlots;
    }

    public Optional<String> smp() {
        return smp;
    }

    public long belowFourGBytes() {
        return belowFourGBytes;
    }

    public long aboveFourGBytes() {
        return aboveFourGBytes;
    }

    public Optional<DeviceMemoryRegion> deviceMemory() {
        return deviceMemory;
    }

    public List<NumaNode> numaNodes() {
        return numaNodes;
    }

    public List<MemoryBackend> backends() {
        return backends;
    }

    /** pc-dimm and nvdimm devices in realize (command-line) order. */
    public List<MemoryDevice> memoryDevices() {
        return memoryDevices;
    }

    /** The nvdimm devices sorted by slot (QEMU's own NFIT order is unspecified, see NfitBuilder). */
    public List<MemoryDevice> nvdimms() {
        return memoryDevices.stream().filter(d -> d.kind() == DeviceKind.NVDIMM)
                .sorted(Comparator.comparingInt(MemoryDevice::slot)).toList();
    }

    /** QEMU builds the NVDIMM SSDT (root device NVDR) when nvdimm=on, ACPI is on and slots > 0. */
    public boolean ssdtExpected() {
        return nvdimmEnabled && acpiEnabled && ramSlots > 0;
    }

    /** Options that were accepted but do not affect the modelled tables, and modelling assumptions. */
    public List<String> notes() {
        return notes;
    }
}
