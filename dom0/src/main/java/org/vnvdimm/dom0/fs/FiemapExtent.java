package org.vnvdimm.dom0.fs;

import org.vnvdimm.contract.XenAbi;

/**
 * One extent as FIEMAP reports it: fe_logical and fe_physical in bytes (physical from the start of
 * the block device), fe_length in bytes, fe_flags.
 */
public record FiemapExtent(long logicalBytes, long physicalBytes, long lengthBytes, int flags) {
    public static final int FIEMAP_EXTENT_LAST = XenAbi.FIEMAP_EXTENT_LAST;
    /** The extent's blocks are also used by another file (reflink). */
    public static final int FIEMAP_EXTENT_SHARED = 0x2000;

    public boolean last() { return (flags & FIEMAP_EXTENT_LAST) != 0; }

    public boolean shared() { return (flags & FIEMAP_EXTENT_SHARED) != 0; }
}
