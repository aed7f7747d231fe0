package org.vnvdimm.contract;

/**
 * The data a scenario's writes put down (a guest's `guest_io write`, Dom0's `fs write`): each byte a
 * function of the seed and the byte's offset, so a reader can recompute what belongs anywhere
 * without keeping the bytes (O(ranges) bookkeeping, never O(bytes) per write).
 */
public final class Pattern {
    private Pattern() {}

    /** The byte at offset of the pattern named seed (splitmix64 of the seed and the 8-byte word). */
    public static byte at(long seed, long offset) {
        long z = seed * 0x9E3779B97F4A7C15L + (offset >>> 3) + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (byte) (z >>> (8 * (offset & 7)));
    }

    /** len bytes of the pattern from offset. */
    public static byte[] bytes(long seed, long offset, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = at(seed, offset + i);
        return b;
    }
}
