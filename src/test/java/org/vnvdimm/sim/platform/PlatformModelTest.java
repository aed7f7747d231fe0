package org.vnvdimm.sim.platform;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.AcpiChecksum;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitParser;
import org.vnvdimm.acpi.ParsedNfit;
import org.vnvdimm.proto.DimmConfig;
import org.vnvdimm.proto.PlatformConfig;

class PlatformModelTest {
    static PlatformConfig two(boolean e820) {
        return PlatformConfig.newBuilder().setRamBytes(8L << 30).setE820Pmem(e820)
                .addDimms(DimmConfig.newBuilder().setHandle(1).setSizeBytes(16L << 30).setPxm(0))
                .addDimms(DimmConfig.newBuilder().setHandle(0x101).setSizeBytes(4L << 30).setPxm(1)).build();
    }

    @Test
    void theHostNfitIsARealTableDescribingEveryDimm() {
        PlatformModel m = new PlatformModel(two(false));
        byte[] nfit = m.nfit();
        assertTrue(AcpiChecksum.verify(nfit));
        ParsedNfit p = NfitParser.parseTable(nfit);
        assertEquals(2, p.spaRanges().size());
        assertEquals(2, p.memoryDeviceMaps().size());
        assertEquals(2, p.controlRegions().size());
        assertEquals(Guid.PERSISTENT_MEMORY, p.spaRanges().get(0).rangeTypeGuid());
        assertEquals(0x280000000L, p.spaRanges().get(0).rangeBase(), "after 6 GiB of RAM above 4 GiB, 1 GiB aligned");
        assertEquals(0x680000000L, p.spaRanges().get(1).rangeBase());
        assertEquals(1, p.spaRanges().get(1).proximityDomain());
        assertEquals(0x101, p.memoryDeviceMaps().get(1).deviceHandle());
        assertTrue(m.e820().stream().noneMatch(x -> x.getType() == E820_PMEM), "no type 7 unless asked");
    }

    @Test
    void e820Type7WhenTheScenarioSaysSoAndTheBusDecodesOnlyRealMemory() {
        PlatformModel m = new PlatformModel(two(true));
        assertEquals(2, m.e820().stream().filter(x -> x.getType() == E820_PMEM).count());
        assertTrue(m.decodes(0x280000000L, 4096));
        assertTrue(m.decodes(0x1000, 4096));
        assertFalse(m.decodes(0xfec00000L, 4), "the IOAPIC is not memory");
        assertFalse(m.decodes(0x27ffff000L, 8192), "an access may not straddle RAM's end into pmem");
        assertFalse(m.decodes(0x77ffff000L, 8192), "nor run past the last DIMM");
        assertTrue(m.isPmem(0x280001000L));
        assertFalse(m.isPmem(0x1000));
    }

    /**
     * What a fill holds, computed here from its definition rather than by MediaStore: byte pos of a
     * fill tagged t is byte (pos mod 8) (little-endian) of SplitMix64's finalizer applied to
     * FNV-1a-64(t) + (pos / 8) * 0x9E3779B97F4A7C15.
     */
    static byte[] expectedFill(String tag, long pos, int len) {
        long fnv = 0xcbf29ce484222325L;
        for (char c : tag.toCharArray()) {
            fnv ^= c;
            fnv *= 0x100000001b3L;
        }
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            long p = pos + i;
            long z = fnv + (p / 8) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(z);
            out[i] = b.get((int) (p % 8));
        }
        return out;
    }

    @Test
    void mediaStoreIsRangeBasedWhateverItsSize() {
        MediaStore s = new MediaStore();
        s.fill(0, 16L << 40, "xen-frametable+m2p");
        s.write(1L << 40, new byte[] {1, 2, 3});
        assertEquals(3, s.extentCount(), "16 TiB of fill and one write: three extents");
        assertArrayEquals(new byte[] {1, 2, 3}, s.read(1L << 40, 3));
        assertArrayEquals(expectedFill("xen-frametable+m2p", 5L << 30, 16), s.read(5L << 30, 16), "fill content is a function of tag and offset");
        assertArrayEquals(expectedFill("xen-frametable+m2p", (1L << 40) + 3, 29), s.read((1L << 40) + 3, 29),
                "after the write the fill goes on where it was, not restarted");
        byte[] across = s.read((1L << 40) - 5, 10);
        assertArrayEquals(expectedFill("xen-frametable+m2p", (1L << 40) - 5, 5), java.util.Arrays.copyOfRange(across, 0, 5));
        assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOfRange(across, 5, 8));
        assertArrayEquals(expectedFill("xen-frametable+m2p", (1L << 40) + 3, 2), java.util.Arrays.copyOfRange(across, 8, 10));
        MediaStore other = new MediaStore();
        other.fill(4096, 8192, "label-area");
        assertArrayEquals(expectedFill("label-area", 100, 16), other.read(4096 + 100, 16), "a fill's offsets count from its start");
        assertFalse(java.util.Arrays.equals(expectedFill("label-area", 0, 64), expectedFill("xen-frametable+m2p", 0, 64)));
        s.fill(0, 16L << 40, null);
        assertArrayEquals(new byte[8], s.read(1L << 40, 8), "zeroed");
        assertEquals(0, s.storedBytes());
    }
}
