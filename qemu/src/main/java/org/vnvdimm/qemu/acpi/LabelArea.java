package org.vnvdimm.qemu.acpi;

/**
 * An NVDIMM's namespace label storage as the _DSM label functions see it. QEMU keeps it in the last
 * {@code label-size} bytes of the backend, so it survives a restart of QEMU. Offsets are relative to
 * the start of the label area. The emulator range-checks every access before calling read/write.
 */
public interface LabelArea {

    /** {@code label-size} in bytes; 0 means the device has no label area (functions 4-6 unsupported). */
    long labelSizeBytes();

    /** Reads {@code lengthBytes} bytes at {@code offsetBytes}. */
    byte[] read(long offsetBytes, int lengthBytes);

    /** Writes {@code data} at {@code offsetBytes}. */
    void write(long offsetBytes, byte[] data);

    /** True if the backend is read-only (ROM); Set Label Data then answers "not supported". */
    boolean readOnly();
}
