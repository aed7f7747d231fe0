package org.vnvdimm.sim.platform;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** MediaStore.copy: a block move's data path, judged by content read back and by structure size. */
class MediaStoreCopyTest {
    static final long TIB = 1L << 40;
    static final int EXTENTS = 100_000;
    static final long EXTENT_BYTES = (TIB / EXTENTS) & -4096L;

    /** A 1 TiB range of 100,000 distinct extents (fills named per extent, a few with explicit bytes). */
    static MediaStore fragmented() {
        MediaStore m = new MediaStore();
        for (int i = 0; i < EXTENTS; i++) m.fill(i * EXTENT_BYTES, EXTENT_BYTES, "extent-" + i);
        for (int i = 0; i < EXTENTS; i += 10_000) m.write(i * EXTENT_BYTES + 4096, ("data of extent " + i).getBytes(StandardCharsets.UTF_8));
        return m;
    }

    @Test
    void copyOfATebibyteOfOneHundredThousandExtentsCostsExtentsNotBytes() {
        MediaStore m = fragmented();
        int before = m.extentCount();
        assertTrue(before >= EXTENTS && before <= EXTENTS + 30, "source extents: " + before);
        long stored = m.storedBytes();
        // Sample what the source holds (extent starts, ends, the explicit bytes) before the copy.
        long[] at = sampleOffsets();
        byte[][] want = new byte[at.length][];
        for (int i = 0; i < at.length; i++) want[i] = m.read(at[i], 64);
        long dst = 2 * TIB;
        m.copy(0, dst, TIB);
        // O(extents): the destination holds as many extents as the source, not one per page.
        assertEquals(2 * before, m.extentCount());
        assertEquals(2 * stored, m.storedBytes(), "explicit bytes are counted once per placement");
        for (int i = 0; i < at.length; i++) {
            assertArrayEquals(want[i], m.read(dst + at[i], 64), "destination offset " + at[i]);
            assertArrayEquals(want[i], m.read(at[i], 64), "source offset " + at[i] + " left as it was");
        }
        // The tail past the last extent was never written: it reads as zero at the destination too.
        assertArrayEquals(new byte[64], m.read(dst + TIB - 64, 64));
    }

    static long[] sampleOffsets() {
        SplittableRandom r = new SplittableRandom(7);
        long[] at = new long[64];
        for (int i = 0; i < at.length; i++) {
            int e = r.nextInt(EXTENTS);
            at[i] = switch (i % 4) {
                case 0 -> e * EXTENT_BYTES;                        // an extent's first bytes
                case 1 -> (e + 1) * EXTENT_BYTES - 32;              // straddling into the next extent
                case 2 -> (e / 10_000) * 10_000 * EXTENT_BYTES + 4096; // explicit bytes
                default -> e * EXTENT_BYTES + r.nextLong(EXTENT_BYTES - 64);
            };
        }
        return at;
    }

    @Test
    void copyReplacesWhatTheDestinationHeldAndGapsReadAsZero() {
        MediaStore m = new MediaStore();
        m.fill(1 << 20, 1 << 20, "old");           // destination content that must go
        m.write(8192, new byte[] {1, 2, 3, 4});     // source: 4 bytes, then a hole
        m.copy(0, 1 << 20, 1 << 20);
        byte[] got = m.read((1 << 20) + 8190, 8);
        assertArrayEquals(new byte[] {0, 0, 1, 2, 3, 4, 0, 0}, got);
        assertArrayEquals(new byte[64], m.read((1 << 20) + 65536, 64), "the hole copied over the old fill");
    }

    @Test
    void overlappingCopyIsAMemmove() {
        MediaStore m = new MediaStore();
        byte[] d = new byte[256];
        for (int i = 0; i < d.length; i++) d[i] = (byte) (i + 1);
        m.write(0, d);
        m.copy(0, 100, 256);     // forward overlap
        byte[] got = m.read(100, 256);
        assertArrayEquals(d, got);
        m.copy(100, 50, 256);    // backward overlap
        assertArrayEquals(d, m.read(50, 256));
    }

    @Test
    void aVolatileCopyIsLostByAPowerCutUnlessFlushed() {
        MediaStore m = new MediaStore();
        m.fill(0, 1 << 20, "src");
        byte[] old = m.read(1 << 20, 64);
        m.copyVolatile(0, 1 << 20, 1 << 20);
        assertEquals(1 << 20, m.unflushedBytes());
        // Seeds until the cut loses the copy's first line (choices are all / none / first k lines).
        for (long seed = 0; ; seed++) {
            MediaStore c = new MediaStore();
            c.fill(0, 1 << 20, "src");
            c.copyVolatile(0, 1 << 20, 1 << 20);
            MediaStore.PowerLoss l = c.powerLoss(new SplittableRandom(seed));
            if (l.lostBytes() == 1 << 20) {
                assertArrayEquals(old, c.read(1 << 20, 64), "a lost copy reads as before it");
                break;
            }
            assertTrue(seed < 100, "no seed lost the copy");
        }
        m.flush(1 << 20, 1 << 20);
        assertEquals(0, m.unflushedBytes());
        m.powerLoss(new SplittableRandom(1));
        assertArrayEquals(m.read(0, 64), m.read(1 << 20, 64), "a flushed copy survives");
    }

    @Test
    void badRangesAreRefused() {
        MediaStore m = new MediaStore();
        assertThrows(IllegalArgumentException.class, () -> m.copy(-1, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> m.copy(0, Long.MAX_VALUE, 10));
    }
}
