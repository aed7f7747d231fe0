package org.vnvdimm.acpi;

/**
 * NFIT type 5, NVDIMM Block Data Window Region structure, 40 bytes.
 *
 * @param controlRegionIndex            NVDIMM Control Region Structure Index (uint16)
 * @param numberOfBlockDataWindows      uint16
 * @param blockDataWindowStartOffset    bytes
 * @param sizeOfBlockDataWindow         bytes
 * @param blockAccessibleMemoryCapacity bytes
 * @param beginningAddressOfFirstBlock  address in the NVDIMM block-accessible memory
 */
public record NfitBlockDataWindow(int controlRegionIndex, int numberOfBlockDataWindows,
                                  long blockDataWindowStartOffset, long sizeOfBlockDataWindow,
                                  long blockAccessibleMemoryCapacity, long beginningAddressOfFirstBlock)
        implements NfitStructure {
    public static final int LENGTH_BYTES = 40;

    public NfitBlockDataWindow {
        Le.checkU16("NVDIMM Control Region Structure Index", controlRegionIndex);
        Le.checkU16("Number of Block Data Windows", numberOfBlockDataWindows);
    }

    @Override
    public int type() {
        return TYPE_BLOCK_DATA_WINDOW;
    }

    @Override
    public int length() {
        return LENGTH_BYTES;
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        NfitStructure.putHeader(dst, offset, TYPE_BLOCK_DATA_WINDOW, LENGTH_BYTES);
        Le.put16(dst, offset + 4, controlRegionIndex);
        Le.put16(dst, offset + 6, numberOfBlockDataWindows);
        Le.put64(dst, offset + 8, blockDataWindowStartOffset);
        Le.put64(dst, offset + 16, sizeOfBlockDataWindow);
        Le.put64(dst, offset + 24, blockAccessibleMemoryCapacity);
        Le.put64(dst, offset + 32, beginningAddressOfFirstBlock);
    }

    static NfitBlockDataWindow decode(byte[] b, int offset) {
        return new NfitBlockDataWindow(Le.u16(b, offset + 4), Le.u16(b, offset + 6), Le.u64(b, offset + 8),
                Le.u64(b, offset + 16), Le.u64(b, offset + 24), Le.u64(b, offset + 32));
    }
}
