package org.vnvdimm.guest.acpi;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.guest.acpi.QemuPages.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class FitReaderTest {

    static final long MEMA = 0x07FFE000L;

    /** One round trip: NCAL prepares the page, the fake QEMU answers, NCAL decodes. */
    static byte[] roundTrip(FitReader reader, FitServer qemu, byte[][] pageHolder) {
        NcalStep step = DsmPage.prepare(reader.nextRequest(), MEMA, pageHolder[0]);
        NcalStep.Trap trap = assertInstanceOf(NcalStep.Trap.class, step);
        pageHolder[0] = qemu.serve(trap.page());
        return DsmPage.decodeOutput(pageHolder[0]);
    }

    @Test
    void requestIsReadFitAtTheCurrentOffset() {
        FitReader r = new FitReader();
        DsmRequest req = r.nextRequest();
        assertArrayEquals(DsmPage.uuidBytes(DsmPage.QEMU_UUID), req.uuid());
        assertEquals(1, req.revision());
        assertEquals(1, req.function());
        assertEquals(0x10000, req.handle());
        assertArrayEquals(dwords(0), req.arg3());
        assertEquals(0, r.nextOffset());
    }

    @Test
    void readsAFitLargerThanOnePage() {
        byte[] fit = fakeFit(180, 0); // 10080 bytes
        FitServer qemu = new FitServer(fit);
        FitReader r = new FitReader();
        byte[][] page = {new byte[4096]};
        List<Integer> offsets = new ArrayList<>();
        FitReader.Step s;
        do {
            offsets.add(r.nextOffset());
            s = r.accept(roundTrip(r, qemu, page));
        } while (s instanceof FitReader.Step.Continue);
        FitReader.Step.Done done = assertInstanceOf(FitReader.Step.Done.class, s);
        assertArrayEquals(fit, done.fit());
        assertEquals(List.of(0, 4088, 8176, 10080), offsets);
        assertEquals(4, r.calls());
        assertTrue(r.finished());
        assertThrows(IllegalStateException.class, r::nextRequest);
    }

    @Test
    void restartsWhenTheFitChangesBetweenChunks() {
        byte[] before = fakeFit(100, 0);
        byte[] after = fakeFit(150, 9);
        FitServer qemu = new FitServer(before);
        FitReader r = new FitReader();
        byte[][] page = {new byte[4096]};

        assertInstanceOf(FitReader.Step.Continue.class, r.accept(roundTrip(r, qemu, page)));
        assertEquals(4088, r.nextOffset());
        assertArrayEquals(Arrays.copyOf(before, 4088), r.collected());

        qemu.plug(after); // hotplug between chunk 1 and chunk 2
        assertInstanceOf(FitReader.Step.Restarted.class, r.accept(roundTrip(r, qemu, page)));
        assertEquals(0, r.nextOffset());
        assertEquals(0, r.collected().length);
        assertEquals(1, r.restarts());

        FitReader.Step s;
        do {
            s = r.accept(roundTrip(r, qemu, page));
        } while (s instanceof FitReader.Step.Continue);
        assertArrayEquals(after, assertInstanceOf(FitReader.Step.Done.class, s).fit());
        assertEquals(1, r.restarts());
    }

    @Test
    void otherStatusEndsTheReadWithWhatWasCollected() {
        FitReader r = new FitReader();
        byte[] chunk = concat(dwords(0), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertInstanceOf(FitReader.Step.Continue.class, r.accept(chunk));
        FitReader.Step.Failed f = assertInstanceOf(FitReader.Step.Failed.class, r.accept(dwords(3)));
        assertEquals(3, f.status());
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, f.partialFit());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.accept(dwords(0)));
        assertTrue(e.getMessage().contains("finished"), e.getMessage());
    }

    @Test
    void emptyFitIsDoneAtOnce() {
        FitReader r = new FitReader();
        FitReader.Step.Done d = assertInstanceOf(FitReader.Step.Done.class, r.accept(dwords(0)));
        assertEquals(0, d.fit().length);
    }

    @Test
    void unpatchedMemaMakesRfitFault() {
        FitReader r = new FitReader();
        NcalStep s = DsmPage.prepare(r.nextRequest(), 0, new byte[4096]);
        byte[] oneByte = assertInstanceOf(NcalStep.Immediate.class, s).result();
        AmlFaultException e = assertThrows(AmlFaultException.class, () -> r.accept(oneByte));
        assertTrue(e.getMessage().contains("STAU"), e.getMessage());
        assertTrue(r.finished());
    }

    @Test
    void offsetInTheFargIsTheLittleEndianDword() {
        FitReader r = new FitReader();
        r.accept(concat(dwords(0), new byte[300]));
        byte[] page = DsmPage.encodeInput(r.nextRequest());
        assertArrayEquals(dwords(0x10000, 1, 1, 300), Arrays.copyOf(page, 16));
    }
}
