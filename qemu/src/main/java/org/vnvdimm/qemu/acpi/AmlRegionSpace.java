package org.vnvdimm.qemu.acpi;

/** OperationRegion address space (ACPI 6.5, 19.6.100 and 20.2.5.2 RegionSpace). */
public enum AmlRegionSpace {
    SYSTEM_MEMORY(0x00),
    SYSTEM_IO(0x01),
    PCI_CONFIG(0x02),
    EMBEDDED_CONTROL(0x03),
    SMBUS(0x04),
    SYSTEM_CMOS(0x05),
    PCI_BAR_TARGET(0x06),
    IPMI(0x07),
    GENERAL_PURPOSE_IO(0x08),
    GENERIC_SERIAL_BUS(0x09),
    PCC(0x0A);

    private final int code;

    AmlRegionSpace(int code) {
        this.code = code;
    }

    /** The RegionSpace byte. */
    public int code() {
        return code;
    }
}
