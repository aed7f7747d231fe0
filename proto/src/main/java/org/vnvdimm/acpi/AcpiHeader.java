package org.vnvdimm.acpi;

/**
 * The 36-byte System Description Table Header that starts every ACPI table (ACPI 6.x section 5.2.6).
 * Text fields are kept at their full on-table width (OEM ID 6, OEM Table ID 8, Creator ID 4 characters,
 * one char per byte); shorter values given to the constructor are padded with NUL, which is how QEMU pads
 * user-supplied ids since 6.2.
 *
 * @param signature       4 characters, e.g. "NFIT"
 * @param length          total table length in bytes, header included (uint32)
 * @param revision        table revision (uint8)
 * @param checksum        checksum byte as stored (uint8)
 * @param oemId           6 characters
 * @param oemTableId      8 characters
 * @param oemRevision     uint32
 * @param creatorId       4 characters (ASL compiler vendor id)
 * @param creatorRevision uint32
 */
public record AcpiHeader(String signature, long length, int revision, int checksum, String oemId,
                         String oemTableId, long oemRevision, String creatorId, long creatorRevision) {
    public static final int SIZE_BYTES = 36;
    public static final int OEM_ID_WIDTH = 6;
    public static final int OEM_TABLE_ID_WIDTH = 8;
    public static final int CREATOR_ID_WIDTH = 4;

    public AcpiHeader {
        signature = text("Signature", signature, 4, false);
        Le.checkU32("Length", length);
        Le.checkU8("Revision", revision);
        Le.checkU8("Checksum", checksum);
        oemId = text("OEM ID", oemId, OEM_ID_WIDTH, true);
        oemTableId = text("OEM Table ID", oemTableId, OEM_TABLE_ID_WIDTH, true);
        Le.checkU32("OEM Revision", oemRevision);
        creatorId = text("Creator ID", creatorId, CREATOR_ID_WIDTH, true);
        Le.checkU32("Creator Revision", creatorRevision);
    }

    /** A header template; length and checksum are filled in by the table writer. */
    public static AcpiHeader of(String signature, int revision, String oemId, String oemTableId, long oemRevision,
                                String creatorId, long creatorRevision) {
        return new AcpiHeader(signature, 0, revision, 0, oemId, oemTableId, oemRevision, creatorId, creatorRevision);
    }

    private static String text(String field, String value, int width, boolean pad) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is null");
        }
        if (value.length() > width || (!pad && value.length() != width)) {
            throw new IllegalArgumentException(field + " must be " + (pad ? "at most " : "exactly ") + width
                    + " characters, got \"" + Le.printable(value) + "\"");
        }
        for (char c : value.toCharArray()) {
            if (c > 0xFF) {
                throw new IllegalArgumentException(field + " has a character that is not one byte: \""
                        + Le.printable(value) + "\"");
            }
        }
        StringBuilder sb = new StringBuilder(value);
        while (sb.length() < width) {
            sb.append('\0');
        }
        return sb.toString();
    }

    /** Decodes the first 36 bytes of {@code table}; no validation beyond the size. */
    public static AcpiHeader decode(byte[] table) {
        if (table == null) {
            throw new AcpiParseException(0, "Header", "no table (null buffer)");
        }
        if (table.length < SIZE_BYTES) {
            throw new AcpiParseException(table.length, "Header",
                    "table is " + table.length + " bytes, shorter than the 36-byte ACPI header");
        }
        return new AcpiHeader(Le.latin1(table, 0, 4), Le.u32(table, 4), Le.u8(table, 8), Le.u8(table, 9),
                Le.latin1(table, 10, 6), Le.latin1(table, 16, 8), Le.u32(table, 24), Le.latin1(table, 28, 4),
                Le.u32(table, 32));
    }

    /** Writes the 36 header bytes at {@code offset} of {@code dst}. */
    public void encodeInto(byte[] dst, int offset) {
        putText(dst, offset, signature);
        Le.put32(dst, offset + 4, length);
        Le.put8(dst, offset + 8, revision);
        Le.put8(dst, offset + 9, checksum);
        putText(dst, offset + 10, oemId);
        putText(dst, offset + 16, oemTableId);
        Le.put32(dst, offset + 24, oemRevision);
        putText(dst, offset + 28, creatorId);
        Le.put32(dst, offset + 32, creatorRevision);
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE_BYTES];
        encodeInto(b, 0);
        return b;
    }

    private static void putText(byte[] dst, int off, String s) {
        for (int i = 0; i < s.length(); i++) {
            dst[off + i] = (byte) s.charAt(i);
        }
    }

    public AcpiHeader withLength(long newLength) {
        return new AcpiHeader(signature, newLength, revision, checksum, oemId, oemTableId, oemRevision, creatorId,
                creatorRevision);
    }

    public AcpiHeader withChecksum(int newChecksum) {
        return new AcpiHeader(signature, length, revision, newChecksum, oemId, oemTableId, oemRevision, creatorId,
                creatorRevision);
    }

    /** A text field without its trailing NUL padding (spaces are significant and kept). */
    public static String trimNul(String field) {
        int end = field.length();
        while (end > 0 && field.charAt(end - 1) == '\0') {
            end--;
        }
        return field.substring(0, end);
    }
}
