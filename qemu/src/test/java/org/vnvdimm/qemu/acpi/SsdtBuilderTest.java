package org.vnvdimm.qemu.acpi;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SsdtBuilderTest {

    static final long GOLDEN_MEMA = 0x07FFE000L;
    static final int GOLDEN_SLOTS = 3;

    static byte[] golden() throws IOException {
        try (InputStream in = SsdtBuilderTest.class.getResourceAsStream("/acpi-golden/x86-pc/SSDT.dimmpxm")) {
            assertNotNull(in, "golden SSDT resource /acpi-golden/x86-pc/SSDT.dimmpxm missing");
            return in.readAllBytes();
        }
    }

    static String firstDiff(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                int from = Math.max(0, i - 8);
                return String.format(Locale.ROOT, "first difference at 0x%X: ours %s | golden %s", i,
                        HexFormat.ofDelimiter(" ").formatHex(a, from, Math.min(a.length, i + 16)),
                        HexFormat.ofDelimiter(" ").formatHex(b, from, Math.min(b.length, i + 16)));
            }
        }
        return a.length == b.length ? "identical" : "length " + a.length + " vs golden " + b.length;
    }

    static int sum(byte[] t) {
        int s = 0;
        for (byte b : t) {
            s += b & 0xFF;
        }
        return s & 0xFF;
    }

    static long le32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    @Test
    void goldenIsTheFileTheFactsDescribe() throws Exception {
        byte[] g = golden();
        assertEquals(1815, g.length);
        assertEquals("446d6657e51164fb9d83a63f0de17e7035b0a5120efcb42771cf6c3df3dcc331",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(g)));
    }

    @Test
    void goldenMemaGivesByteIdenticalTable() throws IOException {
        byte[] g = golden();
        byte[] ours = SsdtBuilder.build(GOLDEN_SLOTS, GOLDEN_MEMA);
        assertArrayEquals(g, ours, firstDiff(ours, g));
        assertArrayEquals(g, SsdtBuilder.build(GOLDEN_SLOTS, "BOCHS ", GOLDEN_MEMA, SsdtBuilder.Trap.X86_IO_PORT));
    }

    @ParameterizedTest(name = "MEMA {0}")
    @ValueSource(longs = {0L, 0x07FFF000L, 0xFFFFF000L, 0x1000L})
    void otherMemaDiffersOnlyInMemaAndChecksum(long mema) throws IOException {
        byte[] g = golden();
        byte[] ours = SsdtBuilder.build(GOLDEN_SLOTS, mema);
        assertEquals(g.length, ours.length);
        assertEquals(0, sum(ours), "checksum must make the byte sum zero");
        assertEquals(mema, le32(ours, ours.length - 4));
        assertEquals(mema, SsdtBuilder.mema(ours));
        byte[] a = ours.clone();
        byte[] b = g.clone();
        for (byte[] t : new byte[][] {a, b}) {
            t[SsdtBuilder.CHECKSUM_OFFSET] = 0;
            Arrays.fill(t, t.length - 4, t.length, (byte) 0);
        }
        assertArrayEquals(b, a, firstDiff(a, b));
    }

    @Test
    void patchMemaIsWhatFirmwareDoes() throws IOException {
        byte[] unpatched = SsdtBuilder.build(GOLDEN_SLOTS, 0);
        assertEquals(0, SsdtBuilder.mema(unpatched));
        assertArrayEquals(golden(), SsdtBuilder.patchMema(unpatched, GOLDEN_MEMA));
        assertEquals(0, SsdtBuilder.mema(unpatched), "patchMema must not modify its input");
        byte[] notSsdt = new byte[64];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SsdtBuilder.patchMema(notSsdt, 1));
        assertTrue(e.getMessage().contains("Name(MEMA, DWord)"), e.getMessage());
    }

    @Test
    void headerFields() {
        byte[] t = SsdtBuilder.build(5, "ABC", 0x1234_5000L);
        assertEquals("SSDT", new String(t, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(t.length, le32(t, 4));
        assertEquals(1, t[8]);
        assertArrayEquals(new byte[] {'A', 'B', 'C', 0, 0, 0}, Arrays.copyOfRange(t, 10, 16));
        assertArrayEquals(new byte[] {'N', 'V', 'D', 'I', 'M', 'M', 0, 0}, Arrays.copyOfRange(t, 16, 24));
        assertEquals(1, le32(t, 24));
        assertEquals("BXPC", new String(t, 28, 4, StandardCharsets.US_ASCII));
        assertEquals(1, le32(t, 32));
        assertEquals(0, sum(t));
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> SsdtBuilder.build(0, 0x1000));
        assertTrue(zero.getMessage().contains("slots=0"), zero.getMessage());
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class, () -> SsdtBuilder.build(257, 0x1000));
        assertTrue(many.getMessage().contains("slots=257"), many.getMessage());
        IllegalArgumentException mema = assertThrows(IllegalArgumentException.class,
                () -> SsdtBuilder.build(1, 0x1_0000_0000L));
        assertTrue(mema.getMessage().contains("memaAddr"), mema.getMessage());
        IllegalArgumentException oem = assertThrows(IllegalArgumentException.class,
                () -> SsdtBuilder.build(1, "TOOLONG", 0x1000));
        assertTrue(oem.getMessage().contains("oemId"), oem.getMessage());
    }

    @Test
    void virtTrapIsTwoBytesLonger() {
        // the virt golden is 1817 bytes: its MMIO trap address needs a DWordConst instead of a WordConst
        byte[] virt = SsdtBuilder.build(3, 0x43DA0000L, SsdtBuilder.Trap.ARM_VIRT_MMIO);
        assertEquals(1817, virt.length);
        assertEquals(0x43DA0000L, le32(virt, 0x715));
        assertEquals(0, sum(virt));
    }

    @Test
    void deviceNamesAndHandles() {
        assertEquals("NV00", SsdtBuilder.deviceName(0));
        assertEquals("NV0A", SsdtBuilder.deviceName(10));
        assertEquals("NVFF", SsdtBuilder.deviceName(255));
        assertThrows(IllegalArgumentException.class, () -> SsdtBuilder.deviceName(256));
        assertEquals(1, SsdtBuilder.handleOfSlot(0));
        assertEquals(256, SsdtBuilder.handleOfSlot(255));
    }

    /** Walks Scope(\_SB) -> Device(NVDR) -> NVxx children by their PkgLengths. */
    @ParameterizedTest(name = "{0} slots")
    @ValueSource(ints = {1, 2, 3, 8, 10, 16, 17, 100, 255, 256})
    void structureIsConsistentForSlotCount(int slots) {
        byte[] t = SsdtBuilder.build(slots, 0x7FFE000L);
        assertEquals(t.length, le32(t, 4));
        assertEquals(0, sum(t));

        int scopeAt = SsdtBuilder.HEADER_LENGTH_BYTES;
        assertEquals(0x10, t[scopeAt], "ScopeOp at the start of the body");
        long[] scopeLen = AmlPkgLength.decode(t, scopeAt + 1);
        int scopeEnd = scopeAt + 1 + (int) scopeLen[0];
        assertEquals(t.length - 10, scopeEnd, "Scope(\\_SB) must end where Name(MEMA) begins");
        int nameAt = scopeAt + 1 + (int) scopeLen[1];
        assertEquals("\\_SB_", new String(t, nameAt, 5, StandardCharsets.US_ASCII));

        int nvdrAt = nameAt + 5;
        assertEquals(0x5B, t[nvdrAt] & 0xFF);
        assertEquals(0x82, t[nvdrAt + 1] & 0xFF);
        long[] nvdrLen = AmlPkgLength.decode(t, nvdrAt + 2);
        assertEquals(scopeEnd, nvdrAt + 2 + (int) nvdrLen[0], "NVDR must fill the scope");
        assertEquals("NVDR", new String(t, nvdrAt + 2 + (int) nvdrLen[1], 4, StandardCharsets.US_ASCII));

        int p = indexOf(t, "NV00".getBytes(StandardCharsets.US_ASCII), nvdrAt + 8);
        assertTrue(p > 0, "NV00 must exist");
        // step back over PkgLength (1..4 bytes) to the DeviceOp
        int dev = p - 2;
        while (!(t[dev] == 0x5B && t[dev + 1] == (byte) 0x82)) {
            dev--;
        }
        for (int slot = 0; slot < slots; slot++) {
            assertEquals(0x5B, t[dev] & 0xFF, "DeviceOp of slot " + slot);
            assertEquals(0x82, t[dev + 1] & 0xFF, "DeviceOp of slot " + slot);
            long[] len = AmlPkgLength.decode(t, dev + 2);
            int name = dev + 2 + (int) len[1];
            assertEquals(String.format(Locale.ROOT, "NV%02X", slot), new String(t, name, 4, StandardCharsets.US_ASCII));
            assertEquals(0x08, t[name + 4], "Name(_ADR) first in NV" + slot);
            assertEquals("_ADR", new String(t, name + 5, 4, StandardCharsets.US_ASCII));
            assertEquals(slot + 1L, decodeInteger(t, name + 9), "_ADR of slot " + slot);
            dev = dev + 2 + (int) len[0];
        }
        assertEquals(scopeEnd, dev, "the last NVxx must end NVDR");
    }

    @Test
    void lengthGrowsLinearlyPerSlotClass() {
        // devices differ only in how their handle integer is encoded: One, ByteConst, WordConst
        int l1 = SsdtBuilder.build(1, 0).length;
        int l2 = SsdtBuilder.build(2, 0).length;
        int l3 = SsdtBuilder.build(3, 0).length;
        assertEquals(1027, l1);
        assertEquals(1815, l3);
        assertEquals(l3 - l2, SsdtBuilder.build(4, 0).length - l3, "slots 2 and 3 have the same size");
    }

    private static long decodeInteger(byte[] t, int at) {
        switch (t[at] & 0xFF) {
            case 0x00: return 0;
            case 0x01: return 1;
            case 0x0A: return t[at + 1] & 0xFF;
            case 0x0B: return (t[at + 1] & 0xFF) | (t[at + 2] & 0xFF) << 8;
            case 0x0C: return le32(t, at + 1);
            default: throw new AssertionError(String.format(Locale.ROOT, "no integer opcode at 0x%X: 0x%02X", at, t[at]));
        }
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
