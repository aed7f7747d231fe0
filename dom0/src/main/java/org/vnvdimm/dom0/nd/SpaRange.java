package org.vnvdimm.dom0.nd;

import java.util.Locale;

import org.vnvdimm.contract.XenAbi;

/**
 * A system-physical address range [startBytes, endBytes). Page-granular ranges also expose their
 * machine frame numbers, which is what Xen's interfaces take.
 */
public record SpaRange(long startBytes, long endBytes) {
    public static final SpaRange EMPTY = new SpaRange(0, 0);

    public SpaRange {
        if (startBytes < 0 || endBytes < startBytes) {
            throw new NdException(NdException.Reason.BAD_RANGE, "spa",
                    org.vnvdimm.contract.ComponentBehavior.format("bad range [%#x, %#x)", startBytes, endBytes));
        }
    }

    public static SpaRange ofSize(long startBytes, long sizeBytes) {
        if (sizeBytes < 0 || startBytes > Long.MAX_VALUE - sizeBytes) {
            throw new NdException(NdException.Reason.BAD_RANGE, "sizeBytes",
                    org.vnvdimm.contract.ComponentBehavior.format("size %#x at %#x does not fit in 64 bits", sizeBytes, startBytes));
        }
        return new SpaRange(startBytes, startBytes + sizeBytes);
    }

    public long sizeBytes() { return endBytes - startBytes; }

    public boolean isEmpty() { return endBytes == startBytes; }

    /** First machine frame (startBytes rounded down to a page). */
    public long startMfn() { return startBytes >>> XenAbi.PAGE_SHIFT; }

    /** Machine frame just past the range (endBytes rounded up to a page). */
    public long endMfn() { return (endBytes + XenAbi.PAGE_SIZE - 1) >>> XenAbi.PAGE_SHIFT; }

    public long nrPages() { return endMfn() - startMfn(); }

    public boolean contains(long addressBytes) { return addressBytes >= startBytes && addressBytes < endBytes; }

    public boolean contains(SpaRange other) {
        return other.startBytes >= startBytes && other.endBytes <= endBytes;
    }

    public boolean overlaps(SpaRange other) {
        return other.startBytes < endBytes && startBytes < other.endBytes;
    }

    @Override
    public String toString() { return org.vnvdimm.contract.ComponentBehavior.format("[%#x, %#x)", startBytes, endBytes); }
}
