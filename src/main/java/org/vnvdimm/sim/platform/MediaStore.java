package org.vnvdimm.sim.platform;

import java.util.List;
import org.vnvdimm.ranges.ExtentMap;

/**
 * Sparse, range-based memory content: what a DIMM or host RAM holds. Bytes never written read as
 * zero. Large writes are "fills" named by a tag (Xen's frame table, zeroing), whose bytes are a
 * deterministic function of the tag and the offset, so a 160 GiB frame table costs one extent.
 * Explicit bytes are stored per write; the total is bounded.
 */
public final class MediaStore {
    /** Bound on explicitly stored bytes (guest data patterns, tables, labels). */
    public static final long MAX_STORED_BYTES = 512L << 20;
    /** Bound on one access. */
    public static final int MAX_ACCESS_BYTES = 1 << 20;

    sealed interface Content extends ExtentMap.Value<Content> permits Bytes, Fill, Zero {}

    record Bytes(byte[] data, int offset) implements Content {
        public Content slice(long off) { return new Bytes(data, Math.toIntExact(offset + off)); }
    }

    record Fill(long tagHash, long pos) implements Content {
        public Content slice(long off) { return new Fill(tagHash, pos + off); }
    }

    record Zero() implements Content {
        public Content slice(long off) { return this; }
    }

    private final ExtentMap<Content> map = new ExtentMap<>(MediaStore::continuous);
    private long storedBytes;

    private static boolean continuous(ExtentMap.Extent<Content> a, ExtentMap.Extent<Content> b) {
        if (a.value() instanceof Zero && b.value() instanceof Zero) return true;
        return a.value() instanceof Fill fa && b.value() instanceof Fill fb
                && fa.tagHash() == fb.tagHash() && fa.pos() + a.length() == fb.pos();
    }

    public void write(long addr, byte[] data) {
        checkAccess(addr, data.length);
        if (data.length == 0) return;
        // A write of zeros is a Zero extent: zeroing cost stays O(1) whatever its length.
        if (allZero(data)) {
            fill(addr, data.length, null);
            return;
        }
        release(addr, data.length);
        if (storedBytes + data.length > MAX_STORED_BYTES) {
            throw new IllegalStateException("media store holds more than " + MAX_STORED_BYTES + " explicit bytes");
        }
        storedBytes += data.length;
        map.put(addr, data.length, new Bytes(data.clone(), 0));
    }

    /** Fill [addr, addr+len) with the deterministic content of tag (null tag = zeros). Any length. */
    public void fill(long addr, long len, String tag) {
        if (addr < 0 || len < 0 || addr + len < addr) throw new IllegalArgumentException("bad fill range");
        if (len == 0) return;
        release(addr, len);
        map.put(addr, len, tag == null ? new Zero() : new Fill(tagHash(tag), 0));
    }

    public byte[] read(long addr, int len) {
        checkAccess(addr, len);
        byte[] out = new byte[len];
        for (ExtentMap.Extent<Content> e : map.overlapping(addr, len)) {
            int dst = (int) (e.start() - addr);
            int n = (int) e.length();
            if (e.value() instanceof Bytes b) {
                System.arraycopy(b.data(), b.offset(), out, dst, n);
            } else if (e.value() instanceof Fill f) {
                for (int i = 0; i < n; i++) out[dst + i] = fillByte(f.tagHash(), f.pos() + i);
            }
        }
        return out;
    }

    /** Number of extents: the store's cost, which must track writes, not capacity. */
    public int extentCount() { return map.size(); }

    public long storedBytes() { return storedBytes; }

    public void clear() {
        map.clear();
        storedBytes = 0;
    }

    private void release(long addr, long len) {
        List<ExtentMap.Extent<Content>> gone = map.remove(addr, len);
        for (ExtentMap.Extent<Content> e : gone) {
            if (e.value() instanceof Bytes) storedBytes -= e.length();
        }
    }

    private static void checkAccess(long addr, long len) {
        if (addr < 0 || len < 0 || addr + len < addr) throw new IllegalArgumentException("bad access range");
        if (len > MAX_ACCESS_BYTES) throw new IllegalArgumentException("access of " + len + " bytes exceeds " + MAX_ACCESS_BYTES);
    }

    private static boolean allZero(byte[] d) {
        for (byte b : d) if (b != 0) return false;
        return true;
    }

    static long tagHash(String tag) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < tag.length(); i++) {
            h ^= tag.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64 of (tag, 8-byte word index), one byte of it: cheap, deterministic, not all zeros. */
    static byte fillByte(long tagHash, long pos) {
        long z = tagHash + (pos >>> 3) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (byte) (z >>> ((pos & 7) * 8));
    }
}
