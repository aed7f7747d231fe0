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
    /**
     * The persistence domain: for every cache line holding a store not flushed yet, what the media
     * held before the first such store (what a power cut leaves when the line was never written
     * back). Kept as extents of cache lines, so its cost tracks stores, not capacity.
     */
    private final ExtentMap<Content> unflushed = new ExtentMap<>(MediaStore::continuous);
    /** x86's cache line: CLWB/CLFLUSHOPT write back this much. */
    public static final int CACHE_LINE_BYTES = 64;

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

    /**
     * Copies [src, src+len) to [dst, dst+len) as the media sees it (a block move's data path): the
     * source's extents are re-placed at the destination, sliced not expanded, so a copy of a 1 TiB
     * range costs O(extents of the source and destination), never O(bytes). Explicit bytes are
     * shared, not duplicated (stored extents are never modified in place), but are counted again
     * against {@link #MAX_STORED_BYTES}. The ranges may overlap (memmove semantics).
     */
    public void copy(long src, long dst, long len) {
        if (src < 0 || dst < 0 || len < 0 || src + len < src || dst + len < dst) throw new IllegalArgumentException("bad copy range");
        if (len == 0 || src == dst) return;
        List<ExtentMap.Extent<Content>> from = map.overlapping(src, len);  // a snapshot: safe if the ranges overlap
        long added = 0;
        for (ExtentMap.Extent<Content> e : from) if (e.value() instanceof Bytes) added += e.length();
        release(dst, len);
        if (storedBytes + added > MAX_STORED_BYTES) {
            throw new IllegalStateException("media store holds more than " + MAX_STORED_BYTES + " explicit bytes");
        }
        storedBytes += added;
        // Gaps in the source read as zero; release() already left the same gaps at the destination.
        for (ExtentMap.Extent<Content> e : from) map.put(dst + (e.start() - src), e.length(), e.value());
    }

    /** A copy whose stores stay in the CPU caches until flushed (a guest's), like {@link #writeVolatile}. */
    public void copyVolatile(long src, long dst, long len) {
        if (src < 0 || dst < 0 || len < 0 || src + len < src || dst + len < dst) throw new IllegalArgumentException("bad copy range");
        if (len == 0 || src == dst) return;
        saveUnpending(dst, len);
        copy(src, dst, len);
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

    /**
     * A store that stays in the CPU caches until flushed: the cache lines it touches keep what the
     * media held before (once per line, until a flush) so a power cut can lose it.
     */
    public void writeVolatile(long addr, byte[] data) {
        checkAccess(addr, data.length);
        if (data.length == 0) return;
        saveUnpending(addr, data.length);
        write(addr, data);
    }

    /** Saves the old content of the lines of [addr, +len) not already pending: the gaps between pending extents. */
    private void saveUnpending(long addr, long len) {
        long s = addr & -CACHE_LINE_BYTES, t = (addr + len + CACHE_LINE_BYTES - 1) & -CACHE_LINE_BYTES;
        long at = s;
        for (ExtentMap.Extent<Content> e : unflushed.overlapping(s, t - s)) {
            if (e.start() > at) saveOld(at, e.start() - at);
            at = Math.max(at, e.end());
        }
        if (at < t) saveOld(at, t - at);
    }

    private void saveOld(long addr, long len) {
        long at = addr;
        for (ExtentMap.Extent<Content> e : map.overlapping(addr, len)) {
            if (e.start() > at) unflushed.put(at, e.start() - at, new Zero());
            Content c = e.value() instanceof Bytes b ? new Bytes(java.util.Arrays.copyOfRange(b.data(), b.offset(), b.offset() + (int) e.length()), 0) : e.value();
            unflushed.put(e.start(), e.length(), c);
            at = e.end();
        }
        if (at < addr + len) unflushed.put(at, addr + len - at, new Zero());
    }

    /** CLWB + SFENCE over [addr, addr+len): the lines reach the media for good. */
    public void flush(long addr, long len) {
        if (len <= 0) return;
        long s = addr & -CACHE_LINE_BYTES, t = (addr + len + CACHE_LINE_BYTES - 1) & -CACHE_LINE_BYTES;
        unflushed.remove(s, t - s);
    }

    /** Cache lines holding stores not flushed yet. */
    public long unflushedBytes() {
        long n = 0;
        for (ExtentMap.Extent<Content> e : unflushed.extents()) n += e.length();
        return n;
    }

    /** What a power cut did to the stores that were not flushed. */
    public record PowerLoss(int ranges, long lostBytes, long keptBytes) {}

    /**
     * The power goes: for each range of unflushed lines the choice (seeded) says which of its lines
     * had been written back by the caches: all, none, or the first k (a cut at a line boundary).
     * The others read as before their stores. O(ranges).
     */
    public PowerLoss powerLoss(java.util.SplittableRandom choice) {
        int ranges = 0;
        long lost = 0, kept = 0;
        for (ExtentMap.Extent<Content> e : unflushed.extents()) {
            ranges++;
            long lines = e.length() / CACHE_LINE_BYTES;
            int how = choice.nextInt(3);
            long back = how == 0 ? 0 : how == 1 ? lines : (lines > 1 ? 1 + choice.nextLong(lines - 1) : choice.nextInt(2));
            long keep = back * CACHE_LINE_BYTES;
            kept += keep;
            lost += e.length() - keep;
            if (e.length() - keep > 0) restore(e.start() + keep, e.length() - keep, e.value().slice(keep));
        }
        unflushed.clear();
        return new PowerLoss(ranges, lost, kept);
    }

    private void restore(long addr, long len, Content old) {
        release(addr, len);
        if (old instanceof Bytes b) {
            storedBytes += len;
            map.put(addr, len, new Bytes(b.data(), b.offset()));
        } else if (!(old instanceof Zero)) {
            map.put(addr, len, old);
        }
    }

    /** Number of extents: the store's cost, which must track writes, not capacity. */
    public int extentCount() { return map.size(); }

    public long storedBytes() { return storedBytes; }

    public void clear() {
        map.clear();
        unflushed.clear();
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
