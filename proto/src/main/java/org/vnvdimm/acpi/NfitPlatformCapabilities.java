package org.vnvdimm.acpi;

/**
 * NFIT type 7, Platform Capabilities structure (ACPI 6.2), 16 bytes.
 *
 * @param highestValidCapability bit index of the highest capability bit that is valid (uint8)
 * @param capabilities           bit 0: CPU cache flush to NVDIMM durability on power loss; bit 1: memory
 *                               controller flush; bit 2: memory mirroring
 */
public record NfitPlatformCapabilities(int highestValidCapability, long capabilities) implements NfitStructure {
    public static final int LENGTH_BYTES = 16;
    public static final long CAP_CPU_CACHE_FLUSH = 0x1;
    public static final long CAP_MEMORY_CONTROLLER_FLUSH = 0x2;
    public static final long CAP_MEMORY_MIRRORING = 0x4;

    public NfitPlatformCapabilities {
        Le.checkU8("Highest Valid Capability", highestValidCapability);
        Le.checkU32("Capabilities", capabilities);
    }

    /** Capabilities with Highest Valid Capability = index of the top set bit (31 - clz32), as QEMU sets it. */
    public static NfitPlatformCapabilities of(long capabilities) {
        Le.checkU32("Capabilities", capabilities);
        if (capabilities == 0) {
            throw new IllegalArgumentException("Capabilities must have at least one bit set");
        }
        return new NfitPlatformCapabilities(31 - Integer.numberOfLeadingZeros((int) capabilities), capabilities);
    }

    @Override
    public int type() {
        return TYPE_PLATFORM_CAPABILITIES;
    }

    @Override
    public int length() {
        return LENGTH_BYTES;
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        java.util.Arrays.fill(dst, offset, offset + LENGTH_BYTES, (byte) 0);
        NfitStructure.putHeader(dst, offset, TYPE_PLATFORM_CAPABILITIES, LENGTH_BYTES);
        Le.put8(dst, offset + 4, highestValidCapability);
        Le.put32(dst, offset + 8, capabilities);
    }

    static NfitPlatformCapabilities decode(byte[] b, int offset) {
        return new NfitPlatformCapabilities(Le.u8(b, offset + 4), Le.u32(b, offset + 8));
    }
}
