package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DSM emulation against hand-built pages laid out as docs/specs/acpi_nvdimm.rst and the facts
 * describe (input: handle, revision, function, Arg3 at 12; output: RLEN counting itself, then data).
 */
class DsmEmulatorTest {

    static final int LABEL_SIZE = 128 * 1024; // QEMU's minimum label-size
    static final int SLOT_WITH_LABELS = 1;    // handle 2
    static final int SLOT_WITHOUT_LABELS = 0; // handle 1
    static final int SLOT_READ_ONLY = 2;      // handle 3

    /** A guest-side input page: what NCAL stores into HDLE, REVS, FUNC and FARG. */
    static byte[] page(long handle, long revision, long function, byte[] arg3) {
        byte[] p = new byte[4096];
        put32(p, 0, handle);
        put32(p, 4, revision);
        put32(p, 8, function);
        if (arg3 != null) {
            System.arraycopy(arg3, 0, p, 12, arg3.length);
        }
        return p;
    }

    static byte[] dwords(long... v) {
        byte[] b = new byte[4 * v.length];
        for (int i = 0; i < v.length; i++) {
            put32(b, 4 * i, v[i]);
        }
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static void put32(byte[] b, int at, long v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    static long get32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    /** What the guest's NCAL returns: the RLEN-4 bytes after RLEN. */
    static byte[] guestView(byte[] out) {
        int rlen = (int) get32(out, 0);
        return Arrays.copyOfRange(out, 4, rlen);
    }

    byte[] labels = new byte[LABEL_SIZE];
    byte[] romLabels = new byte[LABEL_SIZE];
    DsmFitBuffer fit = new DsmFitBuffer(fakeFit(2));
    DsmEmulator emu = emulator(labels);

    DsmEmulator emulator(byte[] labelStorage) {
        Map<Integer, LabelArea> devices = new TreeMap<>();
        devices.put(SLOT_WITHOUT_LABELS, LabelAreas.none());
        devices.put(SLOT_WITH_LABELS, LabelAreas.over(labelStorage, false));
        devices.put(SLOT_READ_ONLY, LabelAreas.over(romLabels, true));
        return new DsmEmulator(fit, DsmEmulator.Devices.of(devices));
    }

    /** {@code n} fake NFIT structures of 56 bytes each, every byte derived from its position. */
    static byte[] fakeFit(int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            byte[] s = new byte[56];
            s[2] = 56;
            s[4] = (byte) (i * 2 + 2);
            s[5] = (byte) ((i * 2 + 2) >> 8);
            for (int j = 6; j < 56; j++) {
                s[j] = (byte) (i * 31 + j);
            }
            out.writeBytes(s);
        }
        return out.toByteArray();
    }

    long status(byte[] out) {
        assertTrue(get32(out, 0) >= 8, "result too short for a status: RLEN " + get32(out, 0));
        return get32(out, 4);
    }

    void assertStatusOnly(long expected, byte[] out) {
        assertEquals(8, get32(out, 0), "RLEN of a status-only result");
        assertEquals(expected, get32(out, 4), "status");
    }

    // ------------------------------------------------------------ framing

    @Test
    void outputIsWrittenOverTheInputPage() {
        byte[] in = page(0, 1, 0, null);
        Arrays.fill(in, 12, 4096, (byte) 0x5A);
        byte[] out = emu.process(in);
        assertEquals(4096, out.length);
        assertEquals(8, get32(out, 0));
        assertEquals(0, get32(out, 4));
        for (int i = 12; i < 4096; i++) {
            assertEquals(0x5A, out[i] & 0xFF, "byte " + i + " past RLEN keeps the guest's input");
        }
        assertEquals(0x5A, in[8 + 4] & 0xFF, "input page itself is not modified");
    }

    @Test
    void wrongPageSizeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> emu.process(new byte[100]));
        assertTrue(e.getMessage().contains("4096") && e.getMessage().contains("100"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> emu.result(new byte[4095]));
        assertArrayEquals(DsmOutputFrame.function0(3), emu.result(page(0x10000, 1, 0, null)));
    }

