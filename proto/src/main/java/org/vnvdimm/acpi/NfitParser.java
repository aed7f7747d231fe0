package org.vnvdimm.acpi;

import java.util.Locale;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parses and validates an NFIT table or a bare _FIT buffer. Every problem is an {@link AcpiParseException}
 * naming the offset and field; no other exception escapes for any input. Each loop iteration consumes at
 * least 4 bytes, and a caller may additionally cap the iterations with a step budget.
 *
 * <p>Checks: header size, signature, header Length equal to the buffer length, the reserved field being
 * present, checksum; per structure: room for Type/Length, Length of 0 / below 4 / below the minimum for its
 * known type, running past the end, line/hint counts fitting the structure; across structures: SPA index 0
 * (reserved), duplicate SPA indexes, SPA ranges wrapping past 2^64, overlapping SPA ranges of the same
 * address range type, Memory Device maps naming an SPA index that no SPA range has. Unknown types are kept
 * as {@link NfitUnknown}.
 */
public final class NfitParser {
    private NfitParser() {
    }

    /** Parses a full NFIT table (header, reserved dword, structures). */
    public static ParsedNfit parseTable(byte[] table) {
        return parseTable(table, Integer.MAX_VALUE);
    }

    /**
     * As {@link #parseTable(byte[])}, failing with field "parser step budget" if more than {@code maxSteps}
     * structures would be read (a guard for fuzzing; a well-formed table needs at most length/4 steps).
     */
    public static ParsedNfit parseTable(byte[] table, int maxSteps) {
        AcpiHeader header = AcpiHeader.decode(table); // rejects null and < 36 bytes
        if (!NfitWriter.SIGNATURE.equals(header.signature())) {
            throw new AcpiParseException(0, "Signature",
                    "expected \"NFIT\", found \"" + Le.printable(header.signature()) + "\"");
        }
        if (header.length() != table.length) {
            throw new AcpiParseException(4, "Length", "header says " + header.length() + " bytes but the buffer holds "
                    + table.length + (header.length() > table.length ? " (table runs past the buffer)" : ""));
        }
        if (table.length < NfitWriter.STRUCTURES_OFFSET) {
            throw new AcpiParseException(AcpiHeader.SIZE_BYTES, "Reserved",
                    "table of " + table.length + " bytes ends inside the 4-byte reserved field at offset 36");
        }
        int sum = AcpiChecksum.sum(table);
        if (sum != 0) {
            int stored = table[AcpiChecksum.CHECKSUM_OFFSET] & 0xFF;
            throw new AcpiParseException(AcpiChecksum.CHECKSUM_OFFSET, "Checksum", String.format(Locale.ROOT, 
                    "bytes sum to 0x%02X, not 0; stored checksum 0x%02X should be 0x%02X", sum, stored,
                    (stored - sum) & 0xFF));
        }
        List<NfitStructure> structures = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        parseStructures(table, NfitWriter.STRUCTURES_OFFSET, table.length, maxSteps, structures, offsets);
        return new ParsedNfit(Optional.of(header), Le.u32(table, AcpiHeader.SIZE_BYTES), structures, offsets);
    }

    /** Parses a bare _FIT buffer: structures from offset 0 to the end, no header. */
    public static ParsedNfit parseFit(byte[] fit) {
        return parseFit(fit, Integer.MAX_VALUE);
    }

    public static ParsedNfit parseFit(byte[] fit, int maxSteps) {
        if (fit == null) {
            throw new AcpiParseException(0, "FIT", "no buffer (null)");
        }
        List<NfitStructure> structures = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        parseStructures(fit, 0, fit.length, maxSteps, structures, offsets);
        return new ParsedNfit(Optional.empty(), 0, structures, offsets);
    }

