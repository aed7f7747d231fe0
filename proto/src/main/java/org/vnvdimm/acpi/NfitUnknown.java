package org.vnvdimm.acpi;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A structure of a type this parser does not know (types 8 and up, or reserved ones), kept verbatim as
 * the spec asks readers to skip, not reject, them.
 *
 * @param type  the structure type (uint16)
 * @param bytes the whole structure as found, Type and Length fields included
 */
public record NfitUnknown(int type, byte[] bytes) implements NfitStructure {
    public NfitUnknown {
        Le.checkU16("Type", type);
        bytes = bytes.clone();
        if (bytes.length < 4 || bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("structure bytes must be 4..65535 long, got " + bytes.length);
        }
        if (Le.u16(bytes, 0) != type || Le.u16(bytes, 2) != bytes.length) {
            throw new IllegalArgumentException("structure bytes carry type " + Le.u16(bytes, 0) + " length "
                    + Le.u16(bytes, 2) + ", expected type " + type + " length " + bytes.length);
        }
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public int length() {
        return bytes.length;
    }

    @Override
    public void encodeInto(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, bytes.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NfitUnknown u && u.type == type && Arrays.equals(bytes, u.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * type + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "NfitUnknown[type=" + type + ", bytes=" + HexFormat.of().formatHex(bytes) + "]";
    }
}
