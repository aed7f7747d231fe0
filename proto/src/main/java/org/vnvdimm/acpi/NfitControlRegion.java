package org.vnvdimm.acpi;

/**
 * NFIT type 4, NVDIMM Control Region structure. The full form is 80 bytes; when Number of Block Control
 * Windows is 0 the block-window fields may be omitted, giving a 32-byte structure (Linux accepts both).
 *
 * @param controlRegionIndex          NVDIMM Control Region Structure Index (uint16)
 * @param vendorId                    uint16
 * @param deviceId                    uint16
 * @param revisionId                  uint16
 * @param subsystemVendorId           uint16
 * @param subsystemDeviceId           uint16
 * @param subsystemRevisionId         uint16
 * @param validFields                 uint8 (ACPI 6.1: bit 0 = manufacturing location/date valid)
 * @param manufacturingLocation       uint8
 * @param manufacturingDate           uint16
 * @param serialNumber                uint32
 * @param regionFormatInterfaceCode   uint16, e.g. 0x0301 (byte-addressable persistent memory)
 * @param numberOfBlockControlWindows uint16
 * @param sizeOfBlockControlWindow    bytes
 * @param commandRegisterOffset       offset in the block control window
 * @param sizeOfCommandRegister       bytes
 * @param statusRegisterOffset        offset in the block control window
 * @param sizeOfStatusRegister        bytes
 * @param controlRegionFlags          uint16 (bit 0: block data windows buffered)
 * @param length                      encoded length: 80, or 32 when there are no block control windows
 */
public record NfitControlRegion(int controlRegionIndex, int vendorId, int deviceId, int revisionId,
                                int subsystemVendorId, int subsystemDeviceId, int subsystemRevisionId,
                                int validFields, int manufacturingLocation, int manufacturingDate,
                                long serialNumber, int regionFormatInterfaceCode, int numberOfBlockControlWindows,
                                long sizeOfBlockControlWindow, long commandRegisterOffset,
                                long sizeOfCommandRegister, long statusRegisterOffset, long sizeOfStatusRegister,
                                int controlRegionFlags, int length) implements NfitStructure {
    public static final int LENGTH_BYTES = 80;
    public static final int SHORT_LENGTH_BYTES = 32;
    /** Byte-addressable persistent memory, no energy source (JEDEC Annex L). */
    public static final int FORMAT_BYTE_ADDRESSABLE_PMEM = 0x0301;

    public NfitControlRegion {
        Le.checkU16("NVDIMM Control Region Structure Index", controlRegionIndex);
        Le.checkU16("Vendor ID", vendorId);
        Le.checkU16("Device ID", deviceId);
        Le.checkU16("Revision ID", revisionId);
        Le.checkU16("Subsystem Vendor ID", subsystemVendorId);
        Le.checkU16("Subsystem Device ID", subsystemDeviceId);
        Le.checkU16("Subsystem Revision ID", subsystemRevisionId);
        Le.checkU8("Valid Fields", validFields);
        Le.checkU8("Manufacturing Location", manufacturingLocation);
        Le.checkU16("Manufacturing Date", manufacturingDate);
        Le.checkU32("Serial Number", serialNumber);
        Le.checkU16("Region Format Interface Code", regionFormatInterfaceCode);
        Le.checkU16("Number of Block Control Windows", numberOfBlockControlWindows);
        Le.checkU16("NVDIMM Control Region Flag", controlRegionFlags);
        if (length == SHORT_LENGTH_BYTES) {
            if (numberOfBlockControlWindows != 0 || sizeOfBlockControlWindow != 0 || commandRegisterOffset != 0
                    || sizeOfCommandRegister != 0 || statusRegisterOffset != 0 || sizeOfStatusRegister != 0
                    || controlRegionFlags != 0) {
                throw new IllegalArgumentException(
                        "a 32-byte Control Region cannot carry block control window fields");
            }
        } else if (length != LENGTH_BYTES) {
            throw new IllegalArgumentException("Control Region Length must be 80 or 32, got " + length);
        }
    }

    /** An 80-byte byte-addressable persistent-memory control region without block windows, as QEMU builds. */
    public static NfitControlRegion pmem(int controlRegionIndex, int vendorId, int deviceId, int revisionId,
                                         long serialNumber, int regionFormatInterfaceCode) {
        return new NfitControlRegion(controlRegionIndex, vendorId, deviceId, revisionId, 0, 0, 0, 0, 0, 0,
                serialNumber, regionFormatInterfaceCode, 0, 0, 0, 0, 0, 0, 0, LENGTH_BYTES);
    }

    @Override
    public int type() {
        return TYPE_CONTROL_REGION;
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        java.util.Arrays.fill(dst, offset, offset + length, (byte) 0);
        NfitStructure.putHeader(dst, offset, TYPE_CONTROL_REGION, length);
        Le.put16(dst, offset + 4, controlRegionIndex);
        Le.put16(dst, offset + 6, vendorId);
        Le.put16(dst, offset + 8, deviceId);
        Le.put16(dst, offset + 10, revisionId);
        Le.put16(dst, offset + 12, subsystemVendorId);
        Le.put16(dst, offset + 14, subsystemDeviceId);
        Le.put16(dst, offset + 16, subsystemRevisionId);
        Le.put8(dst, offset + 18, validFields);
        Le.put8(dst, offset + 19, manufacturingLocation);
        Le.put16(dst, offset + 20, manufacturingDate);
        Le.put32(dst, offset + 24, serialNumber);
        Le.put16(dst, offset + 28, regionFormatInterfaceCode);
        Le.put16(dst, offset + 30, numberOfBlockControlWindows);
        if (length == LENGTH_BYTES) {
            Le.put64(dst, offset + 32, sizeOfBlockControlWindow);
            Le.put64(dst, offset + 40, commandRegisterOffset);
            Le.put64(dst, offset + 48, sizeOfCommandRegister);
            Le.put64(dst, offset + 56, statusRegisterOffset);
            Le.put64(dst, offset + 64, sizeOfStatusRegister);
            Le.put16(dst, offset + 72, controlRegionFlags);
        }
    }

    /**
     * Decodes a structure of {@code declaredLength} bytes; the caller guarantees at least 32 bytes, and 80
     * when the structure has block control windows.
     */
    static NfitControlRegion decode(byte[] b, int offset, int declaredLength) {
        boolean full = declaredLength >= LENGTH_BYTES;
        return new NfitControlRegion(Le.u16(b, offset + 4), Le.u16(b, offset + 6), Le.u16(b, offset + 8),
                Le.u16(b, offset + 10), Le.u16(b, offset + 12), Le.u16(b, offset + 14), Le.u16(b, offset + 16),
                Le.u8(b, offset + 18), Le.u8(b, offset + 19), Le.u16(b, offset + 20), Le.u32(b, offset + 24),
                Le.u16(b, offset + 28), Le.u16(b, offset + 30),
                full ? Le.u64(b, offset + 32) : 0, full ? Le.u64(b, offset + 40) : 0,
                full ? Le.u64(b, offset + 48) : 0, full ? Le.u64(b, offset + 56) : 0,
                full ? Le.u64(b, offset + 64) : 0, full ? Le.u16(b, offset + 72) : 0,
                full ? LENGTH_BYTES : SHORT_LENGTH_BYTES);
    }
}
