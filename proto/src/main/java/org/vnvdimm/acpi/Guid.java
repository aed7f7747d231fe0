package org.vnvdimm.acpi;

import java.util.Map;
import java.util.UUID;

/**
 * GUIDs as ACPI stores them: the EFI "mixed-endian" byte form, where the first three groups are little
 * endian and the last 8 bytes are in text order. 66F0D379-B4F3-4074-AC43-0D3318B78CDB is stored as
 * 79 D3 F0 66 F3 B4 74 40 AC 43 0D 33 18 B7 8C DB.
 */
public final class Guid {
    public static final int SIZE_BYTES = 16;

    /** Address Range Type GUIDs of the NFIT SPA Range structure (ACPI 6.x, Table "SPA Range Structure"). */
    public static final UUID PERSISTENT_MEMORY = UUID.fromString("66F0D379-B4F3-4074-AC43-0D3318B78CDB");
    public static final UUID VOLATILE_MEMORY = UUID.fromString("7305944F-FDDA-44E3-B16C-3F22D252E5D0");
    public static final UUID CONTROL_REGION = UUID.fromString("92F701F6-13B4-405D-910B-299367E8234C");
    public static final UUID BLOCK_DATA_WINDOW_REGION = UUID.fromString("91AF0530-5D86-470E-A6B0-0A2DB9408249");

    private static final Map<UUID, String> NAMES = Map.of(
            PERSISTENT_MEMORY, "Persistent Memory",
            VOLATILE_MEMORY, "Volatile Memory",
            CONTROL_REGION, "NVDIMM Control Region",
            BLOCK_DATA_WINDOW_REGION, "NVDIMM Block Data Window Region");

    private Guid() {
    }

    /** The 16 bytes of {@code guid} in EFI mixed-endian order. */
    public static byte[] toEfiBytes(UUID guid) {
        byte[] b = new byte[SIZE_BYTES];
        putEfiBytes(guid, b, 0);
        return b;
    }

    public static void putEfiBytes(UUID guid, byte[] dst, int offset) {
        long msb = guid.getMostSignificantBits();
        long lsb = guid.getLeastSignificantBits();
        Le.put32(dst, offset, msb >>> 32);              // Data1, little endian
        Le.put16(dst, offset + 4, (int) (msb >>> 16));  // Data2
        Le.put16(dst, offset + 6, (int) msb);           // Data3
        for (int i = 0; i < 8; i++) {                   // Data4, byte order as written
            dst[offset + 8 + i] = (byte) (lsb >>> (56 - 8 * i));
        }
    }

    public static UUID fromEfiBytes(byte[] src, int offset) {
        long msb = Le.u32(src, offset) << 32 | (long) Le.u16(src, offset + 4) << 16 | Le.u16(src, offset + 6);
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            lsb = lsb << 8 | (src[offset + 8 + i] & 0xFF);
        }
        return new UUID(msb, lsb);
    }

    /** Upper-case text form, as ACPI documents and iasl print GUIDs. */
    public static String text(UUID guid) {
        return guid.toString().toUpperCase(java.util.Locale.ROOT);
    }

    /** Spec name of a known range type GUID, or "unknown". */
    public static String name(UUID guid) {
        return NAMES.getOrDefault(guid, "unknown");
    }
}
