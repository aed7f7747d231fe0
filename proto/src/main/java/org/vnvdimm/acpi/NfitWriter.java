package org.vnvdimm.acpi;

import java.util.List;

/**
 * Encodes NFIT structures into a full NFIT table (header, reserved dword at 36, structures from 40) or
 * into a bare _FIT buffer (the structures only, which is what the _FIT method returns).
 */
public final class NfitWriter {
    public static final String SIGNATURE = "NFIT";
    /** Offset of the first sub-structure in a full table: 36-byte header + 4 reserved bytes. */
    public static final int STRUCTURES_OFFSET = 40;

    private NfitWriter() {
    }

    /**
     * The full table. Length and checksum of {@code header} are ignored and computed; its signature must
     * be "NFIT".
     */
    public static byte[] writeTable(AcpiHeader header, List<? extends NfitStructure> structures) {
        if (!SIGNATURE.equals(header.signature())) {
            throw new IllegalArgumentException("NFIT header needs signature \"NFIT\", got \""
                    + Le.printable(header.signature()) + "\"");
        }
        int length = STRUCTURES_OFFSET + fitLength(structures);
        byte[] table = new byte[length];
        header.withLength(length).withChecksum(0).encodeInto(table, 0);
        // Bytes 36..39 are the reserved dword and stay zero.
        writeStructures(structures, table, STRUCTURES_OFFSET);
        AcpiChecksum.fix(table);
        return table;
    }

    /** The structures back to back, without header: the _FIT buffer. */
    public static byte[] writeFit(List<? extends NfitStructure> structures) {
        byte[] fit = new byte[fitLength(structures)];
        writeStructures(structures, fit, 0);
        return fit;
    }

    private static int fitLength(List<? extends NfitStructure> structures) {
        long total = 0;
        for (NfitStructure s : structures) {
            total += s.length();
        }
        if (STRUCTURES_OFFSET + total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("NFIT of " + total + " structure bytes is too large");
        }
        return (int) total;
    }

    private static void writeStructures(List<? extends NfitStructure> structures, byte[] dst, int offset) {
        int p = offset;
        for (NfitStructure s : structures) {
            s.encodeInto(dst, p);
            p += s.length();
        }
    }
}