    private static void parseStructures(byte[] b, int start, int end, int maxSteps, List<NfitStructure> out,
                                        List<Integer> offsets) {
        int p = start;
        int steps = 0;
        while (p < end) {
            if (++steps > maxSteps) {
                throw new AcpiParseException(p, "parser step budget", "more than " + maxSteps + " structures");
            }
            if (end - p < 4) {
                throw new AcpiParseException(p, "Type", "only " + (end - p)
                        + " bytes left, a structure needs 4 for its Type and Length");
            }
            int type = Le.u16(b, p);
            int length = Le.u16(b, p + 2);
            if (length < 4) {
                throw new AcpiParseException(p + 2, "Length", "structure type " + type + " has Length " + length
                        + (length == 0 ? " (would never advance)" : ", less than its own 4-byte Type/Length"));
            }
            if (length > end - p) {
                throw new AcpiParseException(p + 2, "Length", "structure type " + type + " of " + length
                        + " bytes at offset " + p + " runs past the end of the buffer at " + end);
            }
            out.add(decode(b, p, type, length));
            offsets.add(p);
            p += length;
        }
        checkConsistency(out, offsets);
    }

    private static NfitStructure decode(byte[] b, int p, int type, int length) {
        switch (type) {
            case NfitStructure.TYPE_SPA_RANGE -> {
                requireMin(p, type, length, NfitSpaRange.BASE_LENGTH_BYTES);
                return NfitSpaRange.decode(b, p, length);
            }
            case NfitStructure.TYPE_MEMORY_DEVICE_MAP -> {
                requireMin(p, type, length, NfitMemoryDeviceMap.LENGTH_BYTES);
                return NfitMemoryDeviceMap.decode(b, p);
            }
            case NfitStructure.TYPE_INTERLEAVE -> {
                requireMin(p, type, length, NfitInterleave.MIN_LENGTH_BYTES);
                long lines = Le.u32(b, p + 8);
                if (NfitInterleave.MIN_LENGTH_BYTES + 4 * lines > length) {
                    throw new AcpiParseException(p + 8, "Number of Lines", lines + " line offsets need "
                            + (NfitInterleave.MIN_LENGTH_BYTES + 4 * lines) + " bytes, structure Length is " + length);
                }
                return NfitInterleave.decode(b, p, (int) lines);
            }
            case NfitStructure.TYPE_SMBIOS -> {
                requireMin(p, type, length, NfitSmbios.MIN_LENGTH_BYTES);
                return NfitSmbios.decode(b, p, length);
            }
            case NfitStructure.TYPE_CONTROL_REGION -> {
                requireMin(p, type, length, NfitControlRegion.SHORT_LENGTH_BYTES);
                int windows = Le.u16(b, p + 30);
                if (windows != 0 && length < NfitControlRegion.LENGTH_BYTES) {
                    throw new AcpiParseException(p + 2, "Length", "Control Region with " + windows
                            + " block control windows needs 80 bytes, Length is " + length);
                }
                return NfitControlRegion.decode(b, p, length);
            }
            case NfitStructure.TYPE_BLOCK_DATA_WINDOW -> {
                requireMin(p, type, length, NfitBlockDataWindow.LENGTH_BYTES);
                return NfitBlockDataWindow.decode(b, p);
            }
            case NfitStructure.TYPE_FLUSH_HINT_ADDRESS -> {
                requireMin(p, type, length, NfitFlushHintAddress.MIN_LENGTH_BYTES);
                int hints = Le.u16(b, p + 8);
                if (NfitFlushHintAddress.MIN_LENGTH_BYTES + 8L * hints > length) {
                    throw new AcpiParseException(p + 8, "Number of Flush Hint Addresses", hints
                            + " addresses need " + (NfitFlushHintAddress.MIN_LENGTH_BYTES + 8L * hints)
                            + " bytes, structure Length is " + length);
                }
                return NfitFlushHintAddress.decode(b, p, hints);
            }
            case NfitStructure.TYPE_PLATFORM_CAPABILITIES -> {
                requireMin(p, type, length, NfitPlatformCapabilities.LENGTH_BYTES);
                return NfitPlatformCapabilities.decode(b, p);
            }
            default -> {
                byte[] raw = new byte[length];
                System.arraycopy(b, p, raw, 0, length);
                return new NfitUnknown(type, raw);
            }
        }
    }

