package org.vnvdimm.xen;

import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.acpi.AcpiParseException;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitParser;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.ParsedNfit;

/** Xen's boot-time reading of the NFIT (rfc-v3 acpi_nfit_init): the PMEM SPA ranges and their health. */
final class NfitPmem {
    private NfitPmem() {}

    record Range(long smfn, long emfn, int pxm, boolean failed) {}

    static final int FAILURE_FLAGS = NfitMemoryDeviceMap.FLAG_SAVE_FAILED | NfitMemoryDeviceMap.FLAG_RESTORE_FAILED
            | NfitMemoryDeviceMap.FLAG_FLUSH_FAILED | NfitMemoryDeviceMap.FLAG_NOT_ARMED | NfitMemoryDeviceMap.FLAG_MAP_FAILED;

    /** @throws IllegalArgumentException naming the offset and field when the table is malformed */
    static List<Range> pmemRanges(byte[] nfit) {
        ParsedNfit p;
        try {
            p = NfitParser.parseTable(nfit);
        } catch (AcpiParseException ex) {
            throw new IllegalArgumentException(ex.getMessage());
        }
        List<Range> out = new ArrayList<>();
        for (NfitSpaRange spa : p.spaRanges()) {
            if (!Guid.PERSISTENT_MEMORY.equals(spa.rangeTypeGuid())) continue;
            boolean failed = false;
            for (NfitMemoryDeviceMap m : p.memoryDeviceMaps()) {
                if (m.spaRangeIndex() == spa.rangeIndex() && (m.stateFlags() & FAILURE_FLAGS) != 0) failed = true;
            }
            // Only whole pages are usable as frames.
            long smfn = (spa.rangeBase() + (1L << 12) - 1) >>> 12;
            long emfn = (spa.rangeBase() + spa.rangeLengthBytes()) >>> 12;
            if (emfn <= smfn) continue;
            int pxm = (spa.flags() & NfitSpaRange.FLAG_PROXIMITY_DOMAIN_VALID) != 0 ? (int) spa.proximityDomain() : 0;
            out.add(new Range(smfn, emfn, pxm, failed));
        }
        return out;
    }
}
