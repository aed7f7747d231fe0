package org.vnvdimm.sim.acpi;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.vnvdimm.guest.acpi.DsmPage;
import org.vnvdimm.guest.acpi.DsmRequest;
import org.vnvdimm.guest.acpi.FitReader;
import org.vnvdimm.guest.acpi.LabelClient;
import org.vnvdimm.guest.acpi.NcalStep;
import org.vnvdimm.qemu.acpi.DsmEmulator;
import org.vnvdimm.qemu.acpi.DsmFitBuffer;
import org.vnvdimm.qemu.acpi.LabelArea;
import org.vnvdimm.qemu.acpi.LabelAreas;

/** The guest's NCAL side against QEMU's emulation, page for page, as the trapped port carries them. */
class DsmRoundTripTest {
    static final long MEMA = 0x1ffff000L;
    static final int LABEL_BYTES = 128 << 10;

    byte[] page = new byte[DsmPage.PAGE_SIZE_BYTES];

    /** One _DSM: the guest fills the page and traps; QEMU processes it; the guest reads the result. */
    byte[] ncal(DsmEmulator qemu, DsmRequest req) {
        NcalStep s = DsmPage.prepare(req, MEMA, page);
        if (s instanceof NcalStep.Immediate im) return im.result();
        NcalStep.Trap t = (NcalStep.Trap) s;
        assertEquals(MEMA, t.pageAddr());
        page = qemu.process(t.page());
        return DsmPage.decodeOutput(page);
    }

    static long status(byte[] r) { return (r[0] & 0xff) | (r[1] & 0xff) << 8 | (r[2] & 0xff) << 16 | (long) (r[3] & 0xff) << 24; }

    static DsmEmulator qemu(byte[] labels, boolean readOnly, DsmFitBuffer fit) {
        return new DsmEmulator(fit, DsmEmulator.Devices.of(Map.of(0, LabelAreas.over(labels, readOnly), 1, LabelAreas.none())));
    }

    @Test
    void labelsSurviveARestartOfQemuAndOfTheGuest() {
        byte[] backing = new byte[LABEL_BYTES];   // the label area at the end of the backing file
        LabelClient nv0 = new LabelClient(1);
        DsmEmulator first = qemu(backing, false, new DsmFitBuffer(new byte[0]));
        LabelClient.LabelStorageInfo info = nv0.decodeLabelStorageInfo(ncal(first, nv0.labelStorageInfoRequest()));
        assertEquals(0, info.status());
        assertEquals(LABEL_BYTES, info.labelSizeBytes());
        assertEquals(4076, info.maxTransferBytes(), "max transfer = 4096 - 12 - 8");
        byte[] label = new byte[256];
        for (int i = 0; i < label.length; i++) label[i] = (byte) (i * 7 + 1);
        assertEquals(0, nv0.decodeLabelStorageWrite(ncal(first, nv0.labelStorageWriteRequest(4096, label.length, label))).status());
        // QEMU and the guest restart: new emulator over the same file bytes, new guest page
        page = new byte[DsmPage.PAGE_SIZE_BYTES];
        DsmEmulator second = qemu(backing, false, new DsmFitBuffer(new byte[0]));
        LabelClient.LabelRead read = nv0.decodeLabelStorageRead(256, ncal(second, nv0.labelStorageReadRequest(4096, 256)));
        assertEquals(0, read.status());
        assertArrayEquals(label, read.data());
    }

    @Test
    void everyErrorStatusComesBackThroughThePage() {
        DsmEmulator q = qemu(new byte[LABEL_BYTES], true, new DsmFitBuffer(new byte[0]));
        byte[] dev = DsmPage.uuidBytes(DsmPage.DEVICE_UUID);
        assertEquals(2, status(ncal(q, new DsmRequest(dev, 1, 4, null, 7))), "no NVDIMM in slot 6: non-existing memory device");
        assertEquals(1, status(ncal(q, new DsmRequest(dev, 1, 9, null, 1))), "unsupported function");
        assertEquals(1, status(ncal(q, new DsmRequest(dev, 2, 4, null, 1))), "revision 2 is not supported");
        LabelClient nv0 = new LabelClient(1);
        assertEquals(3, nv0.decodeLabelStorageWrite(ncal(q, nv0.labelStorageWriteRequest(LABEL_BYTES - 4, 8, new byte[8]))).status(), "past the label area");
        assertEquals(1, nv0.decodeLabelStorageWrite(ncal(q, nv0.labelStorageWriteRequest(0, 8, new byte[8]))).status(), "read-only backend");
        LabelClient nv1 = new LabelClient(2);
        assertEquals(1, status(ncal(q, nv1.labelStorageInfoRequest())), "no label area: functions 4-6 unsupported");
        byte[] bitmap = ncal(q, new DsmRequest(dev, 1, 0, null, 1));
        assertEquals(0x71, bitmap[0] & 0xff, "function 0 on a device with labels: 0, 4, 5, 6");
        assertArrayEquals(new byte[] {0, 0, 0, 0}, Arrays.copyOf(ncal(q, new DsmRequest(DsmPage.uuidBytes(DsmPage.ROOT_UUID), 1, 0, null, 0)), 4));
        assertArrayEquals(new byte[] {1}, ncal(q, new DsmRequest(DsmPage.uuidBytes(DsmPage.ROOT_UUID), 1, 4, null, 1)),
                "a wrong UUID for the handle never reaches QEMU");
    }

    @Test
    void readFitRestartsWhenTheFitChangesMidRead() {
        byte[] oldFit = new byte[6000], newFit = new byte[9000];
        Arrays.fill(oldFit, (byte) 1);
        Arrays.fill(newFit, (byte) 2);
        DsmFitBuffer fit = new DsmFitBuffer(oldFit);
        DsmEmulator q = qemu(new byte[LABEL_BYTES], false, fit);
        FitReader reader = new FitReader();
        FitReader.Step s = reader.accept(ncal(q, reader.nextRequest()));
        assertInstanceOf(FitReader.Step.Continue.class, s);
        fit.plug(newFit);   // a device_add between the first and the second chunk
        s = reader.accept(ncal(q, reader.nextRequest()));
        assertInstanceOf(FitReader.Step.Restarted.class, s, "status 0x100: start again at offset 0");
        while (!(s instanceof FitReader.Step.Done)) s = reader.accept(ncal(q, reader.nextRequest()));
        assertArrayEquals(newFit, ((FitReader.Step.Done) s).fit());
        assertEquals(1, reader.restarts());
    }
}
