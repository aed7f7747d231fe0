package org.vnvdimm.acpi;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * NFIT type 3, SMBIOS Management Information structure: 8 bytes (type, length, 4 reserved) plus SMBIOS
 * table data.
 */
public record NfitSmbios(byte[] data) implements NfitStructure {
    public static final int MIN_LENGTH_BYTES = 8;

    public NfitSmbios {
        data = data.clone();
        if (MIN_LENGTH_BYTES + data.length > 0xFFFF) {
            throw new IllegalArgumentException("SMBIOS data of " + data.length
                    + " bytes does not fit the 16-bit Length field");
        }
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int type() {
        return TYPE_SMBIOS;
    }

    @Override
    public int length() {
        return MIN_LENGTH_BYTES + data.length;
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        Arrays.fill(dst, offset, offset + MIN_LENGTH_BYTES, (byte) 0);
        NfitStructure.putHeader(dst, offset, TYPE_SMBIOS, length());
        System.arraycopy(data, 0, dst, offset + MIN_LENGTH_BYTES, data.length);
    }

    static NfitSmbios decode(byte[] b, int offset, int length) {
        return new NfitSmbios(Arrays.copyOfRange(b, offset + MIN_LENGTH_BYTES, offset + length));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NfitSmbios s && Arrays.equals(data, s.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NfitSmbios[data=" + HexFormat.of().formatHex(data) + "]";
    }
}
