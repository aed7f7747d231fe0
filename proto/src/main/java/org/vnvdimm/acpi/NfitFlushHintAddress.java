package org.vnvdimm.acpi;

import java.util.ArrayList;
import java.util.List;

/**
 * NFIT type 6, Flush Hint Address structure: 16 bytes plus 8 per hint address.
 *
 * @param deviceHandle  NFIT Device Handle (uint32)
 * @param hintAddresses Flush Hint Addresses; Number of Flush Hint Addresses is their count
 */
public record NfitFlushHintAddress(long deviceHandle, List<Long> hintAddresses) implements NfitStructure {
    public static final int MIN_LENGTH_BYTES = 16;

    public NfitFlushHintAddress {
        Le.checkU32("NFIT Device Handle", deviceHandle);
        hintAddresses = List.copyOf(hintAddresses);
        Le.checkU16("Number of Flush Hint Addresses", hintAddresses.size());
        if (MIN_LENGTH_BYTES + 8L * hintAddresses.size() > 0xFFFF) {
            throw new IllegalArgumentException(hintAddresses.size()
                    + " flush hint addresses do not fit the 16-bit Length field");
        }
    }

    @Override
    public int type() {
        return TYPE_FLUSH_HINT_ADDRESS;
    }

    @Override
    public int length() {
        return MIN_LENGTH_BYTES + 8 * hintAddresses.size();
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        java.util.Arrays.fill(dst, offset, offset + MIN_LENGTH_BYTES, (byte) 0);
        NfitStructure.putHeader(dst, offset, TYPE_FLUSH_HINT_ADDRESS, length());
        Le.put32(dst, offset + 4, deviceHandle);
        Le.put16(dst, offset + 8, hintAddresses.size());
        for (int i = 0; i < hintAddresses.size(); i++) {
            Le.put64(dst, offset + 16 + 8 * i, hintAddresses.get(i));
        }
    }

    /** Decodes; the caller has checked that {@code count} addresses fit inside the structure. */
    static NfitFlushHintAddress decode(byte[] b, int offset, int count) {
        List<Long> addresses = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            addresses.add(Le.u64(b, offset + 16 + 8 * i));
        }
        return new NfitFlushHintAddress(Le.u32(b, offset + 4), addresses);
    }
}
