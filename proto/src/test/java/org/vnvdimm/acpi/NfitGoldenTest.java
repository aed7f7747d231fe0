package org.vnvdimm.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** QEMU's golden NFIT (facts/qemu-acpi.md section 3): every field, and encode(decode(x)) == x. */
class NfitGoldenTest {
    @Test
    void goldenBytesAreTheDocumentedFile() throws Exception {
        byte[] golden = NfitSamples.golden();
        assertEquals(240, golden.length);
        assertEquals(NfitSamples.GOLDEN_SHA256, NfitSamples.sha256(golden));
    }

    @Test
    void headerFields() {
        AcpiHeader h = NfitParser.parseTable(NfitSamples.golden()).header().orElseThrow();
        assertEquals("NFIT", h.signature());
        assertEquals(0xF0, h.length());
        assertEquals(1, h.revision());
        assertEquals(0xD5, h.checksum());
        assertEquals("BOCHS ", h.oemId());
        assertEquals("BXPC    ", h.oemTableId());
        assertEquals(1, h.oemRevision());
        assertEquals("BXPC", h.creatorId());
        assertEquals(1, h.creatorRevision());
    }

    @Test
    void structureFieldsAndOffsets() {
        ParsedNfit nfit = NfitParser.parseTable(NfitSamples.golden());
        assertEquals(0, nfit.reservedField());
        assertEquals(List.of(0x28, 0x60, 0x90, 0xE0), nfit.structureOffsets());
        assertEquals(4, nfit.structures().size());

        NfitSpaRange spa = nfit.spaRanges().get(0);
        assertEquals(56, spa.length());
        assertEquals(4, spa.rangeIndex());
        assertEquals(3, spa.flags());
        assertEquals(2, spa.proximityDomain());
        assertEquals(Guid.PERSISTENT_MEMORY, spa.rangeTypeGuid());
        assertEquals(0x1_0800_0000L, spa.rangeBase());
        assertEquals(0x800_0000L, spa.rangeLengthBytes());
        assertEquals(0x8008, spa.memoryMappingAttribute());
        assertTrue(spa.locationCookie().isEmpty());

        NfitMemoryDeviceMap map = nfit.memoryDeviceMaps().get(0);
        assertEquals(new NfitMemoryDeviceMap(2, 0, 0, 4, 5, 0x800_0000L, 0, 0, 0, 1, 0), map);

        NfitControlRegion dcr = nfit.controlRegions().get(0);
        assertEquals(80, dcr.length());
        assertEquals(5, dcr.controlRegionIndex());
        assertEquals(0x8086, dcr.vendorId());
        assertEquals(1, dcr.deviceId());
        assertEquals(1, dcr.revisionId());
        assertEquals(0x123457, dcr.serialNumber());
        assertEquals(0x0301, dcr.regionFormatInterfaceCode());
        assertEquals(0, dcr.numberOfBlockControlWindows());
        assertEquals(NfitControlRegion.pmem(5, 0x8086, 1, 1, 0x123457, 0x0301), dcr);

        NfitPlatformCapabilities caps = nfit.platformCapabilities().orElseThrow();
        assertEquals(1, caps.highestValidCapability());
        assertEquals(3, caps.capabilities());
    }

    @Test
    void reEncodingTheParsedTableGivesTheOriginalBytes() {
        byte[] golden = NfitSamples.golden();
        ParsedNfit nfit = NfitParser.parseTable(golden);
        byte[] again = NfitWriter.writeTable(nfit.header().orElseThrow(), nfit.structures());
        assertArrayEquals(golden, again);
    }

    @Test
    void writerBuildsTheGoldenFromFieldValues() {
        List<NfitStructure> s = new java.util.ArrayList<>(NfitSamples.qemuDevice(1, 2, 0x1_0800_0000L,
                0x800_0000L, false));
        s.add(NfitPlatformCapabilities.of(3));
        assertArrayEquals(NfitSamples.golden(), NfitWriter.writeTable(NfitSamples.qemuHeader(), s));
    }

    @Test
    void fitBufferIsTheTableWithoutHeaderAndReserved() {
        byte[] golden = NfitSamples.golden();
        ParsedNfit table = NfitParser.parseTable(golden);
        byte[] fit = table.encodeFit();
        assertArrayEquals(java.util.Arrays.copyOfRange(golden, 40, golden.length), fit);
        ParsedNfit parsedFit = NfitParser.parseFit(fit);
        assertTrue(parsedFit.header().isEmpty());
        assertEquals(table.structures(), parsedFit.structures());
        assertEquals(List.of(0, 0x38, 0x68, 0xB8), parsedFit.structureOffsets());
    }
}