    private static void requireMin(int p, int type, int length, int min) {
        if (length < min) {
            throw new AcpiParseException(p + 2, "Length", "Length " + length + " is below the minimum " + min
                    + " for type " + type + " (" + NfitStructure.typeName(type) + ")");
        }
    }

    private static void checkConsistency(List<NfitStructure> structures, List<Integer> offsets) {
        Map<Integer, Integer> spaOffsetByIndex = new HashMap<>();
        List<Integer> spaPositions = new ArrayList<>();
        for (int i = 0; i < structures.size(); i++) {
            if (!(structures.get(i) instanceof NfitSpaRange spa)) {
                continue;
            }
            int p = offsets.get(i);
            if (spa.rangeIndex() == 0) {
                throw new AcpiParseException(p + 4, "SPA Range Structure Index",
                        "index 0 is reserved and must not be used");
            }
            Integer earlier = spaOffsetByIndex.putIfAbsent(spa.rangeIndex(), p);
            if (earlier != null) {
                throw new AcpiParseException(p + 4, "SPA Range Structure Index", "index " + spa.rangeIndex()
                        + " duplicates the SPA range at offset " + earlier);
            }
            if (spa.rangeLengthBytes() != 0
                    && Long.compareUnsigned(spa.rangeBase(), -1L - (spa.rangeLengthBytes() - 1)) > 0) {
                throw new AcpiParseException(p + 40, "System Physical Address Range Length", String.format(Locale.ROOT, 
                        "range 0x%X + 0x%X wraps past 2^64", spa.rangeBase(), spa.rangeLengthBytes()));
            }
            for (int j : spaPositions) {
                NfitSpaRange other = (NfitSpaRange) structures.get(j);
                if (other.rangeTypeGuid().equals(spa.rangeTypeGuid()) && overlaps(other, spa)) {
                    throw new AcpiParseException(p + 32, "System Physical Address Range Base", String.format(Locale.ROOT, 
                            "[0x%X, 0x%X) of SPA index %d overlaps [0x%X, 0x%X) of SPA index %d at offset %d "
                                    + "(same address range type %s)", spa.rangeBase(), spa.rangeEnd(),
                            spa.rangeIndex(), other.rangeBase(), other.rangeEnd(), other.rangeIndex(),
                            offsets.get(j), Guid.text(spa.rangeTypeGuid())));
                }
            }
            spaPositions.add(i);
        }
        Set<Integer> spaIndexes = new HashSet<>(spaOffsetByIndex.keySet());
        for (int i = 0; i < structures.size(); i++) {
            if (structures.get(i) instanceof NfitMemoryDeviceMap map && map.spaRangeIndex() != 0
                    && !spaIndexes.contains(map.spaRangeIndex())) {
                List<Integer> known = new ArrayList<>(spaIndexes);
                Collections.sort(known);
                throw new AcpiParseException(offsets.get(i) + 12, "SPA Range Structure Index", String.format(Locale.ROOT, 
                        "memory device handle 0x%X refers to SPA index %d, but the SPA ranges present have %s",
                        map.deviceHandle(), map.spaRangeIndex(), known.isEmpty() ? "none" : "indexes " + known));
            }
        }
    }

    /** Half-open unsigned ranges, both already known not to wrap; empty ranges overlap nothing. */
    private static boolean overlaps(NfitSpaRange a, NfitSpaRange b) {
        if (a.rangeLengthBytes() == 0 || b.rangeLengthBytes() == 0) {
            return false;
        }
        return Long.compareUnsigned(a.rangeBase(), b.rangeEnd() - 1) <= 0
                && Long.compareUnsigned(b.rangeBase(), a.rangeEnd() - 1) <= 0;
    }
}
