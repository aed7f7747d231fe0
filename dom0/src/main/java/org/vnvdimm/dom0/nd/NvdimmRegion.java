package org.vnvdimm.dom0.nd;

import java.util.List;

/**
 * A libnvdimm region (regionN): one SPA range of an interleave set, as Dom0's NFIT driver found it.
 *
 * @param id              the N of regionN
 * @param spa             the region's SPA range
 * @param proximityDomain the SPA range structure's proximity domain
 * @param dimmHandles     NFIT device handles of the DIMMs interleaved in this region, in NFIT order
 */
public record NvdimmRegion(int id, SpaRange spa, int proximityDomain, List<Integer> dimmHandles) {
    public NvdimmRegion {
        dimmHandles = List.copyOf(dimmHandles);
    }

    public String name() { return "region" + id; }

    public long sizeBytes() { return spa.sizeBytes(); }
}
