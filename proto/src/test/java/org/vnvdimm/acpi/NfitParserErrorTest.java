package org.vnvdimm.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every validation rule of {@link NfitParser} gives its error at the right offset and field. */
class NfitParserErrorTest {
    private static AcpiParseException fails(Executable e) {
        return assertThrows(AcpiParseException.class, e);
    }

    private static byte[] golden() {
        return NfitSamples.golden();
    }

    /** Golden with a change and the checksum fixed, so only the intended rule trips. */
    private static byte[] goldenWith(int offset, int... bytes) {
        byte[] t = golden();
        for (int i = 0; i < bytes.length; i++) {
            t[offset + i] = (byte) bytes[i];
        }
        AcpiChecksum.fix(t);
        return t;
    }

    private static byte[] table(List<NfitStructure> s) {
        return NfitWriter.writeTable(NfitSamples.qemuHeader(), s);
    }

    @Test
    void shorterThanItsHeader() {
        AcpiParseException e = fails(() -> NfitParser.parseTable(Arrays.copyOf(golden(), 20)));
        assertEquals(20, e.offset());
        assertEquals("Header", e.field());
        assertTrue(e.getMessage().contains("shorter than the 36-byte"), e.getMessage());
        assertEquals("Header", fails(() -> NfitParser.parseTable(null)).field());
    }

    @Test
    void wrongSignature() {
        AcpiParseException e = fails(() -> NfitParser.parseTable(goldenWith(0, 'S', 'S', 'D', 'T')));
        assertEquals(0, e.offset());
        assertEquals("Signature", e.field());
        assertTrue(e.detail().contains("\"SSDT\""), e.detail());
    }

    @Test
    void headerLengthBelowOrPastTheBuffer() {
        AcpiParseException e = fails(() -> NfitParser.parseTable(Arrays.copyOf(golden(), 200)));
        assertEquals(4, e.offset());
        assertEquals("Length", e.field());
        assertTrue(e.detail().contains("runs past the buffer"), e.detail());
        e = fails(() -> NfitParser.parseTable(goldenWith(4, 0xE0)));
        assertEquals(4, e.offset());
        assertTrue(e.detail().contains("header says 224 bytes but the buffer holds 240"), e.detail());
    }

    @Test
    void tableWithoutItsReservedField() {
        byte[] t = Arrays.copyOf(golden(), 38);
        t[4] = 38;
        AcpiChecksum.fix(t);
        AcpiParseException e = fails(() -> NfitParser.parseTable(t));
        assertEquals(36, e.offset());
        assertEquals("Reserved", e.field());
    }

    @Test
    void badChecksum() {
        byte[] t = golden();
        t[0x34] = 3; // proximity domain 2 -> 3 without fixing the checksum
        AcpiParseException e = fails(() -> NfitParser.parseTable(t));
        assertEquals(9, e.offset());
        assertEquals("Checksum", e.field());
        assertTrue(e.detail().contains("should be 0xD4"), e.detail());
    }

    @Test
    void structureLengthZeroOrBelowFour() {
        AcpiParseException e = fails(() -> NfitParser.parseTable(goldenWith(0x2A, 0, 0)));
        assertEquals(0x2A, e.offset());
        assertEquals("Length", e.field());
        assertTrue(e.detail().contains("would never advance"), e.detail());
        e = fails(() -> NfitParser.parseTable(goldenWith(0x62, 3, 0)));
        assertEquals(0x62, e.offset());
        assertTrue(e.detail().contains("less than its own 4-byte"), e.detail());
    }

    @Test
    void structureLengthBelowTheMinimumOfItsType() {
        // SPA 56 -> 48: the following bytes re-sync as garbage, but the SPA itself is rejected first.
        AcpiParseException e = fails(() -> NfitParser.parseTable(goldenWith(0x2A, 48)));
        assertEquals(0x2A, e.offset());
        assertTrue(e.detail().contains("below the minimum 56 for type 0"), e.detail());
        // Control region with block windows but only 32 bytes.
        List<NfitStructure> s = new ArrayList<>();
        s.add(NfitControlRegion.pmem(3, 1, 1, 1, 1, 0x301));
        byte[] t = table(s);
        t[40 + 2] = 32;
        t[40 + 30] = 1;
        byte[] cut = Arrays.copyOf(t, 40 + 32);
        cut[4] = (byte) cut.length;
        AcpiChecksum.fix(cut);
        e = fails(() -> NfitParser.parseTable(cut));
        assertEquals(42, e.offset());
        assertTrue(e.detail().contains("needs 80 bytes"), e.detail());
    }

    @Test
    void structureRunningPastTheTableEnd() {
        AcpiParseException e = fails(() -> NfitParser.parseTable(goldenWith(0xE2, 0x20)));
        assertEquals(0xE2, e.offset());
        assertEquals("Length", e.field());
        assertTrue(e.detail().contains("runs past the end of the buffer at 240"), e.detail());
        byte[] fitTail = {7, 0, 16};
        e = fails(() -> NfitParser.parseFit(fitTail));
        assertEquals(0, e.offset());
        assertEquals("Type", e.field());
    }

