package org.vnvdimm.qemu.acpi;

import java.util.Locale;

/**
 * PkgLength encoding (ACPI 6.5, 20.2.4 "Package Length Encoding").
 *
 * <p>The lead byte's bits 7..6 give the number of following bytes (0..3). With no following byte,
 * bits 5..0 hold the value (0..63). Otherwise bits 3..0 hold the low nibble, bits 5..4 are zero, and
 * each following byte adds 8 more bits, so 2, 3 and 4 bytes carry 12, 20 and 28 bits.
 *
 * <p>Size choice follows QEMU's aml-build: the smallest {@code n} with {@code value + n < 2^bits(n)}.
 * For a length that includes itself this is the minimal encoding. For a field width (which does not
 * include itself) the same headroom is kept, so the widths 63, 4094, 4095, 1048573..1048575 take one
 * byte more than they strictly need; both forms decode to the same value.
 */
public final class AmlPkgLength {

    /** Largest value a PkgLength can carry (28 bits). */
    public static final int MAX_VALUE = (1 << 28) - 1;

    private static final int[] BITS_FOR_SIZE = {0, 6, 12, 20, 28};

    private AmlPkgLength() {
    }

    /** Number of PkgLength bytes QEMU uses for {@code value} (1..4). */
    public static int sizeBytes(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("PkgLength value must not be negative: " + value);
        }
        for (int n = 1; n <= 4; n++) {
            if (value + n < (1L << BITS_FOR_SIZE[n])) {
                return n;
            }
        }
        throw new IllegalArgumentException("PkgLength value " + value + " exceeds the 28-bit maximum "
                + MAX_VALUE + " (with " + 4 + " bytes of headroom)");
    }

    /**
     * Encodes the length of a block whose PkgLength counts itself: the result encodes
     * {@code bodyLengthBytes + result.length}.
     */
    public static byte[] encodeIncludingSelf(long bodyLengthBytes) {
        int n = sizeBytes(bodyLengthBytes);
        return encodeWithSize(bodyLengthBytes + n, n);
    }

    /** Encodes a raw value (a field element's bit width), which does not count the PkgLength bytes. */
    public static byte[] encodeValue(long value) {
        return encodeWithSize(value, sizeBytes(value));
    }

    /** Decodes a PkgLength at {@code offset}: returns {value, sizeBytes}. */
    public static long[] decode(byte[] aml, int offset) {
        if (offset < 0 || offset >= aml.length) {
            throw new IllegalArgumentException("PkgLength offset " + offset + " outside AML of " + aml.length + " bytes");
        }
        int lead = aml[offset] & 0xFF;
        int follow = lead >>> 6;
        if (follow == 0) {
            return new long[] {lead & 0x3F, 1};
        }
        if ((lead & 0x30) != 0) {
            throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format(
                    "PkgLength at offset %d: lead byte 0x%02X has reserved bits 5..4 set", offset, lead));
        }
        if (offset + follow >= aml.length) {
            throw new IllegalArgumentException("PkgLength at offset " + offset + " runs past the end of the AML");
        }
        long value = lead & 0x0F;
        for (int i = 1; i <= follow; i++) {
            value |= (long) (aml[offset + i] & 0xFF) << (4 + 8 * (i - 1));
        }
        return new long[] {value, follow + 1};
    }

    private static byte[] encodeWithSize(long value, int n) {
        if (value > MAX_VALUE) {
            throw new IllegalArgumentException("PkgLength value " + value + " exceeds the 28-bit maximum " + MAX_VALUE);
        }
        byte[] out = new byte[n];
        if (n == 1) {
            out[0] = (byte) value;
            return out;
        }
        out[0] = (byte) (((n - 1) << 6) | (value & 0x0F));
        long rest = value >>> 4;
        for (int i = 1; i < n; i++) {
            out[i] = (byte) (rest & 0xFF);
            rest >>>= 8;
        }
        return out;
    }
}
