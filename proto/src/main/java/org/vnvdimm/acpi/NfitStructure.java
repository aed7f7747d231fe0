package org.vnvdimm.acpi;

/**
 * One NFIT sub-structure (ACPI 6.x section 5.2.25). Every structure starts with a 2-byte Type and a
 * 2-byte Length (which includes those 4 bytes).
 */
public sealed interface NfitStructure
        permits NfitSpaRange, NfitMemoryDeviceMap, NfitInterleave, NfitSmbios, NfitControlRegion,
        NfitBlockDataWindow, NfitFlushHintAddress, NfitPlatformCapabilities, NfitUnknown {

    int TYPE_SPA_RANGE = 0;
    int TYPE_MEMORY_DEVICE_MAP = 1;
    int TYPE_INTERLEAVE = 2;
    int TYPE_SMBIOS = 3;
    int TYPE_CONTROL_REGION = 4;
    int TYPE_BLOCK_DATA_WINDOW = 5;
    int TYPE_FLUSH_HINT_ADDRESS = 6;
    int TYPE_PLATFORM_CAPABILITIES = 7;

    /** Structure type (uint16). */
    int type();

    /** Encoded length in bytes, type and length fields included. */
    int length();

    /** Writes {@link #length()} bytes at {@code offset} of {@code dst}. */
    void encodeInto(byte[] dst, int offset);

    default byte[] encode() {
        byte[] b = new byte[length()];
        encodeInto(b, 0);
        return b;
    }

    /** Spec name of a structure type, for messages. */
    static String typeName(int type) {
        return switch (type) {
            case TYPE_SPA_RANGE -> "System Physical Address Range";
            case TYPE_MEMORY_DEVICE_MAP -> "Memory Device to SPA Range Map";
            case TYPE_INTERLEAVE -> "Interleave";
            case TYPE_SMBIOS -> "SMBIOS Management Information";
            case TYPE_CONTROL_REGION -> "NVDIMM Control Region";
            case TYPE_BLOCK_DATA_WINDOW -> "NVDIMM Block Data Window Region";
            case TYPE_FLUSH_HINT_ADDRESS -> "Flush Hint Address";
            case TYPE_PLATFORM_CAPABILITIES -> "Platform Capabilities";
            default -> "unknown type " + type;
        };
    }

    /** Writes the common Type/Length prefix. */
    static void putHeader(byte[] dst, int offset, int type, int length) {
        Le.put16(dst, offset, type);
        Le.put16(dst, offset + 2, length);
    }
}