    @Test
    void lineAndHintCountsMustFit() {
        byte[] t = table(List.of(new NfitInterleave(1, 64, List.of(0L, 4L))));
        t[40 + 8] = 3;
        AcpiChecksum.fix(t);
        AcpiParseException e = fails(() -> NfitParser.parseTable(t));
        assertEquals(48, e.offset());
        assertEquals("Number of Lines", e.field());
        byte[] f = NfitWriter.writeFit(List.of(new NfitFlushHintAddress(1, List.of(1L))));
        f[8] = 2;
        e = fails(() -> NfitParser.parseFit(f));
        assertEquals(8, e.offset());
        assertEquals("Number of Flush Hint Addresses", e.field());
    }

    @Test
    void overlappingSpaRangesOfTheSameType() {
        List<NfitStructure> s = new ArrayList<>(NfitSamples.qemuDevice(0, 0, 0x1_0000_0000L, 0x4000_0000L, false));
        s.addAll(NfitSamples.qemuDevice(1, 0, 0x1_3FFF_F000L, 0x1000, false));
        AcpiParseException e = fails(() -> NfitParser.parseTable(table(s)));
        int secondSpa = 40 + 56 + 48 + 80;
        assertEquals(secondSpa + 32, e.offset());
        assertEquals("System Physical Address Range Base", e.field());
        assertTrue(e.detail().contains("overlaps [0x100000000, 0x140000000) of SPA index 2"), e.detail());
        // The same addresses under a different range type GUID are allowed.
        List<NfitStructure> mixed = new ArrayList<>(s);
        mixed.set(3, new NfitSpaRange(4, 3, 0, Guid.VOLATILE_MEMORY, 0x1_3FFF_F000L, 0x1000, 0x8));
        assertEquals(6, NfitParser.parseTable(table(mixed)).structures().size());
        // Adjacent ranges do not overlap.
        List<NfitStructure> adjacent = new ArrayList<>(NfitSamples.qemuDevice(0, 0, 0x1000, 0x1000, false));
        adjacent.addAll(NfitSamples.qemuDevice(1, 0, 0x2000, 0x1000, false));
        assertEquals(6, NfitParser.parseTable(table(adjacent)).structures().size());
    }

    @Test
    void spaRangeWrappingPastTwoToTheSixtyFour() {
        List<NfitStructure> s = List.of(new NfitSpaRange(2, 3, 0, Guid.PERSISTENT_MEMORY, -0x1000L, 0x2000, 8));
        AcpiParseException e = fails(() -> NfitParser.parseTable(table(s)));
        assertEquals(40 + 40, e.offset());
        assertEquals("System Physical Address Range Length", e.field());
        List<NfitStructure> top = List.of(new NfitSpaRange(2, 3, 0, Guid.PERSISTENT_MEMORY, -0x1000L, 0x1000, 8));
        assertEquals(1, NfitParser.parseTable(table(top)).spaRanges().size());
    }

    @Test
    void duplicateAndReservedSpaIndex() {
        List<NfitStructure> s = new ArrayList<>(NfitSamples.qemuDevice(0, 0, 0x1_0000_0000L, 0x1000, false));
        s.add(new NfitSpaRange(2, 3, 0, Guid.PERSISTENT_MEMORY, 0x2_0000_0000L, 0x1000, 8));
        AcpiParseException e = fails(() -> NfitParser.parseTable(table(s)));
        assertEquals(40 + 56 + 48 + 80 + 4, e.offset());
        assertEquals("SPA Range Structure Index", e.field());
        assertTrue(e.detail().contains("duplicates the SPA range at offset 40"), e.detail());
        e = fails(() -> NfitParser.parseTable(goldenWith(0x2C, 0, 0)));
        assertEquals(0x2C, e.offset());
        assertTrue(e.detail().contains("reserved"), e.detail());
    }

    @Test
    void memoryDeviceMapReferringToAMissingSpaIndex() {
        AcpiParseException e = fails(() -> NfitParser.parseTable(goldenWith(0x6C, 6)));
        assertEquals(0x6C, e.offset());
        assertEquals("SPA Range Structure Index", e.field());
        assertTrue(e.detail().contains("refers to SPA index 6, but the SPA ranges present have indexes [4]"),
                e.detail());
        // Index 0 means "not mapped to an SPA range" and is accepted.
        assertEquals(4, NfitParser.parseTable(goldenWith(0x6C, 0)).structures().size());
    }

    @Test
    void unknownTypesAreKeptAndSkipped() {
        byte[] t = goldenWith(0xE0, 0x63);
        ParsedNfit p = NfitParser.parseTable(t);
        NfitUnknown u = (NfitUnknown) p.structures().get(3);
        assertEquals(0x63, u.type());
        assertEquals(16, u.length());
        assertEquals(java.util.HexFormat.of().formatHex(Arrays.copyOfRange(t, 0xE0, 0xF0)),
                java.util.HexFormat.of().formatHex(u.bytes()));
    }

    @Test
    void stepBudgetIsEnforced() {
        byte[] t = NfitSamples.qemuTable(3, 3);
        assertEquals(10, NfitParser.parseTable(t, 10).structures().size());
        AcpiParseException e = fails(() -> NfitParser.parseTable(t, 9));
        assertEquals("parser step budget", e.field());
    }
}
