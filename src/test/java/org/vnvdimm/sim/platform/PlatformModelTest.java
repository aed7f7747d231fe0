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

    @Test
    void mediaStoreIsRangeBasedWhateverItsSize() {
        MediaStore s = new MediaStore();
        s.fill(0, 16L << 40, "xen-frametable+m2p");
        s.write(1L << 40, new byte[] {1, 2, 3});
        assertEquals(3, s.extentCount(), "16 TiB of fill and one write: three extents");
        assertArrayEquals(new byte[] {1, 2, 3}, s.read(1L << 40, 3));
        assertArrayEquals(s.read(5L << 30, 16), s.read(5L << 30, 16), "fill content is deterministic");
        s.fill(0, 16L << 40, null);
        assertArrayEquals(new byte[8], s.read(1L << 40, 8), "zeroed");
        assertEquals(0, s.storedBytes());
    }
}