    @Test
    void framesCountTheirOwnLength() {
        assertArrayEquals(dwords(8, 0x71), DsmOutputFrame.function0(0x71));
        assertArrayEquals(dwords(8, 3), DsmOutputFrame.status(3));
        assertArrayEquals(concat(dwords(10, 0), new byte[] {7, 9}), DsmOutputFrame.statusWithData(0, new byte[] {7, 9}));
        assertArrayEquals(dwords(16, 0, LABEL_SIZE, 4076), DsmOutputFrame.labelSize(LABEL_SIZE, 4076));
        assertEquals(4076, DsmEmulator.MAX_LABEL_TRANSFER_BYTES);
        assertEquals(4088, DsmEmulator.READ_FIT_MAX_BYTES);
        assertEquals("FIT changed", DsmStatus.name(0x100));
    }

    // ------------------------------------------------------------ root handles

    @Test
    void rootHandleSupportsOnlyTheQuery() {
        assertArrayEquals(dwords(0), guestView(emu.process(page(0, 1, 0, null))));
        for (int f : new int[] {1, 2, 4, 5, 6, 0x7FFFFFFF}) {
            assertStatusOnly(DsmStatus.NOT_SUPPORTED, emu.process(page(0, 1, f, null)));
        }
    }

    @Test
    void qemuHandleOffersReadFit() {
        assertArrayEquals(dwords(3), guestView(emu.process(page(0x10000, 1, 0, null))));
        assertStatusOnly(DsmStatus.NOT_SUPPORTED, emu.process(page(0x10000, 1, 2, null)));
        assertStatusOnly(DsmStatus.NOT_SUPPORTED, emu.process(page(0x10000, 1, 4, null)));
    }

    @ParameterizedTest(name = "revision {0}")
    @ValueSource(longs = {0, 2, 0xFFFFFFFFL})
    void wrongRevisionIsNotSupportedOnEveryHandleAndFunction(long revision) {
        for (long handle : new long[] {0, 0x10000, 2, 99}) {
            for (long f : new long[] {0, 1, 4, 5}) {
                assertStatusOnly(DsmStatus.NOT_SUPPORTED, emu.process(page(handle, revision, f, dwords(0, 4))));
            }
        }
    }

    // ------------------------------------------------------------ NVDIMM handles

    @Test
    void queryReportsLabelFunctionsOnlyWithALabelArea() {
        assertArrayEquals(dwords(0x71), guestView(emu.process(page(2, 1, 0, null))));
        assertArrayEquals(dwords(0x71), guestView(emu.process(page(3, 1, 0, null))), "read-only still lists 6");
        assertArrayEquals(dwords(0), guestView(emu.process(page(1, 1, 0, null))));
        assertArrayEquals(dwords(0), guestView(emu.process(page(77, 1, 0, null))), "no device: empty bitmap");
    }

    @ParameterizedTest(name = "handle {0}")
    @ValueSource(longs = {4, 0xFFFF, 0x10001, 0xFFFFFFFFL})
    void missingDeviceIsStatusTwo(long handle) {
        for (long f : new long[] {1, 4, 5, 6, 7}) {
            assertStatusOnly(DsmStatus.NO_SUCH_DEVICE, emu.process(page(handle, 1, f, dwords(0, 16))));
        }
    }

    @Test
    void labelFunctionsNeedALabelArea() {
        for (long f : new long[] {4, 5, 6}) {
            assertStatusOnly(DsmStatus.NOT_SUPPORTED, emu.process(page(1, 1, f, dwords(0, 16))));
        }
    }

    @Test
    void unknownFunctionsAreNotSupported() {
        for (long f : new long[] {1, 2, 3, 7, 8, 0x100}) {
            assertStatusOnly(DsmStatus.NOT_SUPPORTED, emu.process(page(2, 1, f, dwords(0, 16))));
        }
    }

    @Test
    void getLabelSize() {
        byte[] out = emu.process(page(2, 1, 4, null));
        assertEquals(16, get32(out, 0));
        assertArrayEquals(dwords(0, LABEL_SIZE, 4076), guestView(out));
    }

