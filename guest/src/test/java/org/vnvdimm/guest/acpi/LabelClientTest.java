package org.vnvdimm.guest.acpi;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.guest.acpi.QemuPages.*;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class LabelClientTest {

    static final long MEMA = 0x07FFE000L;
    final LabelClient nv01 = new LabelClient(2);

    private static byte[] trapPage(DsmRequest r, byte[] previous) {
        return assertInstanceOf(NcalStep.Trap.class, DsmPage.prepare(r, MEMA, previous)).page();
    }

    @Test
    void handleMustBeADeviceHandle() {
        assertThrows(IllegalArgumentException.class, () -> new LabelClient(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LabelClient(0x10000));
        assertTrue(e.getMessage().contains("0x10000"), e.getMessage());
    }

    @Test
    void labelStorageInfoRoundTrip() {
        DsmRequest r = nv01.labelStorageInfoRequest();
        assertEquals(4, r.function());
        assertNull(r.arg3(), "_LSI passes the Integer Zero, not a package");
        assertArrayEquals(DsmPage.uuidBytes(DsmPage.DEVICE_UUID), r.uuid());
        byte[] previous = new byte[4096];
        Arrays.fill(previous, (byte) 0x33);
        byte[] in = trapPage(r, previous);
        assertArrayEquals(dwords(2, 1, 4), Arrays.copyOf(in, 12));
        assertEquals(0x33, in[12], "FARG untouched");

        byte[] out = answer(in, dwords(0, 0x20000, 4076));
        LabelClient.LabelStorageInfo info = nv01.decodeLabelStorageInfo(DsmPage.decodeOutput(out));
        assertEquals(new LabelClient.LabelStorageInfo(0, 0x20000, 4076), info);
    }

    @Test
    void labelStorageInfoFaultsOnAStatusOnlyAnswer() {
        byte[] out = status(trapPage(nv01.labelStorageInfoRequest(), new byte[4096]), 1);
        AmlFaultException e = assertThrows(AmlFaultException.class,
                () -> nv01.decodeLabelStorageInfo(DsmPage.decodeOutput(out)));
        assertEquals(1, e.dsmStatus().getAsLong());
        assertTrue(e.getMessage().contains("SLSA"), e.getMessage());

        AmlFaultException unpatched = assertThrows(AmlFaultException.class,
                () -> nv01.decodeLabelStorageInfo(new byte[] {1}));
        assertTrue(unpatched.dsmStatus().isEmpty());
        assertTrue(unpatched.getMessage().contains("STTS"), unpatched.getMessage());
    }

    @Test
    void labelStorageReadRoundTrip() {
        DsmRequest r = nv01.labelStorageReadRequest(0x1000, 32);
        assertEquals(5, r.function());
        assertArrayEquals(dwords(0x1000, 32), r.arg3());
        byte[] in = trapPage(r, new byte[4096]);
        assertArrayEquals(dwords(2, 1, 5, 0x1000, 32), Arrays.copyOf(in, 20));

        byte[] data = new byte[32];
        new SplittableRandom(3).nextBytes(data);
        byte[] out = answer(in, concat(dwords(0), data));
        LabelClient.LabelRead read = nv01.decodeLabelStorageRead(32, DsmPage.decodeOutput(out));
        assertEquals(0, read.status());
        assertArrayEquals(data, read.data());
    }

    @Test
    void labelStorageReadFaultsWhenQemuRefuses() {
        byte[] out = status(trapPage(nv01.labelStorageReadRequest(0x20000, 16), new byte[4096]), 3);
        AmlFaultException e = assertThrows(AmlFaultException.class,
                () -> nv01.decodeLabelStorageRead(16, DsmPage.decodeOutput(out)));
        assertEquals(3, e.dsmStatus().getAsLong());
        assertTrue(e.getMessage().contains("LDAT"), e.getMessage());
        AmlFaultException zero = assertThrows(AmlFaultException.class,
                () -> nv01.decodeLabelStorageRead(0, dwords(0)));
        assertTrue(zero.getMessage().contains("length zero"), zero.getMessage());
    }

    @Test
    void labelStorageWriteRoundTrip() {
        byte[] data = {9, 8, 7, 6, 5};
        DsmRequest r = nv01.labelStorageWriteRequest(64, data.length, data);
        assertEquals(6, r.function());
        byte[] in = trapPage(r, new byte[4096]);
        assertArrayEquals(concat(dwords(2, 1, 6, 64, 5), data), Arrays.copyOf(in, 25));
        assertEquals(0, in[25]);

        assertEquals(new LabelClient.LabelWrite(0), nv01.decodeLabelStorageWrite(DsmPage.decodeOutput(status(in, 0))));
        assertEquals(new LabelClient.LabelWrite(1), nv01.decodeLabelStorageWrite(DsmPage.decodeOutput(status(in, 1))));
        assertEquals(new LabelClient.LabelWrite(3), nv01.decodeLabelStorageWrite(DsmPage.decodeOutput(status(in, 3))));
        assertThrows(AmlFaultException.class, () -> nv01.decodeLabelStorageWrite(new byte[] {1}));
    }

    @Test
    void labelArgumentsMustFitDwords() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> nv01.labelStorageReadRequest(0x1_0000_0000L, 1));
        assertTrue(e.getMessage().contains("label offset"), e.getMessage());
    }
}
