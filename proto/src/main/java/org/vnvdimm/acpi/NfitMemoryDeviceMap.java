package org.vnvdimm.acpi;

/**
 * NFIT type 1, NVDIMM Region Mapping ("Memory Device to System Physical Address Range Map") structure,
 * 48 bytes.
 *
 * @param deviceHandle              NFIT Device Handle (uint32)
 * @param physicalId                NVDIMM Physical ID (uint16)
 * @param regionId                  NVDIMM Region ID (uint16)
 * @param spaRangeIndex             SPA Range Structure Index this region maps into (0: not mapped)
 * @param controlRegionIndex        NVDIMM Control Region Structure Index
 * @param regionSizeBytes           NVDIMM Region Size
 * @param regionOffset              Region Offset
 * @param physicalAddressRegionBase NVDIMM Physical Address Region Base (DPA)
 * @param interleaveIndex           Interleave Structure Index (0: none)
 * @param interleaveWays            Interleave Ways
 * @param stateFlags                NVDIMM State Flags (bit 3: not armed, ...)
 */
public record NfitMemoryDeviceMap(long deviceHandle, int physicalId, int regionId, int spaRangeIndex,
                                  int controlRegionIndex, long regionSizeBytes, long regionOffset,
                                  long physicalAddressRegionBase, int interleaveIndex, int interleaveWays,
                                  int stateFlags) implements NfitStructure {
    public static final int LENGTH_BYTES = 48;
    public static final int FLAG_SAVE_FAILED = 0x1;
    public static final int FLAG_RESTORE_FAILED = 0x2;
    public static final int FLAG_FLUSH_FAILED = 0x4;
    public static final int FLAG_NOT_ARMED = 0x8;
    public static final int FLAG_HEALTH_OBSERVED = 0x10;
    public static final int FLAG_HEALTH_ENABLED = 0x20;
    public static final int FLAG_MAP_FAILED = 0x40;

    public NfitMemoryDeviceMap {
        Le.checkU32("NFIT Device Handle", deviceHandle);
        Le.checkU16("NVDIMM Physical ID", physicalId);
        Le.checkU16("NVDIMM Region ID", regionId);
        Le.checkU16("SPA Range Structure Index", spaRangeIndex);
        Le.checkU16("NVDIMM Control Region Structure Index", controlRegionIndex);
        Le.checkU16("Interleave Structure Index", interleaveIndex);
        Le.checkU16("Interleave Ways", interleaveWays);
        Le.checkU16("NVDIMM State Flags", stateFlags);
    }

    @Override
    public int type() {
        return TYPE_MEMORY_DEVICE_MAP;
    }

    @Override
    public int length() {
        return LENGTH_BYTES;
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        java.util.Arrays.fill(dst, offset, offset + LENGTH_BYTES, (byte) 0);
        NfitStructure.putHeader(dst, offset, TYPE_MEMORY_DEVICE_MAP, LENGTH_BYTES);
        Le.put32(dst, offset + 4, deviceHandle);
        Le.put16(dst, offset + 8, physicalId);
        Le.put16(dst, offset + 10, regionId);
        Le.put16(dst, offset + 12, spaRangeIndex);
        Le.put16(dst, offset + 14, controlRegionIndex);
        Le.put64(dst, offset + 16, regionSizeBytes);
        Le.put64(dst, offset + 24, regionOffset);
        Le.put64(dst, offset + 32, physicalAddressRegionBase);
        Le.put16(dst, offset + 40, interleaveIndex);
        Le.put16(dst, offset + 42, interleaveWays);
        Le.put16(dst, offset + 44, stateFlags);
    }

    static NfitMemoryDeviceMap decode(byte[] b, int offset) {
        return new NfitMemoryDeviceMap(Le.u32(b, offset + 4), Le.u16(b, offset + 8), Le.u16(b, offset + 10),
                Le.u16(b, offset + 12), Le.u16(b, offset + 14), Le.u64(b, offset + 16), Le.u64(b, offset + 24),
                Le.u64(b, offset + 32), Le.u16(b, offset + 40), Le.u16(b, offset + 42), Le.u16(b, offset + 44));
    }
}