    @Test
    void setThenGetLabelData() {
        byte[] data = new byte[4076];
        new SplittableRandom(7).nextBytes(data);
        byte[] w = emu.process(page(2, 1, 6, concat(dwords(1000, data.length), data)));
        assertStatusOnly(DsmStatus.SUCCESS, w);
        assertArrayEquals(data, Arrays.copyOfRange(labels, 1000, 1000 + data.length), "written into the storage");

        byte[] r = emu.process(page(2, 1, 5, dwords(1000, data.length)));
        assertEquals(8 + data.length, get32(r, 0));
        assertEquals(DsmStatus.SUCCESS, get32(r, 4));
        assertArrayEquals(data, Arrays.copyOfRange(r, 8, 8 + data.length));
    }

    @Test
    void labelRangeChecks() {
        // end exactly at the label size is fine, one byte further is not
        assertEquals(DsmStatus.SUCCESS, status(emu.process(page(2, 1, 5, dwords(LABEL_SIZE - 16, 16)))));
        assertStatusOnly(DsmStatus.INVALID_INPUT, emu.process(page(2, 1, 5, dwords(LABEL_SIZE - 16, 17))));
        assertStatusOnly(DsmStatus.INVALID_INPUT, emu.process(page(2, 1, 5, dwords(LABEL_SIZE + 1, 0))));
        // 32-bit wrap of offset + length
        assertStatusOnly(DsmStatus.INVALID_INPUT, emu.process(page(2, 1, 5, dwords(0xFFFFFFFFL, 2))));
        assertStatusOnly(DsmStatus.INVALID_INPUT, emu.process(page(2, 1, 6, dwords(0xFFFFFFF0L, 0x20))));
        // longer than one transfer
        assertStatusOnly(DsmStatus.INVALID_INPUT, emu.process(page(2, 1, 5, dwords(0, 4077))));
        assertStatusOnly(DsmStatus.INVALID_INPUT, emu.process(page(2, 1, 6, dwords(0, 4077))));
        // an empty read at the very end
        byte[] empty = emu.process(page(2, 1, 5, dwords(LABEL_SIZE, 0)));
        assertStatusOnly(DsmStatus.SUCCESS, empty);
    }

    @Test
    void readOnlyLabelsRefuseWritesAfterTheRangeChecks() {
        romLabels[5] = 42;
        assertStatusOnly(DsmStatus.NOT_SUPPORTED, emu.process(page(3, 1, 6, concat(dwords(5, 1), new byte[] {7}))));
        assertEquals(42, romLabels[5], "read-only storage unchanged");
        assertStatusOnly(DsmStatus.INVALID_INPUT, emu.process(page(3, 1, 6, dwords(LABEL_SIZE, 1))));
        byte[] r = emu.process(page(3, 1, 5, dwords(5, 1)));
        assertArrayEquals(concat(dwords(0), new byte[] {42}), guestView(r));
    }

    @Test
    void labelsSurviveARestartOverTheSameStorage() {
        byte[] data = "namespace-index-block".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertStatusOnly(0, emu.process(page(2, 1, 6, concat(dwords(256, data.length), data))));
        DsmEmulator restarted = emulator(labels);
        byte[] r = restarted.process(page(2, 1, 5, dwords(256, data.length)));
        assertArrayEquals(concat(dwords(0), data), guestView(r));
    }

    @Test
    void labelsSurviveARestartInTheBackingFileTail(@TempDir Path dir) throws Exception {
        Path backing = dir.resolve("nvdimm0.img");
        int pmemBytes = 1 << 20;
        Files.write(backing, new byte[pmemBytes + LABEL_SIZE]);
        byte[] data = new byte[300];
        new SplittableRandom(11).nextBytes(data);

        DsmEmulator first = new DsmEmulator(fit, DsmEmulator.Devices.of(
                Map.of(0, LabelAreas.fileTail(backing, LABEL_SIZE, false))));
        assertStatusOnly(0, first.process(page(1, 1, 6, concat(dwords(4000, data.length), data))));

        byte[] file = Files.readAllBytes(backing);
        assertArrayEquals(data, Arrays.copyOfRange(file, pmemBytes + 4000, pmemBytes + 4000 + data.length),
                "labels live in the last label-size bytes of the backend");

        DsmEmulator second = new DsmEmulator(new DsmFitBuffer(new byte[0]), DsmEmulator.Devices.of(
                Map.of(0, LabelAreas.fileTail(backing, LABEL_SIZE, false))));
        assertArrayEquals(dwords(0, LABEL_SIZE, 4076), guestView(second.process(page(1, 1, 4, null))));
        assertArrayEquals(concat(dwords(0), data), guestView(second.process(page(1, 1, 5, dwords(4000, data.length)))));
    }

