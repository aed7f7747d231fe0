package org.vnvdimm.qemu.acpi;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * QEMU's side of the NVDIMM _DSM (facts: qemu-acpi.md section 5). The guest's NCAL method fills the
 * 4 KiB DSM page (handle, revision, function, Arg3 payload) and writes the page address to the trap
 * register; {@link #process(byte[])} turns that page into the page QEMU leaves behind: the input
 * page with its first RLEN bytes overwritten by the result record (see {@link DsmOutputFrame}).
 *
 * <p>Pure and synchronous: the only state is the injected FIT source (whose dirty flag a Read FIT
 * at offset 0 clears) and the per-slot label areas.
 */
public final class DsmEmulator {

    /** Resolves an NVDIMM slot to its label area; empty if no NVDIMM sits in that slot. */
    @FunctionalInterface
    public interface Devices {
        Optional<LabelArea> labelAreaOfSlot(int slot);

        /** A fixed slot table (copied). A device without labels maps to {@link LabelAreas#none()}. */
        static Devices of(Map<Integer, LabelArea> labelAreaBySlot) {
            Map<Integer, LabelArea> copy = new TreeMap<>(labelAreaBySlot);
            return slot -> Optional.ofNullable(copy.get(slot));
        }
    }

    public static final int PAGE_SIZE_BYTES = 4096;
    /** Input layout: handle, revision, function dwords, then Arg3. */
    public static final int IN_HANDLE_OFFSET = 0;
    public static final int IN_REVISION_OFFSET = 4;
    public static final int IN_FUNCTION_OFFSET = 8;
    public static final int IN_ARG3_OFFSET = 12;
    public static final int IN_ARG3_SIZE_BYTES = PAGE_SIZE_BYTES - IN_ARG3_OFFSET;

    public static final long ROOT_HANDLE = 0;
    public static final long QEMU_ROOT_HANDLE = 0x10000L;
    public static final long MAX_DEVICE_HANDLE = 0xFFFFL;
    /** The only DSM interface revision QEMU accepts. */
    public static final long SUPPORTED_REVISION = 1;

    public static final int FUNC_QUERY = 0;
    public static final int FUNC_READ_FIT = 1;
    public static final int FUNC_GET_LABEL_SIZE = 4;
    public static final int FUNC_GET_LABEL_DATA = 5;
    public static final int FUNC_SET_LABEL_DATA = 6;

    /** Function-0 bitmap on the QEMU handle: bit 0 (others exist) and bit 1 (Read FIT). */
    public static final long QEMU_ROOT_FUNCTIONS = 0x3;
    /** Function-0 bitmap of an NVDIMM with labels: bits 0, 4, 5, 6. */
    public static final long LABEL_FUNCTIONS = 0x71;

    /** Read FIT data per call: the page minus {len, status}. */
    public static final int READ_FIT_MAX_BYTES = PAGE_SIZE_BYTES - DsmOutputFrame.STATUS_HEADER_BYTES;
    /**
     * Label transfer limit: the smaller of what a Get Label Data result can carry (page - {len,status})
     * and what a Set Label Data input can carry (page - {handle,rev,func} - {offset,length}).
     */
    public static final int MAX_LABEL_TRANSFER_BYTES = Math.min(
            PAGE_SIZE_BYTES - DsmOutputFrame.STATUS_HEADER_BYTES, PAGE_SIZE_BYTES - IN_ARG3_OFFSET - 8);

    private final DsmFitSource fit;
    private final Devices devices;

    public DsmEmulator(DsmFitSource fit, Devices devices) {
        this.fit = Objects.requireNonNull(fit, "fit source");
        this.devices = Objects.requireNonNull(devices, "devices");
    }

    /**
     * Handles one trapped _DSM call.
     *
     * @param inputPage the 4096 bytes the guest left in the DSM page
     * @return the 4096-byte page after QEMU wrote its result record over the start of it
     */
    public byte[] process(byte[] inputPage) {
        checkPage(inputPage);
        // QEMU snapshots the page first, so the result never depends on the guest racing with it
        byte[] in = inputPage.clone();
        byte[] record = result(in);
        byte[] out = inputPage.clone();
        System.arraycopy(record, 0, out, 0, record.length);
        return out;
    }

    /** The result record (RLEN bytes) for an input page; {@link #process} writes it over the page. */
    public byte[] result(byte[] in) {
        checkPage(in);
        long handle = DsmOutputFrame.le32(in, IN_HANDLE_OFFSET);
        long revision = DsmOutputFrame.le32(in, IN_REVISION_OFFSET);
        long function = DsmOutputFrame.le32(in, IN_FUNCTION_OFFSET);

        if (revision != SUPPORTED_REVISION) {
            return DsmOutputFrame.status(DsmStatus.NOT_SUPPORTED);
        }
        if (handle == QEMU_ROOT_HANDLE) {
            return qemuRoot(function, in);
        }
        if (handle == ROOT_HANDLE) {
            // the root device implements nothing beyond the query
            return function == FUNC_QUERY ? DsmOutputFrame.function0(0) : DsmOutputFrame.status(DsmStatus.NOT_SUPPORTED);
        }
        return device(handle, function, in);
    }

    private byte[] qemuRoot(long function, byte[] in) {
        if (function == FUNC_QUERY) {
            return DsmOutputFrame.function0(QEMU_ROOT_FUNCTIONS);
        }
        if (function == FUNC_READ_FIT) {
            return readFit(DsmOutputFrame.le32(in, IN_ARG3_OFFSET));
        }
        return DsmOutputFrame.status(DsmStatus.NOT_SUPPORTED);
    }

    private byte[] readFit(long offset) {
        byte[] data = fit.currentFit();
        if (offset > data.length) {
            return DsmOutputFrame.status(DsmStatus.INVALID_INPUT);
        }
        if (offset == 0) {
            fit.clearDirty();
        } else if (fit.isDirty()) {
            return DsmOutputFrame.status(DsmStatus.FIT_CHANGED);
        }
        int chunk = (int) Math.min(data.length - offset, READ_FIT_MAX_BYTES);
        return DsmOutputFrame.statusWithData(DsmStatus.SUCCESS,
                Arrays.copyOfRange(data, (int) offset, (int) offset + chunk));
    }

    private byte[] device(long handle, long function, byte[] in) {
        Optional<LabelArea> dev = handle <= MAX_DEVICE_HANDLE
                ? devices.labelAreaOfSlot((int) (handle - 1))
                : Optional.empty();
        long labelSize = dev.map(LabelArea::labelSizeBytes).orElse(0L);
        if (labelSize < 0 || labelSize > 0xFFFF_FFFFL) {
            throw new IllegalStateException("NVDIMM handle " + handle + ": label size " + labelSize
                    + " bytes does not fit the 32-bit DSM fields");
        }
        if (function == FUNC_QUERY) {
            return DsmOutputFrame.function0(labelSize > 0 ? LABEL_FUNCTIONS : 0);
        }
        if (dev.isEmpty()) {
            return DsmOutputFrame.status(DsmStatus.NO_SUCH_DEVICE);
        }
        LabelArea area = dev.get();
        boolean labelFunction = function == FUNC_GET_LABEL_SIZE || function == FUNC_GET_LABEL_DATA
                || function == FUNC_SET_LABEL_DATA;
        if (!labelFunction || labelSize == 0) {
            return DsmOutputFrame.status(DsmStatus.NOT_SUPPORTED);
        }
        if (function == FUNC_GET_LABEL_SIZE) {
            return DsmOutputFrame.labelSize(labelSize, MAX_LABEL_TRANSFER_BYTES);
        }
        long offset = DsmOutputFrame.le32(in, IN_ARG3_OFFSET);
        long length = DsmOutputFrame.le32(in, IN_ARG3_OFFSET + 4);
        boolean write = function == FUNC_SET_LABEL_DATA;
        int check = checkLabelAccess(labelSize, offset, length, write && area.readOnly());
        if (check != DsmStatus.SUCCESS) {
            return DsmOutputFrame.status(check);
        }
        if (write) {
            int dataAt = IN_ARG3_OFFSET + 8;
            area.write(offset, Arrays.copyOfRange(in, dataAt, dataAt + (int) length));
            return DsmOutputFrame.status(DsmStatus.SUCCESS);
        }
        return DsmOutputFrame.statusWithData(DsmStatus.SUCCESS, area.read(offset, (int) length));
    }

    private static void checkPage(byte[] page) {
        if (page == null || page.length != PAGE_SIZE_BYTES) {
            throw new IllegalArgumentException("DSM page must be " + PAGE_SIZE_BYTES + " bytes, got "
                    + (page == null ? "null" : page.length));
        }
    }

    /** QEMU's order: 32-bit wrap of offset+length, end past the label area, length over the limit, read-only. */
    private static int checkLabelAccess(long labelSize, long offset, long length, boolean readOnlyWrite) {
        long end = offset + length;
        if (end > 0xFFFF_FFFFL) {
            return DsmStatus.INVALID_INPUT;
        }
        if (labelSize < end) {
            return DsmStatus.INVALID_INPUT;
        }
        if (length > MAX_LABEL_TRANSFER_BYTES) {
            return DsmStatus.INVALID_INPUT;
        }
        if (readOnlyWrite) {
            return DsmStatus.NOT_SUPPORTED;
        }
        return DsmStatus.SUCCESS;
    }
}
