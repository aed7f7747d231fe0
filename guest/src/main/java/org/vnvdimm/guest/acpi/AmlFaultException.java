package org.vnvdimm.guest.acpi;

import java.util.OptionalLong;

/**
 * The firmware AML would abort here (for example a CreateDWordField past the end of a short
 * result buffer), so the method evaluation fails instead of returning a value. Carries the DSM
 * status if one had been read before the fault.
 */
public final class AmlFaultException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient OptionalLong dsmStatus;

    public AmlFaultException(String message, OptionalLong dsmStatus) {
        super(message);
        this.dsmStatus = dsmStatus;
    }

    public AmlFaultException(String message) {
        this(message, OptionalLong.empty());
    }

    /** The DSM status dword, if the result was long enough to hold one. */
    public OptionalLong dsmStatus() {
        return dsmStatus;
    }
}
