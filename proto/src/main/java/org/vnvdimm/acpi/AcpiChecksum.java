package org.vnvdimm.acpi;

/**
 * The ACPI table checksum: all bytes of a table, including the checksum byte at offset 9, sum to zero
 * modulo 256.
 */
public final class AcpiChecksum {
    /** Offset of the checksum byte in every ACPI table header. */
    public static final int CHECKSUM_OFFSET = 9;

    private AcpiChecksum() {
    }

    /** Sum of all bytes modulo 256 (0..255). */
    public static int sum(byte[] data) {
        return sum(data, 0, data.length);
    }

    /** Sum of {@code length} bytes starting at {@code offset}, modulo 256. */
    public static int sum(byte[] data, int offset, int length) {
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") outside a "
                    + data.length + "-byte buffer");
        }
        int s = 0;
        for (int i = offset; i < offset + length; i++) {
            s += data[i];
        }
        return s & 0xFF;
    }

    /** Sets byte 9 so that the whole array sums to zero. */
    public static void fix(byte[] table) {
        fix(table, 0, table.length);
    }

    /** Sets the checksum of the table occupying [offset, offset+length) of {@code buffer}. */
    public static void fix(byte[] buffer, int offset, int length) {
        if (length <= CHECKSUM_OFFSET) {
            throw new IllegalArgumentException("a " + length + "-byte table has no checksum byte at offset 9");
        }
        buffer[offset + CHECKSUM_OFFSET] = 0;
        buffer[offset + CHECKSUM_OFFSET] = (byte) -sum(buffer, offset, length);
    }

    /** True if the whole array sums to zero. */
    public static boolean verify(byte[] table) {
        return sum(table) == 0;
    }

    public static boolean verify(byte[] buffer, int offset, int length) {
        return sum(buffer, offset, length) == 0;
    }
}
