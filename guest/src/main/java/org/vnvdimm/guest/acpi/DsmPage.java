package org.vnvdimm.guest.acpi;

import java.util.Locale;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The guest side of the 4 KiB DSM page, as the SSDT's NCAL method uses it.
 *
 * <p>Input view (written by NCAL): HDLE (dword at 0), REVS (4), FUNC (8), FARG (12..4095). Output
 * view (written by QEMU): RLEN (dword at 0, counting itself), ODAT (4..4095). The SSDT is revision
 * 1, so AML integers are 32 bits wide and all arithmetic here wraps at 2^32 as it does there.
 */
public final class DsmPage {

    public static final int PAGE_SIZE_BYTES = 4096;
    public static final int HDLE_OFFSET = 0;
    public static final int REVS_OFFSET = 4;
    public static final int FUNC_OFFSET = 8;
    public static final int FARG_OFFSET = 12;
    public static final int FARG_SIZE_BYTES = PAGE_SIZE_BYTES - FARG_OFFSET;
    public static final int RLEN_OFFSET = 0;
    public static final int ODAT_OFFSET = 4;
    public static final int ODAT_SIZE_BYTES = PAGE_SIZE_BYTES - ODAT_OFFSET;

    public static final long ROOT_HANDLE = 0;
    public static final long QEMU_ROOT_HANDLE = 0x10000L;

    public static final String ROOT_UUID = "2f10e7a4-9e91-11e4-89d3-123b93f75cba";
    public static final String QEMU_UUID = "648b9cf2-cda1-4312-8ad9-49c4af32bd62";
    public static final String DEVICE_UUID = "4309ac30-0d11-11e4-9191-0800200c9a66";

    /** NCAL copies results shorter than this byte by byte, longer ones with CreateField. */
    static final int BYTEWISE_COPY_LIMIT = 8;

    private static final long DWORD_MASK = 0xFFFF_FFFFL;
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}");

    private DsmPage() {
    }

    /** ToUUID's 16 bytes: first three groups little-endian, the rest in text order. */
    public static byte[] uuidBytes(String uuid) {
        if (uuid == null || !UUID_TEXT.matcher(uuid).matches()) {
            throw new IllegalArgumentException("'" + uuid + "' is not a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
        }
        String hex = uuid.replace("-", "");
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        reverse(b, 0, 4);
        reverse(b, 4, 2);
        reverse(b, 6, 2);
        return b;
    }

    /** The UUID NCAL accepts for {@code handle}: root, QEMU-private, or the Intel device UUID. */
    public static byte[] expectedUuid(long handle) {
        if (handle == ROOT_HANDLE) {
            return uuidBytes(ROOT_UUID);
        }
        if (handle == QEMU_ROOT_HANDLE) {
            return uuidBytes(QEMU_UUID);
        }
        return uuidBytes(DEVICE_UUID);
    }

    /** An Integer package element as NCAL stores it into FARG: 4 little-endian bytes. */
    public static byte[] integerArg(long value) {
        checkDword("integer argument", value);
        byte[] b = new byte[4];
        putLe32(b, 0, value);
        return b;
    }

    /**
     * NCAL's first half: checks MEMA and the UUID, then fills the page.
     *
     * @param request     the NCAL arguments
     * @param memaAddr    MEMA as patched by firmware (0 = never patched)
     * @param currentPage the page's content before the call (FARG stays as it is when Arg3 is not a
     *                    one-element package)
     */
    public static NcalStep prepare(DsmRequest request, long memaAddr, byte[] currentPage) {
        checkDword("MEMA", memaAddr);
        if (memaAddr == 0 || !Arrays.equals(request.uuid(), expectedUuid(request.handle()))) {
            return new NcalStep.Immediate(new byte[] {(byte) (request.function() == 0 ? 0x00 : 0x01)});
        }
        return new NcalStep.Trap(memaAddr, writeInput(currentPage, request));
    }

    /** The input page over an all-zero page. */
    public static byte[] encodeInput(DsmRequest request) {
        return writeInput(new byte[PAGE_SIZE_BYTES], request);
    }

    /**
     * Stores HDLE, REVS, FUNC and (if Arg3 is a one-element package) FARG into a copy of
     * {@code currentPage}. Storing a buffer into FARG zero-fills the rest of the field and drops
     * bytes beyond its 4084 bytes, as an AML store into a field unit does.
     */
    public static byte[] writeInput(byte[] currentPage, DsmRequest request) {
        checkPage(currentPage);
        byte[] page = currentPage.clone();
        putLe32(page, HDLE_OFFSET, request.handle());
        putLe32(page, REVS_OFFSET, request.revision());
        putLe32(page, FUNC_OFFSET, request.function());
        byte[] arg3 = request.arg3();
        if (arg3 != null) {
            Arrays.fill(page, FARG_OFFSET, PAGE_SIZE_BYTES, (byte) 0);
            System.arraycopy(arg3, 0, page, FARG_OFFSET, Math.min(arg3.length, FARG_SIZE_BYTES));
        }
        return page;
    }

    /** RLEN as the guest reads it. */
    public static long resultLength(byte[] page) {
        checkPage(page);
        return le32(page, RLEN_OFFSET);
    }

    /**
     * NCAL's second half: returns the first RLEN-4 bytes of ODAT. A length that does not fit ODAT
     * (RLEN below 4 wraps around, RLEN above 4096) makes the AML's CreateField fault.
     */
    public static byte[] decodeOutput(byte[] page) {
        long rlen = resultLength(page);
        long resultBytes = (rlen - 4) & DWORD_MASK;
        if (resultBytes < BYTEWISE_COPY_LIMIT) {
            return Arrays.copyOfRange(page, ODAT_OFFSET, ODAT_OFFSET + (int) resultBytes);
        }
        if (resultBytes > ODAT_SIZE_BYTES) {
            throw new AmlFaultException(org.vnvdimm.contract.ComponentBehavior.format(
                    "NCAL: RLEN 0x%X means a %d-byte result, which CreateField cannot take from the %d-byte ODAT",
                    rlen, resultBytes, ODAT_SIZE_BYTES));
        }
        return Arrays.copyOfRange(page, ODAT_OFFSET, ODAT_OFFSET + (int) resultBytes);
    }

    static long le32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    static void putLe32(byte[] b, int at, long v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    static void checkDword(String what, long value) {
        if (value < 0 || value > DWORD_MASK) {
            throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format(
                    "%s 0x%X does not fit a 32-bit AML integer (the SSDT is revision 1)", what, value));
        }
    }

    private static void checkPage(byte[] page) {
        if (page == null || page.length != PAGE_SIZE_BYTES) {
            throw new IllegalArgumentException("DSM page must be " + PAGE_SIZE_BYTES + " bytes, got "
                    + (page == null ? "null" : page.length));
        }
    }

    private static void reverse(byte[] b, int from, int len) {
        for (int i = 0; i < len / 2; i++) {
            byte t = b[from + i];
            b[from + i] = b[from + len - 1 - i];
            b[from + len - 1 - i] = t;
        }
    }
}
