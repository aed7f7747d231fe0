package org.vnvdimm.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Field-level encode/decode of every structure type, through the writer and the parser. */
class NfitStructuresTest {
    @Test
    void everyTypeRoundTripsThroughTableAndFit() {
        List<NfitStructure> all = NfitSamples.everyType();
        byte[] table = NfitWriter.writeTable(NfitSamples.qemuHeader(), all);
        assertTrue(AcpiChecksum.verify(table));
        ParsedNfit parsed = NfitParser.parseTable(table);
        assertEquals(all, parsed.structures());
        assertArrayEquals(table, NfitWriter.writeTable(parsed.header().orElseThrow(), parsed.structures()));
        ParsedNfit fit = NfitParser.parseFit(NfitWriter.writeFit(all));
        assertEquals(all, fit.structures());
    }

    @Test
    void encodedLengthsFollowTheSpec() {
        assertEquals(56, NfitSamples.qemuDevice(0, 0, 0, 1, false).get(0).length());
        assertEquals(48, NfitSamples.qemuDevice(0, 0, 0, 1, false).get(1).length());
        assertEquals(80, NfitSamples.qemuDevice(0, 0, 0, 1, false).get(2).length());
        assertEquals(64, new NfitSpaRange(1, 4, 0, Guid.VOLATILE_MEMORY, 0, 1, 0, OptionalLong.of(1)).length());
        assertEquals(28, new NfitInterleave(1, 64, List.of(1L, 2L, 3L)).length());
        assertEquals(11, new NfitSmbios(new byte[3]).length());
        assertEquals(40, new NfitBlockDataWindow(1, 1, 0, 0, 0, 0).length());
        assertEquals(32, new NfitFlushHintAddress(1, List.of(5L, 6L)).length());
        assertEquals(16, NfitPlatformCapabilities.of(2).length());
    }

    @Test
    void spaRangeBytesAtSpecOffsets() {
        NfitSpaRange spa = new NfitSpaRange(0x1234, 0x0003, 0xA1B2C3D4L, Guid.PERSISTENT_MEMORY,
                0x1122334455667788L, 0x0102030405060708L, 0x8008);
        byte[] b = spa.encode();
        assertEquals(0, Le.u16(b, 0));
        assertEquals(56, Le.u16(b, 2));
        assertEquals(0x1234, Le.u16(b, 4));
        assertEquals(3, Le.u16(b, 6));
        assertEquals(0, Le.u32(b, 8));
        assertEquals(0xA1B2C3D4L, Le.u32(b, 12));
        assertEquals(0x79, b[16] & 0xFF);
        assertEquals(0x1122334455667788L, Le.u64(b, 32));
        assertEquals(0x0102030405060708L, Le.u64(b, 40));
        assertEquals(0x8008, Le.u64(b, 48));
        assertEquals(spa, NfitSpaRange.decode(b, 0, 56));
    }

    @Test
    void memoryDeviceMapAndControlRegionBytesAtSpecOffsets() {
        NfitMemoryDeviceMap m = new NfitMemoryDeviceMap(0x01020304L, 5, 6, 7, 8, 9, 10, 11, 12, 13, 8);
        byte[] b = m.encode();
        assertEquals(1, Le.u16(b, 0));
        assertEquals(48, Le.u16(b, 2));
        assertEquals(0x01020304L, Le.u32(b, 4));
        assertEquals(7, Le.u16(b, 12));
        assertEquals(8, Le.u16(b, 14));
        assertEquals(9, Le.u64(b, 16));
        assertEquals(13, Le.u16(b, 42));
        assertEquals(8, Le.u16(b, 44));
        NfitControlRegion d = NfitControlRegion.pmem(5, 0x8086, 1, 1, 0x123457, 0x0301);
        byte[] c = d.encode();
        assertEquals(4, Le.u16(c, 0));
        assertEquals(80, Le.u16(c, 2));
        assertEquals(0x8086, Le.u16(c, 6));
        assertEquals(0x123457, Le.u32(c, 24));
        assertEquals(0x0301, Le.u16(c, 28));
    }

    @Test
    void platformCapabilitiesHighestBitIsThirtyOneMinusClz() {
        assertEquals(1, NfitPlatformCapabilities.of(3).highestValidCapability());
        assertEquals(1, NfitPlatformCapabilities.of(2).highestValidCapability());
        assertEquals(0, NfitPlatformCapabilities.of(1).highestValidCapability());
        assertEquals(2, NfitPlatformCapabilities.of(7).highestValidCapability());
        assertThrows(IllegalArgumentException.class, () -> NfitPlatformCapabilities.of(0));
    }

    @Test
    void constructorsNameTheFieldThatDoesNotFit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NfitMemoryDeviceMap(1, 0, 0, 0x10000, 0, 0, 0, 0, 0, 1, 0));
        assertTrue(e.getMessage().startsWith("SPA Range Structure Index"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new NfitControlRegion(1, 1, 1, 1, 0, 0, 0, 0, 0,
                0, 1, 1, 1, 0, 0, 0, 0, 0, 0, NfitControlRegion.SHORT_LENGTH_BYTES));
        assertTrue(e.getMessage().contains("32-byte"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new NfitUnknown(9, new byte[] {8, 0, 4, 0}));
        assertTrue(e.getMessage().contains("expected type 9"), e.getMessage());
    }

    @Test
    void writerRejectsAHeaderThatIsNotNfit() {
        AcpiHeader ssdt = AcpiHeader.of("SSDT", 1, "BOCHS ", "NVDIMM", 1, "BXPC", 1);
        assertThrows(IllegalArgumentException.class, () -> NfitWriter.writeTable(ssdt, List.of()));
    }

    @Test
    void emptyTableAndEmptyFit() {
        byte[] table = NfitWriter.writeTable(NfitSamples.qemuHeader(), List.of());
        assertEquals(40, table.length);
        ParsedNfit parsed = NfitParser.parseTable(table);
        assertTrue(parsed.structures().isEmpty());
        assertEquals(0, NfitWriter.writeFit(List.of()).length);
        assertTrue(NfitParser.parseFit(new byte[0]).structures().isEmpty());
    }
}
