package org.vnvdimm.acpi;

import java.util.OptionalLong;
import java.util.UUID;

/**
 * NFIT type 0, System Physical Address (SPA) Range structure: 56 bytes, or 64 with the ACPI 6.4 SPA
 * Location Cookie.
 *
 * @param rangeIndex              SPA Range Structure Index (uint16, 0 is reserved)
 * @param flags                   bit 0: control region only for hot add/online; bit 1: proximity domain valid;
 *                                bit 2: location cookie valid
 * @param proximityDomain         uint32
 * @param rangeTypeGuid           Address Range Type GUID, e.g. {@link Guid#PERSISTENT_MEMORY}
 * @param rangeBase               System Physical Address Range Base (uint64)
 * @param rangeLengthBytes        System Physical Address Range Length (uint64)
 * @param memoryMappingAttribute  EFI memory attributes (EFI_MEMORY_WB 0x8, EFI_MEMORY_NV 0x8000, ...)
 * @param locationCookie          present only in the 64-byte form
 */
public record NfitSpaRange(int rangeIndex, int flags, long proximityDomain, UUID rangeTypeGuid, long rangeBase,
                           long rangeLengthBytes, long memoryMappingAttribute, OptionalLong locationCookie)
        implements NfitStructure {
    public static final int BASE_LENGTH_BYTES = 56;
    public static final int COOKIE_LENGTH_BYTES = 64;
    public static final int FLAG_CONTROL_REGION_FOR_HOT_ADD = 0x1;
    public static final int FLAG_PROXIMITY_DOMAIN_VALID = 0x2;
    public static final int FLAG_LOCATION_COOKIE_VALID = 0x4;
    public static final long EFI_MEMORY_WB = 0x8;
    public static final long EFI_MEMORY_NV = 0x8000;

    public NfitSpaRange {
        Le.checkU16("SPA Range Structure Index", rangeIndex);
        Le.checkU16("Flags", flags);
        Le.checkU32("Proximity Domain", proximityDomain);
        if (rangeTypeGuid == null) {
            throw new IllegalArgumentException("Address Range Type GUID is null");
        }
        if (locationCookie == null) {
            throw new IllegalArgumentException("SPA Location Cookie is null (use OptionalLong.empty())");
        }
    }

    public NfitSpaRange(int rangeIndex, int flags, long proximityDomain, UUID rangeTypeGuid, long rangeBase,
                        long rangeLengthBytes, long memoryMappingAttribute) {
        this(rangeIndex, flags, proximityDomain, rangeTypeGuid, rangeBase, rangeLengthBytes, memoryMappingAttribute,
                OptionalLong.empty());
    }

    @Override
    public int type() {
        return TYPE_SPA_RANGE;
    }

    @Override
    public int length() {
        return locationCookie.isPresent() ? COOKIE_LENGTH_BYTES : BASE_LENGTH_BYTES;
    }

    /** End address (exclusive) as an unsigned value; wraps past 2^64 only for corrupt input. */
    public long rangeEnd() {
        return rangeBase + rangeLengthBytes;
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        java.util.Arrays.fill(dst, offset, offset + length(), (byte) 0);
        NfitStructure.putHeader(dst, offset, TYPE_SPA_RANGE, length());
        Le.put16(dst, offset + 4, rangeIndex);
        Le.put16(dst, offset + 6, flags);
        Le.put32(dst, offset + 12, proximityDomain);
        Guid.putEfiBytes(rangeTypeGuid, dst, offset + 16);
        Le.put64(dst, offset + 32, rangeBase);
        Le.put64(dst, offset + 40, rangeLengthBytes);
        Le.put64(dst, offset + 48, memoryMappingAttribute);
        if (locationCookie.isPresent()) {
            Le.put64(dst, offset + 56, locationCookie.getAsLong());
        }
    }

    /** Decodes a structure already checked to hold {@code length >= 56} bytes at {@code offset}. */
    static NfitSpaRange decode(byte[] b, int offset, int length) {
        OptionalLong cookie = length >= COOKIE_LENGTH_BYTES ? OptionalLong.of(Le.u64(b, offset + 56))
                : OptionalLong.empty();
        return new NfitSpaRange(Le.u16(b, offset + 4), Le.u16(b, offset + 6), Le.u32(b, offset + 12),
                Guid.fromEfiBytes(b, offset + 16), Le.u64(b, offset + 32), Le.u64(b, offset + 40),
                Le.u64(b, offset + 48), cookie);
    }
}
