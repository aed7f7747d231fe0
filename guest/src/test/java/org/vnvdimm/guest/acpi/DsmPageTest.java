package org.vnvdimm.guest.acpi;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.guest.acpi.QemuPages.*;

import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DsmPageTest {

    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @Test
    void uuidsAreInToUuidByteOrder() {
        assertEquals("a4 e7 10 2f 91 9e e4 11 89 d3 12 3b 93 f7 5c ba", HEX.formatHex(DsmPage.uuidBytes(DsmPage.ROOT_UUID)));
        assertEquals("f2 9c 8b 64 a1 cd 12 43 8a d9 49 c4 af 32 bd 62", HEX.formatHex(DsmPage.uuidBytes(DsmPage.QEMU_UUID)));
        assertEquals("30 ac 09 43 11 0d e4 11 91 91 08 00 20 0c 9a 66", HEX.formatHex(DsmPage.uuidBytes(DsmPage.DEVICE_UUID)));
        assertThrows(IllegalArgumentException.class, () -> DsmPage.uuidBytes("not-a-uuid"));
    }

    @Test
    void expectedUuidFollowsTheHandle() {
        assertArrayEquals(DsmPage.uuidBytes(DsmPage.ROOT_UUID), DsmPage.expectedUuid(0));
        assertArrayEquals(DsmPage.uuidBytes(DsmPage.QEMU_UUID), DsmPage.expectedUuid(0x10000));
        for (long h : new long[] {1, 2, 0xFFFF, 0x10001}) {
            assertArrayEquals(DsmPage.uuidBytes(DsmPage.DEVICE_UUID), DsmPage.expectedUuid(h), "handle " + h);
        }
    }

    @Test
    void inputLayoutIsHandleRevisionFunctionThenFarg() {
        byte[] page = DsmPage.encodeInput(DsmRequest.forHandle(2, 1, 5, dwords(0x100, 0x20)));
        assertEquals(4096, page.length);
        assertArrayEquals(dwords(2, 1, 5, 0x100, 0x20), Arrays.copyOf(page, 20));
        for (int i = 20; i < 4096; i++) {
            assertEquals(0, page[i], "FARG byte " + i);
        }
    }

    @Test
    void storingIntoFargZeroFillsTheRestOfTheField() {
        byte[] previous = new byte[4096];
        Arrays.fill(previous, (byte) 0x77);
        byte[] page = DsmPage.writeInput(previous, DsmRequest.forHandle(0x10000, 1, 1, DsmPage.integerArg(4088)));
        assertArrayEquals(dwords(0x10000, 1, 1, 4088), Arrays.copyOf(page, 16));
        for (int i = 16; i < 4096; i++) {
            assertEquals(0, page[i], "byte " + i + " after the stored integer");
        }
        assertEquals(0x77, previous[20], "the caller's page is not modified");
    }

    @Test
    void withoutAPackageFargKeepsThePreviousContent() {
        byte[] previous = new byte[4096];
        Arrays.fill(previous, (byte) 0x77);
        byte[] page = DsmPage.writeInput(previous, DsmRequest.forHandle(3, 1, 4, null));
        assertArrayEquals(dwords(3, 1, 4), Arrays.copyOf(page, 12));
        for (int i = 12; i < 4096; i++) {
            assertEquals(0x77, page[i] & 0xFF, "byte " + i);
        }
    }

    @Test
    void oversizedArg3IsTruncatedToFarg() {
        byte[] arg3 = new byte[5000];
        Arrays.fill(arg3, (byte) 1);
        byte[] page = DsmPage.encodeInput(DsmRequest.forHandle(2, 1, 6, arg3));
        assertEquals(1, page[4095]);
        assertEquals(4084, DsmPage.FARG_SIZE_BYTES);
    }

    @Test
    void valuesMustFitThirtyTwoBits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DsmRequest.forHandle(0x1_0000_0000L, 1, 0, null));
        assertTrue(e.getMessage().contains("handle"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DsmRequest.forHandle(1, -1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new DsmRequest(new byte[15], 1, 0, null, 1));
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> DsmPage.writeInput(new byte[10], DsmRequest.forHandle(1, 1, 0, null)));
        assertTrue(p.getMessage().contains("4096"), p.getMessage());
    }

    @Test
    void unpatchedMemaAnswersWithoutTrapping() {
        NcalStep f0 = DsmPage.prepare(DsmRequest.forHandle(2, 1, 0, null), 0, new byte[4096]);
        assertArrayEquals(new byte[] {0}, ((NcalStep.Immediate) f0).result());
        NcalStep f4 = DsmPage.prepare(DsmRequest.forHandle(2, 1, 4, null), 0, new byte[4096]);
        assertArrayEquals(new byte[] {1}, ((NcalStep.Immediate) f4).result());
    }

    @Test
    void foreignUuidAnswersWithoutTrapping() {
        byte[] rootUuid = DsmPage.uuidBytes(DsmPage.ROOT_UUID);
        NcalStep s = DsmPage.prepare(new DsmRequest(rootUuid, 1, 5, dwords(0, 4), 2), 0x7FFE000, new byte[4096]);
        assertArrayEquals(new byte[] {1}, ((NcalStep.Immediate) s).result());
        NcalStep q = DsmPage.prepare(new DsmRequest(rootUuid, 1, 0, null, 0x10000), 0x7FFE000, new byte[4096]);
        assertArrayEquals(new byte[] {0}, ((NcalStep.Immediate) q).result());
    }

    @Test
    void matchingUuidTrapsWithTheFilledPage() {
        DsmRequest r = DsmRequest.forHandle(0, 1, 0, null);
        NcalStep s = DsmPage.prepare(r, 0x7FFE000, new byte[4096]);
        NcalStep.Trap t = assertInstanceOf(NcalStep.Trap.class, s);
        assertEquals(0x7FFE000, t.pageAddr());
        assertArrayEquals(DsmPage.encodeInput(r), t.page());
    }

    @ParameterizedTest(name = "RLEN {0}")
    @ValueSource(ints = {4, 5, 8, 11, 12, 16, 100, 4096})
    void outputIsRlenMinusFourBytesOfOdat(int rlen) {
        byte[] page = new byte[4096];
        for (int i = 4; i < 4096; i++) {
            page[i] = (byte) (i * 7);
        }
        DsmPage.putLe32(page, 0, rlen);
        assertEquals(rlen, DsmPage.resultLength(page));
        assertArrayEquals(Arrays.copyOfRange(page, 4, rlen), DsmPage.decodeOutput(page));
    }

    @ParameterizedTest(name = "RLEN {0}")
    @ValueSource(longs = {0, 3, 4097, 0x7FFFFFFFL, 0xFFFFFFFFL})
    void impossibleRlenFaultsLikeTheAml(long rlen) {
        byte[] page = new byte[4096];
        DsmPage.putLe32(page, 0, rlen);
        AmlFaultException e = assertThrows(AmlFaultException.class, () -> DsmPage.decodeOutput(page));
        assertTrue(e.getMessage().contains("ODAT"), e.getMessage());
    }

    @Test
    void statusAnswerOverAFilledPage() {
        byte[] in = DsmPage.encodeInput(DsmRequest.forHandle(7, 1, 5, dwords(0, 16)));
        byte[] out = status(in, 2);
        assertArrayEquals(dwords(2), DsmPage.decodeOutput(out));
    }
}
