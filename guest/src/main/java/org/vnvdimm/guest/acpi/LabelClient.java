package org.vnvdimm.guest.acpi;

import java.util.Locale;

import java.util.OptionalLong;

/**
 * The label methods of one {@code NVxx} device (_LSI, _LSR, _LSW) split into request and decode, the
 * way the SSDT builds NCAL's arguments and picks the result apart.
 *
 * <p>Where the AML would fault (CreateDWordField or CreateField past the end of a short result, for
 * instance because QEMU answered with a status only) the decoders throw {@link AmlFaultException}
 * carrying that status. A Get Label Data result is taken as a buffer of exactly the requested length
 * (current ACPICA reads CreateField-made fields as buffers whatever their size).
 */
public final class LabelClient {

    public static final long FUNC_GET_LABEL_SIZE = 4;
    public static final long FUNC_GET_LABEL_DATA = 5;
    public static final long FUNC_SET_LABEL_DATA = 6;

    /** _LSI's result: Package{status, label size, max transfer}. */
    public record LabelStorageInfo(long status, long labelSizeBytes, long maxTransferBytes) {
    }

    /** _LSR's result: Package{status, data}. */
    public record LabelRead(long status, byte[] data) {
        public LabelRead {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }
    }

    /** _LSW's result: the status. */
    public record LabelWrite(long status) {
    }

    private final long handle;

    /** @param handle the device's _ADR, i.e. its NFIT device handle (slot + 1) */
    public LabelClient(long handle) {
        if (handle < 1 || handle > 0xFFFF) {
            throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format("NVDIMM handle 0x%X outside 1..0xFFFF", handle));
        }
        this.handle = handle;
    }

    public long handle() {
        return handle;
    }

    /** _LSI: NCAL(device UUID, 1, 4, Zero, handle). Arg3 is the Integer Zero, so FARG is not written. */
    public DsmRequest labelStorageInfoRequest() {
        return request(FUNC_GET_LABEL_SIZE, null);
    }

    /** _LSI's CreateDWordFields at 0, 4 and 8 of NCAL's result. */
    public LabelStorageInfo decodeLabelStorageInfo(byte[] ncalResult) {
        long status = dword(ncalResult, 0, "STTS", "_LSI", OptionalLong.empty());
        long size = dword(ncalResult, 4, "SLSA", "_LSI", OptionalLong.of(status));
        long max = dword(ncalResult, 8, "MAXT", "_LSI", OptionalLong.of(status));
        return new LabelStorageInfo(status, size, max);
    }

    /** _LSR(offset, length): Package{INPT} with INPT = {offset, length} as two dwords. */
    public DsmRequest labelStorageReadRequest(long offsetBytes, long lengthBytes) {
        return request(FUNC_GET_LABEL_DATA, offsetAndLength(offsetBytes, lengthBytes, new byte[0]));
    }

    /** _LSR's STTS dword and CreateField(result, 32, length * 8, LDAT). */
    public LabelRead decodeLabelStorageRead(long lengthBytes, byte[] ncalResult) {
        DsmPage.checkDword("_LSR length", lengthBytes);
        long status = dword(ncalResult, 0, "STTS", "_LSR", OptionalLong.empty());
        long bits = (lengthBytes << 3) & 0xFFFF_FFFFL;
        if (bits == 0) {
            throw new AmlFaultException("_LSR: CreateField LDAT of length zero (requested " + lengthBytes + " bytes)",
                    OptionalLong.of(status));
        }
        if (32 + bits > 8L * ncalResult.length) {
            throw new AmlFaultException(org.vnvdimm.contract.ComponentBehavior.format(
                    "_LSR: CreateField LDAT of %d bytes at byte 4 exceeds NCAL's %d-byte result (status 0x%X)",
                    bits / 8, ncalResult.length, status), OptionalLong.of(status));
        }
        byte[] data = new byte[(int) (bits / 8)];
        System.arraycopy(ncalResult, 4, data, 0, data.length);
        return new LabelRead(status, data);
    }

    /** _LSW(offset, length, data): Package{INPT ++ data}; the length is passed through unchecked. */
    public DsmRequest labelStorageWriteRequest(long offsetBytes, long lengthBytes, byte[] data) {
        return request(FUNC_SET_LABEL_DATA, offsetAndLength(offsetBytes, lengthBytes, data));
    }

    /** _LSW's STTS dword. */
    public LabelWrite decodeLabelStorageWrite(byte[] ncalResult) {
        return new LabelWrite(dword(ncalResult, 0, "STTS", "_LSW", OptionalLong.empty()));
    }

    private DsmRequest request(long function, byte[] arg3) {
        return new DsmRequest(DsmPage.uuidBytes(DsmPage.DEVICE_UUID), 1, function, arg3, handle);
    }

    private static byte[] offsetAndLength(long offsetBytes, long lengthBytes, byte[] data) {
        DsmPage.checkDword("label offset", offsetBytes);
        DsmPage.checkDword("label length", lengthBytes);
        byte[] b = new byte[8 + data.length];
        DsmPage.putLe32(b, 0, offsetBytes);
        DsmPage.putLe32(b, 4, lengthBytes);
        System.arraycopy(data, 0, b, 8, data.length);
        return b;
    }

    private static long dword(byte[] result, int at, String field, String method, OptionalLong status) {
        if (result.length < at + 4) {
            throw new AmlFaultException(org.vnvdimm.contract.ComponentBehavior.format(
                    "%s: CreateDWordField %s at byte %d exceeds NCAL's %d-byte result%s", method, field, at,
                    result.length, status.isPresent() ? org.vnvdimm.contract.ComponentBehavior.format(" (status 0x%X)", status.getAsLong()) : ""),
                    status);
        }
        return DsmPage.le32(result, at);
    }
}