    @Test
    void fileTailLabelAreaMustFit(@TempDir Path dir) throws Exception {
        Path small = dir.resolve("small.img");
        Files.write(small, new byte[100]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LabelAreas.fileTail(small, LABEL_SIZE, false));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }

    // ------------------------------------------------------------ Read FIT

    byte[] readFit(long offset) {
        return emu.process(page(0x10000, 1, 1, dwords(offset)));
    }

    /** The _FIT loop, as the AML runs it, over this emulator. */
    byte[] fitLoop() {
        ByteArrayOutputStream acc = new ByteArrayOutputStream();
        long offset = 0;
        for (int calls = 0; calls < 1000; calls++) {
            byte[] out = readFit(offset);
            long st = status(out);
            int dataBytes = (int) get32(out, 0) - 8;
            if (st == DsmStatus.FIT_CHANGED) {
                acc.reset();
                offset = 0;
            } else if (st != 0 || dataBytes == 0) {
                return acc.toByteArray();
            } else {
                acc.write(out, 8, dataBytes);
                offset += dataBytes;
            }
        }
        throw new AssertionError("_FIT loop did not finish");
    }

    @Test
    void readFitAcrossSeveralChunks() {
        byte[] big = fakeFit(180); // 10080 bytes: 4088 + 4088 + 1904
        fit.plug(big);
        byte[] c0 = readFit(0);
        assertEquals(8 + 4088, get32(c0, 0));
        assertEquals(0, get32(c0, 4));
        assertFalse(fit.isDirty(), "offset 0 clears the dirty flag");
        byte[] c1 = readFit(4088);
        assertEquals(8 + 4088, get32(c1, 0));
        byte[] c2 = readFit(8176);
        assertEquals(8 + 1904, get32(c2, 0));
        assertArrayEquals(Arrays.copyOfRange(big, 8176, big.length), Arrays.copyOfRange(c2, 8, 8 + 1904));
        assertStatusOnly(0, readFit(big.length)); // the end: success, no data
        assertArrayEquals(big, fitLoop());
    }

    @Test
    void readFitPastTheEndIsInvalid() {
        int len = fit.currentFit().length;
        assertStatusOnly(DsmStatus.INVALID_INPUT, readFit(len + 1));
        fit.plug(fakeFit(3));
        // the range check comes before the dirty check
        assertStatusOnly(DsmStatus.INVALID_INPUT, readFit(10_000));
        assertTrue(fit.isDirty());
    }

    @Test
    void readFitRestartsWhenTheFitChangesMidway() {
        byte[] before = fakeFit(100);
        fit.plug(before);
        byte[] c0 = readFit(0);
        assertEquals(0, get32(c0, 4));
        byte[] after = fakeFit(101);
        fit.plug(after); // hotplug between chunk 1 and 2
        assertStatusOnly(DsmStatus.FIT_CHANGED, readFit(4088));
        assertStatusOnly(DsmStatus.FIT_CHANGED, readFit(4088)); // still dirty until offset 0 is read
        assertArrayEquals(after, fitLoop());
        assertFalse(fit.isDirty());
    }

    @Test
    void emptyFitReadsAsNothing() {
        fit = new DsmFitBuffer(new byte[0]);
        emu = emulator(labels);
        assertStatusOnly(0, readFit(0));
        assertStatusOnly(DsmStatus.INVALID_INPUT, readFit(1));
        assertEquals(0, fitLoop().length);
    }
}
