package org.vnvdimm.qemu.acpi;

/**
 * The records QEMU writes at the start of the DSM page as a _DSM result. Every record begins with
 * a little-endian dword holding the record's own length in bytes (RLEN, counting itself); the guest
 * AML returns the RLEN-4 bytes after it. Except for function 0 the first of those is a status dword.
 */
public final class DsmOutputFrame {

    /** RLEN field size. */
    public static final int LENGTH_FIELD_BYTES = 4;
    /** RLEN plus status dword: the smallest non-function-0 record. */
    public static final int STATUS_HEADER_BYTES = 8;

    private DsmOutputFrame() {
    }

    /** Function 0: {len=8, supported-functions bitmap}. No status dword. */
    public static byte[] function0(long bitmap) {
        byte[] out = new byte[8];
        putLe32(out, 0, out.length);
        putLe32(out, 4, bitmap);
        return out;
    }

    /** A result with only a status: {len=8, status}. */
    public static byte[] status(long status) {
        return statusWithData(status, new byte[0]);
    }

    /** {len=8+data, status, data}: Read FIT and Get Label Data. */
    public static byte[] statusWithData(long status, byte[] data) {
        byte[] out = new byte[STATUS_HEADER_BYTES + data.length];
        putLe32(out, 0, out.length);
        putLe32(out, 4, status);
        System.arraycopy(data, 0, out, STATUS_HEADER_BYTES, data.length);
        return out;
    }

    /** Get Namespace Label Size: {len=16, status 0, label size, max transfer}. */
    public static byte[] labelSize(long labelSizeBytes, long maxTransferBytes) {
        byte[] out = new byte[16];
        putLe32(out, 0, out.length);
        putLe32(out, 4, DsmStatus.SUCCESS);
        putLe32(out, 8, labelSizeBytes);
        putLe32(out, 12, maxTransferBytes);
        return out;
    }

    static void putLe32(byte[] b, int at, long v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    static long le32(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (long) (b[at + i] & 0xFF) << (8 * i);
        }
        return v;
    }
}
