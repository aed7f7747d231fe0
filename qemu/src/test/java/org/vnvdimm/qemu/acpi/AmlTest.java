package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.qemu.acpi.Aml.*;

import java.util.HexFormat;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vnvdimm.qemu.acpi.AmlField.AccessType;
import org.vnvdimm.qemu.acpi.AmlField.LockRule;
import org.vnvdimm.qemu.acpi.AmlField.UpdateRule;

class AmlTest {

    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private static String hex(AmlTerm t) {
        return HEX.formatHex(t.toBytes());
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    // ------------------------------------------------------------ PkgLength

    @ParameterizedTest(name = "body {0} -> {1}")
    @CsvSource({
            "0, 01",
            "62, 3f",              // 62 + 1 = 63: the largest one-byte length
            "63, 41 04",           // 63 + 2 = 65 = 0x041
            "4093, 4f ff",         // 4093 + 2 = 4095: the largest two-byte length
            "4094, 81 00 01",      // 4094 + 3 = 4097 = 0x01001
            "1048572, 8f ff ff",   // + 3 = 0xFFFFF
            "1048573, c1 00 00 01" // + 4 = 0x100001
    })
    void pkgLengthIncludingSelfIsMinimal(long body, String expected) {
        assertEquals(expected, hex(AmlPkgLength.encodeIncludingSelf(body)));
    }

    @ParameterizedTest(name = "field width {0} -> {1}")
    @CsvSource({
            "32, 20",
            "62, 3e",
            "63, 4f 03",           // QEMU keeps one byte of headroom: 63 takes two bytes
            "32672, 80 fa 07",     // FARG in the golden SSDT
            "32736, 80 fe 07",     // ODAT in the golden SSDT
            "4094, 8e ff 00"
    })
    void pkgLengthOfFieldWidthUsesQemuHeadroom(long bits, String expected) {
        assertEquals(expected, hex(AmlPkgLength.encodeValue(bits)));
    }

    @Test
    void pkgLengthDecodesWhatItEncodes() {
        SplittableRandom rnd = new SplittableRandom(20260101L);
        for (int i = 0; i < 2000; i++) {
            long v = rnd.nextLong(AmlPkgLength.MAX_VALUE - 4);
            byte[] enc = AmlPkgLength.encodeIncludingSelf(v);
            long[] dec = AmlPkgLength.decode(enc, 0);
            assertEquals(v + enc.length, dec[0], "value for body " + v);
            assertEquals(enc.length, dec[1], "size for body " + v);
            byte[] raw = AmlPkgLength.encodeValue(v);
            assertEquals(v, AmlPkgLength.decode(raw, 0)[0], "raw value " + v);
        }
    }

    @Test
    void pkgLengthRejectsOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AmlPkgLength.encodeIncludingSelf(AmlPkgLength.MAX_VALUE));
        assertTrue(e.getMessage().contains("28-bit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AmlPkgLength.encodeValue(-1));
        IllegalArgumentException r = assertThrows(IllegalArgumentException.class,
                () -> AmlPkgLength.decode(new byte[] {(byte) 0x70, 0}, 0));
        assertTrue(r.getMessage().contains("reserved bits"), r.getMessage());
    }

    // ------------------------------------------------------------ integers

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0, 00",
            "1, 01",
            "2, 0a 02",
            "255, 0a ff",
            "256, 0b 00 01",
            "2584, 0b 18 0a",                       // 0x0A18, the x86 trap port: WordConst
            "65535, 0b ff ff",
            "65536, 0c 00 00 01 00",
            "4294967295, 0c ff ff ff ff",
            "4294967296, 0e 00 00 00 00 01 00 00 00",
            "-1, 0e ff ff ff ff ff ff ff ff"        // all ones as an unsigned 64-bit value, not OnesOp
    })
    void integerPicksQemuEncoding(long value, String expected) {
        assertEquals(expected, hex(integer(value)));
    }

    @Test
    void explicitConstantWidths() {
        assertEquals("ff", hex(ones()));
        assertEquals("0a 00", hex(byteConst(0)));
        assertEquals("0b 01 00", hex(wordConst(1)));
        assertEquals("0c 00 e0 ff 07", hex(dwordConst(0x07FFE000L)));
        assertEquals("0e 08 07 06 05 04 03 02 01", hex(qwordConst(0x0102030405060708L)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> byteConst(256));
        assertTrue(e.getMessage().contains("ByteConst"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> wordConst(-1));
        assertThrows(IllegalArgumentException.class, () -> dwordConst(0x1_0000_0000L));
    }

    // ------------------------------------------------------------ names

    @Test
    void nameStrings() {
        assertEquals("5c 5f 53 42 5f", hex(name("\\_SB")));
        assertEquals("4c 45 4e 5f", hex(name("LEN")));
        assertEquals("5c 2e 5f 53 42 5f 4e 56 44 52", hex(name("\\_SB.NVDR")));
        assertEquals("5e 5e 2e 41 42 43 44 45 5f 5f 5f", hex(name("^^ABCD.E")));
        assertEquals("2f 03 41 5f 5f 5f 42 5f 5f 5f 43 5f 5f 5f", hex(name("A.B.C")));
        assertEquals("5c 00", hex(name("\\")));
        assertEquals("00", hex(name("")));
    }

    @Test
    void badNamesAreRejectedWithTheSegment() {
        IllegalArgumentException lower = assertThrows(IllegalArgumentException.class, () -> name("\\_SB.nvdr"));
        assertTrue(lower.getMessage().contains("segment 1 'nvdr'"), lower.getMessage());
        IllegalArgumentException digit = assertThrows(IllegalArgumentException.class, () -> name("0ABC"));
        assertTrue(digit.getMessage().contains("position 0"), digit.getMessage());
        IllegalArgumentException longSeg = assertThrows(IllegalArgumentException.class, () -> name("ABCDE"));
        assertTrue(longSeg.getMessage().contains("1 to 4 characters"), longSeg.getMessage());
        assertThrows(IllegalArgumentException.class, () -> name("A..B"));
    }

    // ------------------------------------------------------------ data

    @Test
    void stringsAndBuffers() {
        assertEquals("0d 41 43 50 49 30 30 31 32 00", hex(string("ACPI0012")));
        assertThrows(IllegalArgumentException.class, () -> string("caf\u00e9"));
        assertEquals("11 02 00", hex(buffer()));
        assertEquals("11 03 01 00", hex(buffer((byte) 0)));
        assertEquals("11 0b 0a 08 00 00 00 00 00 00 00 00", hex(buffer(new byte[8])));
        assertEquals("11 03 62 aa", hex(buffer(local(2), (byte) 0xAA)));
    }

    @Test
    void toUuidUsesEfiMixedEndianOrder() {
        assertEquals("11 13 0a 10 a4 e7 10 2f 91 9e e4 11 89 d3 12 3b 93 f7 5c ba",
                hex(toUuid("2f10e7a4-9e91-11e4-89d3-123b93f75cba")));
        // the NFIT persistent-memory range GUID, as it appears in the SPA structure
        assertEquals("79 d3 f0 66 f3 b4 74 40 ac 43 0d 33 18 b7 8c db",
                hex(uuidBytes("66F0D379-B4F3-4074-AC43-0D3318B78CDB")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> toUuid("2f10e7a4-9e91"));
        assertTrue(e.getMessage().contains("ToUUID"), e.getMessage());
    }

    @Test
    void packagesCountTheirElements() {
        assertEquals("12 06 01 4f 46 53 54", hex(pkg(name("OFST"))));
        assertEquals("12 02 00", hex(pkg()));
        assertEquals("13 04 0a 05 01", hex(varPackage(integer(5), one())));
        AmlBlock big = pkg();
        for (int i = 0; i < 256; i++) {
            big.add(zero());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, big::toBytes);
        assertTrue(e.getMessage().contains("256 elements"), e.getMessage());
    }

    // ------------------------------------------------------------ objects and blocks

    @Test
    void methodFlagsCarryArgsSerializeAndSyncLevel() {
        assertEquals("14 06 4e 43 41 4c 0d", hex(method("NCAL", 5, true)));
        assertEquals("14 06 5f 44 53 4d 04", hex(method("_DSM", 4, false)));
        assertEquals("14 06 4d 54 48 44 f1", hex(method("MTHD", 1, false, 15)));
        assertThrows(IllegalArgumentException.class, () -> method("MTHD", 8, false));
        assertThrows(IllegalArgumentException.class, () -> method("MTHD", 0, false, 16));
    }

    @Test
    void scopeDeviceAndNameDeclaration() {
        AmlBlock dev = device("NV00").add(nameDecl("_ADR", one()));
        assertEquals("5b 82 0b 4e 56 30 30 08 5f 41 44 52 01", hex(dev));
        assertEquals("10 0d 5c 5f 53 42 5f 5b 82 05 41 42 43 44", hex(scope("\\_SB").add(device("ABCD"))));
    }

    @Test
    void operationRegionAndFields() {
        assertEquals("5b 80 4e 50 49 4f 01 0b 18 0a 0a 04",
                hex(operationRegion("NPIO", AmlRegionSpace.SYSTEM_IO, integer(0x0A18), integer(4))));
        assertEquals("5b 81 0b 4e 50 49 4f 03 4e 54 46 49 20",
                hex(field("NPIO", AccessType.DWORD, LockRule.NO_LOCK, UpdateRule.PRESERVE).named("NTFI", 32)));
        AmlField f = field("REGN", AccessType.BYTE, LockRule.LOCK, UpdateRule.WRITE_AS_ZEROS)
                .named("AAAA", 8).offsetBytes(4).named("BBBB", 16).access(AccessType.WORD, 0);
        assertEquals(48, f.bitPosition());
        // flags 0x51 = ByteAcc | Lock | WriteAsZeros; Offset(4) becomes a 24-bit reserved field
        assertEquals("5b 81 15 52 45 47 4e 51 41 41 41 41 08 00 18 42 42 42 42 10 01 02 00", hex(f));
        IllegalArgumentException back = assertThrows(IllegalArgumentException.class, () -> f.offsetBytes(1));
        assertTrue(back.getMessage().contains("Offset(1)"), back.getMessage());
        assertThrows(IllegalArgumentException.class, () -> f.named("ZERO", 0));
    }

    @Test
    void controlFlow() {
        AmlBlock iff = ifThen(lEqual(arg(2), zero())).add(ret(buffer((byte) 0)));
        assertEquals("a0 09 93 6a 00 a4 11 03 01 00", hex(iff));
        assertEquals("a1 01", hex(elseBlock())); // an empty block: the PkgLength counts only itself
        assertEquals("a2 06 95 62 61 75 62", hex(whileLoop(lLess(local(2), local(1))).add(increment(local(2)))));
        assertEquals("a5", hex(breakOp()));
        assertEquals("a3", hex(noop()));
    }

    @Test
    void operatorsAndTargets() {
        assertEquals("74 52 4c 45 4e 0a 04 61", hex(subtract(name("RLEN"), integer(4), local(1))));
        assertEquals("70 79 61 0a 03 00 61", hex(store(shiftLeft(local(1), integer(3)), local(1))));
        assertEquals("70 88 6b 00 00 62", hex(store(index(arg(3), zero()), local(2))));
        assertEquals("70 83 62 63", hex(store(derefOf(local(2)), local(3))));
        assertEquals("92 93 68 60", hex(lNotEqual(arg(0), local(0))));
        assertEquals("92 94 60 61", hex(lLessEqual(local(0), local(1))));
        assertEquals("92 95 60 61", hex(lGreaterEqual(local(0), local(1))));
        assertEquals("91 90 60 61 92 62", hex(lOr(lAnd(local(0), local(1)), lNot(local(2)))));
        assertEquals("72 63 61 63", hex(add(local(3), local(1), local(3))));
        assertEquals("72 63 61 00", hex(add(local(3), local(1))));
        assertEquals("76 60", hex(decrement(local(0))));
        assertEquals("73 67 54 42 55 46 67", hex(concatenate(local(7), name("TBUF"), local(7))));
        assertEquals("99 68 00", hex(toInteger(arg(0))));
        assertEquals("96 4c 44 41 54 4c 53 41 5f", hex(toBuffer(name("LDAT"), name("LSA"))));
        assertEquals("87 60", hex(sizeOf(local(0))));
        assertEquals("8e 6b", hex(objectType(arg(3))));
        assertEquals("7b 60 0a 0f 61", hex(and(local(0), integer(15), local(1))));
        assertEquals("7d 60 0a 10 61", hex(or(local(0), integer(16), local(1))));
        assertEquals("7a 60 01 61", hex(shiftRight(local(0), one(), local(1))));
        assertEquals("86 5c 2e 5f 53 42 5f 4e 56 44 52 0a 80", hex(notifyOp(name("\\_SB.NVDR"), integer(0x80))));
        assertEquals("4e 43 41 4c 68 69 6a 6b 00", hex(call("NCAL", arg(0), arg(1), arg(2), arg(3), zero())));
    }

    @Test
    void bufferFieldCreation() {
        assertEquals("8a 60 00 53 54 41 55", hex(createDWordField(local(0), zero(), "STAU")));
        assertEquals("8c 60 01 42 42 42 42", hex(createByteField(local(0), one(), "BBBB")));
        assertEquals("8b 60 01 57 57 57 57", hex(createWordField(local(0), one(), "WWWW")));
        assertEquals("8f 60 01 51 51 51 51", hex(createQWordField(local(0), one(), "QQQQ")));
        assertEquals("5b 13 60 0a 20 79 61 0a 03 00 42 55 46 46",
                hex(createField(local(0), integer(32), shiftLeft(local(1), integer(3)), "BUFF")));
    }

    @Test
    void localsAndArgsAreBounded() {
        assertEquals("60", hex(local(0)));
        assertEquals("67", hex(local(7)));
        assertEquals("68", hex(arg(0)));
        assertEquals("6e", hex(arg(6)));
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class, () -> local(8));
        assertTrue(l.getMessage().contains("Local8"), l.getMessage());
        assertThrows(IllegalArgumentException.class, () -> arg(7));
        assertThrows(IllegalArgumentException.class, () -> device("NV00").add((AmlTerm) null));
    }
}
