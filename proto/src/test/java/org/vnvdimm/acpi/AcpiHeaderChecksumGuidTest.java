package org.vnvdimm.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AcpiHeaderChecksumGuidTest {
    @Test
    void headerRoundTripsAndPadsShortIdsWithNul() {
        AcpiHeader h = AcpiHeader.of("SSDT", 1, "AB", "NVDIMM", 1, "BXPC", 1).withLength(0x717).withChecksum(0x42);
        assertEquals("AB\0\0\0\0", h.oemId());
        assertEquals("NVDIMM\0\0", h.oemTableId());
        assertEquals("NVDIMM", AcpiHeader.trimNul(h.oemTableId()));
        byte[] bytes = h.encode();
        assertEquals(36, bytes.length);
        assertEquals("4e5644494d4d0000", HexFormat.of().formatHex(bytes, 16, 24));
        assertEquals("414200000000", HexFormat.of().formatHex(bytes, 10, 16));
        assertEquals(h, AcpiHeader.decode(bytes));
        assertEquals(0x17, bytes[4]);
        assertEquals(0x07, bytes[5]);
    }

    @Test
    void headerRejectsBadFieldsWithTheirNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AcpiHeader.of("NFIT", 1, "TOOLONG", "X", 1, "BXPC", 1));
        assertTrue(e.getMessage().startsWith("OEM ID"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AcpiHeader.of("NFI", 1, "A", "X", 1, "BXPC", 1));
        assertTrue(e.getMessage().startsWith("Signature"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AcpiHeader.of("NFIT", 256, "A", "X", 1, "BXPC", 1));
        assertTrue(e.getMessage().startsWith("Revision"), e.getMessage());
    }

    @Test
    void decodeOfAShortBufferNamesTheHeader() {
        AcpiParseException e = assertThrows(AcpiParseException.class, () -> AcpiHeader.decode(new byte[35]));
        assertEquals(35, e.offset());
        assertEquals("Header", e.field());
    }

    @Test
    void checksumFixAndVerify() {
        byte[] t = new byte[40];
        t[0] = 'N';
        t[13] = (byte) 0xFF;
        assertFalse(AcpiChecksum.verify(t));
        AcpiChecksum.fix(t);
        assertTrue(AcpiChecksum.verify(t));
        assertEquals(0, AcpiChecksum.sum(t));
        assertEquals((-('N' + 0xFF)) & 0xFF, t[9] & 0xFF);
        byte[] golden = NfitSamples.golden();
        assertTrue(AcpiChecksum.verify(golden));
        golden[9] = 0;
        AcpiChecksum.fix(golden);
        assertEquals(0xD5, golden[9] & 0xFF);
    }

    @Test
    void checksumOfASubRange() {
        byte[] buf = new byte[60];
        buf[10] = 5;
        buf[20] = 7;
        AcpiChecksum.fix(buf, 10, 40);
        assertTrue(AcpiChecksum.verify(buf, 10, 40));
        assertEquals((-12) & 0xFF, buf[19] & 0xFF);
        assertThrows(IllegalArgumentException.class, () -> AcpiChecksum.sum(buf, 50, 20));
        assertThrows(IllegalArgumentException.class, () -> AcpiChecksum.fix(new byte[9]));
    }

    @Test
    void persistentMemoryGuidUsesEfiMixedEndianBytes() {
        byte[] b = Guid.toEfiBytes(Guid.PERSISTENT_MEMORY);
        assertEquals("79d3f066f3b47440ac430d3318b78cdb", HexFormat.of().formatHex(b));
        assertEquals(Guid.PERSISTENT_MEMORY, Guid.fromEfiBytes(b, 0));
        assertEquals("66F0D379-B4F3-4074-AC43-0D3318B78CDB", Guid.text(Guid.PERSISTENT_MEMORY));
        assertEquals("Persistent Memory", Guid.name(Guid.PERSISTENT_MEMORY));
        UUID random = new UUID(0x0123456789ABCDEFL, 0xFEDCBA9876543210L);
        byte[] r = Guid.toEfiBytes(random);
        assertArrayEquals(HexFormat.of().parseHex("67452301ab89efcdfedcba9876543210"), r);
        assertEquals(random, Guid.fromEfiBytes(r, 0));
        assertEquals("unknown", Guid.name(random));
    }
}
