package org.vnvdimm.dom0.nd;

import java.util.Locale;

import org.vnvdimm.contract.XenAbi;

/**
 * Where a pfn device puts its parts inside a namespace (all SPAs, byte granular):
 *
 * <pre>
 *  namespace start
 *  | 4 KiB unused | 4 KiB pfn info block | reserve ............ | data area (2 MiB aligned) | end_trunc |
 *                                         ^ start + 8 KiB        ^ dataStart                ^ dataEnd
 * </pre>
 *
 * <ul>
 *   <li>RAM (--map=mem): no reserve; dataStart = ALIGN(start + 8 KiB, align).</li>
 *   <li>PMEM (--map=dev): Linux's rule, 64 bytes for every page of the namespace after the first
 *       8 KiB: dataStart = ALIGN(start + 8 KiB + 64 * ((size - 8 KiB) / 4 KiB), align).</li>
 *   <li>XEN (--map=xen): an explicit reserve of xenReserveBytes, or by default the smallest aligned
 *       dataStart whose reserve [start + 8 KiB, dataStart) holds 40 bytes (32-byte page_info + 8-byte
 *       M2P entry) for every data page. Rounding up to the alignment goes into the reserve.</li>
 *   <li>NONE (raw): no info block, the data area is the whole namespace.</li>
 * </ul>
 * The data area ends at the last align boundary inside the namespace; what is cut off is end_trunc.
 * start_pad is always 0 here (the namespace start need not be aligned; the data start is).
 */
