package org.vnvdimm.guest.acpi;

import java.util.Locale;

import java.util.Arrays;

/**
 * The arguments of one NCAL(Arg0..Arg4) invocation: UUID, revision, function, Arg3 and handle.
 *
 * <p>{@code arg3} is the payload NCAL copies into FARG, i.e. element 0 of a one-element Package
 * (a Buffer's bytes, or an Integer as 4 little-endian bytes since the SSDT is revision 1). It is
 * null when Arg3 is anything else (the _LSI call passes the Integer Zero), in which case NCAL
 * leaves FARG as it was.
 */
public record DsmRequest(byte[] uuid, long revision, long function, byte[] arg3, long handle) {

    public DsmRequest {
        if (uuid == null || uuid.length != 16) {
            throw new IllegalArgumentException("DSM request: uuid must be 16 bytes, got "
                    + (uuid == null ? "null" : uuid.length));
        }
        DsmPage.checkDword("revision", revision);
        DsmPage.checkDword("function", function);
        DsmPage.checkDword("handle", handle);
        uuid = uuid.clone();
        arg3 = arg3 == null ? null : arg3.clone();
    }

    /** A request with the UUID NCAL expects for {@code handle} (what the SSDT's own callers pass). */
    public static DsmRequest forHandle(long handle, long revision, long function, byte[] arg3) {
        return new DsmRequest(DsmPage.expectedUuid(handle), revision, function, arg3, handle);
    }

    @Override
    public byte[] uuid() {
        return uuid.clone();
    }

    @Override
    public byte[] arg3() {
        return arg3 == null ? null : arg3.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DsmRequest r && Arrays.equals(uuid, r.uuid) && revision == r.revision
                && function == r.function && Arrays.equals(arg3, r.arg3) && handle == r.handle;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(uuid) + Arrays.hashCode(arg3)) + Long.hashCode(handle ^ function ^ revision);
    }

    @Override
    public String toString() {
        return org.vnvdimm.contract.ComponentBehavior.format("DsmRequest[handle=0x%X, revision=%d, function=%d, arg3=%s]", handle, revision, function,
                arg3 == null ? "none" : arg3.length + " bytes");
    }
}
