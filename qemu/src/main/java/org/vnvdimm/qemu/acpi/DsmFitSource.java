package org.vnvdimm.qemu.acpi;

/**
 * The FIT buffer QEMU serves through Read FIT: the NFIT structures (no header) of the plugged
 * NVDIMMs, and a flag telling whether it was rebuilt since the guest last read it from offset 0.
 */
public interface DsmFitSource {

    /** The current FIT bytes. The caller does not modify the returned array. */
    byte[] currentFit();

    /** True if the FIT was rebuilt (an NVDIMM was plugged) since the last Read FIT at offset 0. */
    boolean isDirty();

    /** Called by a Read FIT at offset 0: the guest starts a fresh read of the current FIT. */
    void clearDirty();
}
