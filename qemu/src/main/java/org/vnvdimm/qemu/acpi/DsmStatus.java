package org.vnvdimm.qemu.acpi;

import java.util.Locale;

/**
 * Function return status codes in the first data dword of a _DSM result (NVDIMM DSM interface
 * Rev1 chapter 3, plus QEMU's own 0x100 for Read FIT).
 */
public final class DsmStatus {
    public static final int SUCCESS = 0;
    public static final int NOT_SUPPORTED = 1;
    public static final int NO_SUCH_DEVICE = 2;
    public static final int INVALID_INPUT = 3;
    /** The FIT changed after the Read FIT sequence started at offset 0: start over. */
    public static final int FIT_CHANGED = 0x100;

    private DsmStatus() {
    }

    /** A short name for logs and test messages. */
    public static String name(long status) {
        if (status == SUCCESS) {
            return "success";
        } else if (status == NOT_SUPPORTED) {
            return "not supported";
        } else if (status == NO_SUCH_DEVICE) {
            return "non-existing memory device";
        } else if (status == INVALID_INPUT) {
            return "invalid input parameters";
        } else if (status == FIT_CHANGED) {
            return "FIT changed";
        }
        return org.vnvdimm.contract.ComponentBehavior.format("unknown status 0x%X", status);
    }
}
