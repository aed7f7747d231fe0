package org.vnvdimm.acpi;

import java.util.ArrayList;
import java.util.List;

/**
 * NFIT type 2, Interleave structure: 16 bytes plus 4 per line offset.
 *
 * @param interleaveIndex Interleave Structure Index (uint16)
 * @param lineSizeBytes   Line Size (uint32)
 * @param lineOffsets     Line Offsets (uint32 each); Number of Lines is their count
 */
public record NfitInterleave(int interleaveIndex, long lineSizeBytes, List<Long> lineOffsets)
        implements NfitStructure {
    public static final int MIN_LENGTH_BYTES = 16;

    public NfitInterleave {
        Le.checkU16("Interleave Structure Index", interleaveIndex);
        Le.checkU32("Line Size", lineSizeBytes);
        lineOffsets = List.copyOf(lineOffsets);
        for (Long o : lineOffsets) {
            Le.checkU32("Line Offset", o);
        }
        if (MIN_LENGTH_BYTES + 4L * lineOffsets.size() > 0xFFFF) {
            throw new IllegalArgumentException("Interleave structure with " + lineOffsets.size()
                    + " lines does not fit the 16-bit Length field");
        }
    }

    @Override
    public int type() {
        return TYPE_INTERLEAVE;
    }

    @Override
    public int length() {
        return MIN_LENGTH_BYTES + 4 * lineOffsets.size();
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        java.util.Arrays.fill(dst, offset, offset + length(), (byte) 0);
        NfitStructure.putHeader(dst, offset, TYPE_INTERLEAVE, length());
        Le.put16(dst, offset + 4, interleaveIndex);
        Le.put32(dst, offset + 8, lineOffsets.size());
        Le.put32(dst, offset + 12, lineSizeBytes);
        for (int i = 0; i < lineOffsets.size(); i++) {
            Le.put32(dst, offset + 16 + 4 * i, lineOffsets.get(i));
        }
    }

    /** Decodes; the caller has checked that {@code lines} offsets fit inside the structure. */
    static NfitInterleave decode(byte[] b, int offset, int lines) {
        List<Long> offsets = new ArrayList<>(lines);
        for (int i = 0; i < lines; i++) {
            offsets.add(Le.u32(b, offset + 16 + 4 * i));
        }
        return new NfitInterleave(Le.u16(b, offset + 4), Le.u32(b, offset + 12), offsets);
    }
}
