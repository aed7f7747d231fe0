package org.vnvdimm.qemu.acpi;

import java.util.Optional;

/**
 * What {@link AcpiTool#build(String)} produces for a QEMU command line: the parsed configuration, the NFIT
 * (absent when QEMU would emit none) and the _FIT buffer, plus what the SSDT builder needs.
 */
public final class AcpiTables {
    private final QemuConfig config;
    private final byte[] nfit;
    private final byte[] fit;

    AcpiTables(QemuConfig config, Optional<byte[]> nfit, byte[] fit) {
        this.config = config;
        this.nfit = nfit.map(byte[]::clone).orElse(null);
        this.fit = fit.clone();
    }

    public QemuConfig config() {
        return config;
    }

    /** The NFIT bytes; empty when no NVDIMM is configured. */
    public Optional<byte[]> nfit() {
        return Optional.ofNullable(nfit).map(byte[]::clone);
    }

    /** The _FIT buffer (structures only; empty array without NVDIMMs). */
    public byte[] fit() {
        return fit.clone();
    }

    /** Memory slots: the SSDT has one NVxx device per slot. */
    public int slots() {
        return config.ramSlots();
    }

    /** OEM ID for the SSDT header, without NUL padding ("BOCHS " by default). */
    public String oemId() {
        return config.oemIdText();
    }

    /** OEM Table ID of the NFIT, without NUL padding (the SSDT always uses "NVDIMM"). */
    public String oemTableId() {
        return org.vnvdimm.acpi.AcpiHeader.trimNul(config.oemTableId());
    }

    /** True when QEMU would also build the NVDIMM SSDT (nvdimm=on, ACPI on, slots > 0). */
    public boolean ssdtExpected() {
        return config.ssdtExpected();
    }
}