public record NamespaceLayout(SpaRange namespace, PfnMode mode, long alignBytes, SpaRange infoBlock,
                              SpaRange reserve, SpaRange data, long endTruncBytes) {

    /** ND_PFN default alignment: 2 MiB (one x86-64 large page). */
    public static final long DEFAULT_ALIGN_BYTES = 2L << 20;
    /** The unused first 4 KiB plus the info block. */
    public static final long INFO_AREA_BYTES = 8192;
    public static final long XEN_BYTES_PER_PAGE = XenAbi.PAGE_INFO_BYTES + XenAbi.M2P_ENTRY_BYTES;
    /** MAX_STRUCT_PAGE_SIZE. */
    public static final long LINUX_STRUCT_PAGE_BYTES = 64;

    public long dataOffBytes() { return data.startBytes() - namespace.startBytes(); }

    public long dataPages() { return data.sizeBytes() / XenAbi.PAGE_SIZE; }

    /**
     * What Xen's pmem_setup needs in the reserve: page_info + M2P (40 bytes a page, each table
     * rounded up to whole pages) for the data area and for the reserve itself, which Xen also
     * describes when it becomes a management area.
     */
    public long requiredXenReserveBytes() {
        return Math.multiplyExact(xenPagesNeeded(reserve.sizeBytes() / XenAbi.PAGE_SIZE, dataPages()), XenAbi.PAGE_SIZE);
    }

    static long xenPagesNeeded(long reservePages, long dataPages) {
        return XenAbi.mgmtPagesFor(reservePages) + XenAbi.mgmtPagesFor(dataPages);
    }

    /**
     * Computes a layout.
     *
     * @param xenReserveBytes for XEN: 0 = the default (just enough for the data area), else a page
     *                        multiple; must be 0 for the other modes
     */
    public static NamespaceLayout compute(SpaRange ns, PfnMode mode, long xenReserveBytes, long alignBytes) {
        long page = XenAbi.PAGE_SIZE;
        if (alignBytes < page || Long.bitCount(alignBytes) != 1) {
            throw new NdException(NdException.Reason.BAD_RANGE, "alignBytes", alignBytes + " is not a power of two >= 4096");
        }
        if ((ns.startBytes() | ns.sizeBytes()) % page != 0 || ns.isEmpty()) {
            throw new NdException(NdException.Reason.BAD_RANGE, "namespace",
                    ns + " must be non-empty and 4 KiB aligned at both ends");
        }
        if (xenReserveBytes < 0 || (xenReserveBytes != 0 && mode != PfnMode.XEN)) {
            throw new NdException(NdException.Reason.BAD_MODE, "xenReserveBytes",
                    xenReserveBytes + " is only allowed (> 0) with map=xen, not map=" + mode.ndctlMap());
        }
        if (xenReserveBytes % page != 0) {
            throw new NdException(NdException.Reason.BAD_RANGE, "xenReserveBytes", xenReserveBytes + " is not a multiple of 4096");
        }
        if (mode == PfnMode.NONE) {
            return new NamespaceLayout(ns, mode, alignBytes, SpaRange.EMPTY, SpaRange.EMPTY, ns, 0);
        }
        long start = ns.startBytes();
        long size = ns.sizeBytes();
        long infoEnd = start + INFO_AREA_BYTES;
        long dataEnd = alignDown(ns.endBytes(), alignBytes);
        long endTrunc = ns.endBytes() - dataEnd;
        long dataStart;
        try {
            switch (mode) {
                case RAM -> dataStart = alignUp(infoEnd, alignBytes);
                case PMEM -> {
                    long npfns = (size - INFO_AREA_BYTES) / page;
                    dataStart = alignUp(Math.addExact(infoEnd, Math.multiplyExact(LINUX_STRUCT_PAGE_BYTES, npfns)), alignBytes);
                }
                case XEN -> {
                    if (xenReserveBytes > 0) {
                        if (xenReserveBytes >= size) {
                            throw new NdException(NdException.Reason.RESERVE_TOO_LARGE, "xenReserveBytes",
                                    org.vnvdimm.contract.ComponentBehavior.format("%#x is not smaller than the namespace size %#x", xenReserveBytes, size));
                        }
                        dataStart = alignUp(infoEnd + xenReserveBytes, alignBytes);
                    } else {
                        dataStart = minimalXenDataStart(start, dataEnd, alignBytes);
                    }
                }
                default -> throw new IllegalStateException("mode " + mode);
            }
        } catch (ArithmeticException e) {
            throw new NdException(NdException.Reason.BAD_RANGE, "namespace", ns + " is too large to lay out in 64 bits");
        }
        if (dataStart >= dataEnd) {
            throw new NdException(NdException.Reason.RESERVE_TOO_LARGE, mode == PfnMode.XEN && xenReserveBytes > 0 ? "xenReserveBytes" : "map",
                    org.vnvdimm.contract.ComponentBehavior.format("map=%s: the data area would start at %#x but the aligned namespace end is %#x (namespace %s, %d bytes)",
                            mode.ndctlMap(), dataStart, dataEnd, ns, size));
        }
        SpaRange info = SpaRange.ofSize(start + PfnInfoBlock.NAMESPACE_OFFSET_BYTES, PfnInfoBlock.SIZE_BYTES);
        SpaRange reserve = mode == PfnMode.RAM ? SpaRange.EMPTY : new SpaRange(infoEnd, dataStart);
        return new NamespaceLayout(ns, mode, alignBytes, info, reserve, new SpaRange(dataStart, dataEnd), endTrunc);
    }

    /**
     * Smallest aligned data start d whose reserve [start + 8 KiB, d) holds Xen's tables for the data
     * area [d, dataEnd) and for itself. The closed form 40 * (dataEnd - d) / 4096 <= d - (start + 8 KiB)
     * gives the first candidate; rounding each table up to whole pages may need one more step.
     */
    private static long minimalXenDataStart(long start, long dataEnd, long alignBytes) {
        long page = XenAbi.PAGE_SIZE;
        long relEnd = dataEnd - start;
        long num = Math.addExact(Math.multiplyExact(XEN_BYTES_PER_PAGE, relEnd), page * INFO_AREA_BYTES);
        long den = page + XEN_BYTES_PER_PAGE;
        long d = alignUp(start + Math.floorDiv(num + den - 1, den), alignBytes);
        long infoEnd = start + INFO_AREA_BYTES;
        while (d < dataEnd && xenPagesNeeded((d - infoEnd) / page, (dataEnd - d) / page) > (d - infoEnd) / page) d += alignBytes;
        return d;
    }

    static long alignUp(long v, long align) { return Math.addExact(v, align - 1) & -align; }

    static long alignDown(long v, long align) { return v & -align; }
}
