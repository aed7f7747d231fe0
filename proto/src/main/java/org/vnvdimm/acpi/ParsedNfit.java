package org.vnvdimm.acpi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The result of parsing an NFIT table or a bare _FIT buffer.
 *
 * @param header           the table header; empty for a _FIT buffer
 * @param reservedField    the 4-byte reserved field at offset 36 of a table (0 for a _FIT buffer)
 * @param structures       the sub-structures in table order
 * @param structureOffsets offset of each structure in the parsed buffer, same order
 */
public record ParsedNfit(Optional<AcpiHeader> header, long reservedField, List<NfitStructure> structures,
                         List<Integer> structureOffsets) {
    public ParsedNfit {
        structures = List.copyOf(structures);
        structureOffsets = List.copyOf(structureOffsets);
        if (structures.size() != structureOffsets.size()) {
            throw new IllegalArgumentException(structures.size() + " structures but " + structureOffsets.size()
                    + " offsets");
        }
    }

    /** The structures of one record type, in table order. */
    public <T extends NfitStructure> List<T> ofType(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (NfitStructure s : structures) {
            if (type.isInstance(s)) {
                out.add(type.cast(s));
            }
        }
        return out;
    }

    public List<NfitSpaRange> spaRanges() {
        return ofType(NfitSpaRange.class);
    }

    public List<NfitMemoryDeviceMap> memoryDeviceMaps() {
        return ofType(NfitMemoryDeviceMap.class);
    }

    public List<NfitControlRegion> controlRegions() {
        return ofType(NfitControlRegion.class);
    }

    public Optional<NfitPlatformCapabilities> platformCapabilities() {
        return ofType(NfitPlatformCapabilities.class).stream().findFirst();
    }

    /** Re-encodes the structures as a _FIT buffer. */
    public byte[] encodeFit() {
        return NfitWriter.writeFit(structures);
    }
}
