package org.vnvdimm.dom0.nd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Layout numbers worked out by hand (comments show the arithmetic). MiB = 2^20, GiB = 2^30, TiB = 2^40.
 */
class NamespaceLayoutTest {
    private static final long MiB = 1L << 20;
    private static final long GiB = 1L << 30;
    private static final long TiB = 1L << 40;

    private static Namespace make(long base, long size, NamespaceMode mode, PfnMode map, long reserve) {
        Libnvdimm nd = new Libnvdimm(7);
        nd.addRegion(base, size, 0, List.of(0x0001));
        return nd.createNamespace("region0", mode, map, reserve);
    }

    /** Pages Xen's pmem_setup needs: page_info (32 B) and M2P (8 B) tables, each rounded up to pages. */
    private static long xenPages(long pages) {
        return (32 * pages + 4095) / 4096 + (8 * pages + 4095) / 4096;
    }

    @Test
    void xenMap16GiB() {
        long base = 9 * GiB; // 0x2_4000_0000, 2 MiB aligned
        Namespace ns = make(base, 16 * GiB, NamespaceMode.FSDAX, PfnMode.XEN, 0);
        // The reserve [base + 8 KiB, d) must hold Xen's tables for the data area and for itself.
        // d = base + 162 MiB: reserve 41470 pages; data 4152832 pages;
        //   32444 + 8111 (data) + 324 + 81 (reserve) = 40960 pages <= 41470.
        assertEquals(base + 162 * MiB, ns.resource());
        assertEquals(new SpaRange(base + 8192, base + 162 * MiB), ns.xenReserveSpa());
        assertEquals(new SpaRange(base + 4096, base + 8192), ns.infoBlockSpa());
        assertEquals(new SpaRange(base + 162 * MiB, base + 16 * GiB), ns.dataSpa());
        assertEquals(4152832, ns.dataPages());
        assertEquals(40960L * 4096, ns.requiredXenReserveBytes());
        assertEquals(162 * MiB - 8192, ns.xenReserveSpa().sizeBytes());
        assertTrue(ns.xenReserveSufficient());
        // one 2 MiB step lower would not do: reserve 40958 pages, data 4153344 pages need 40560 + 400 = 40960
        assertEquals(40960, xenPages(4153344) + xenPages(40958));
        assertTrue(xenPages(4153344) + xenPages(40958) > 40958);
        // MFNs for XENPF_pmem_add / pmem_setup: whole 0x240000.., reserve 0x240002..0x24a200, data 0x24a200..0x640000
        assertEquals(0x240000L, ns.spa().startMfn());
        assertEquals(0x640000L, ns.spa().endMfn());
        assertEquals(0x240002L, ns.xenReserveSpa().startMfn());
        assertEquals(0x24a200L, ns.xenReserveSpa().endMfn());
        assertEquals(0x24a200L, ns.dataSpa().startMfn());
        assertEquals(0, ns.layout().endTruncBytes());
        // the block device is exactly the data area
        BlockDevice dev = ns.blockDevice();
        assertEquals("pmem0", dev.name());
        assertEquals(base + 162 * MiB, dev.spaStartBytes());
        assertEquals(16 * GiB - 162 * MiB, dev.sizeBytes());
        assertTrue(dev.daxCapable());
    }

    @Test
    void devMap16GiB() {
        long base = 9 * GiB;
        Namespace ns = make(base, 16 * GiB, NamespaceMode.FSDAX, PfnMode.PMEM, 0);
        // Linux: ALIGN(start + 8 KiB + 64 * ((16 GiB - 8 KiB) / 4 KiB), 2 MiB) - start
        //   = ALIGN(8192 + 64 * 4194302 = 268443520, 2 MiB) = 256 MiB + 2 MiB = 258 MiB
        assertEquals(258 * MiB, ns.layout().dataOffBytes());
        assertEquals(new SpaRange(base + 8192, base + 258 * MiB), ns.reserveSpa());
        assertEquals(SpaRange.EMPTY, ns.xenReserveSpa());
        assertEquals((16384 - 258) * 256L, ns.dataPages()); // 4128256
        assertTrue(ns.reserveSpa().sizeBytes() >= 64L * (16 * GiB - 8192) / 4096);
    }

    @Test
    void memMapHasNoReserve() {
        long base = 9 * GiB;
        Namespace ns = make(base, 16 * GiB, NamespaceMode.FSDAX, PfnMode.RAM, 0);
        assertEquals(SpaRange.EMPTY, ns.reserveSpa());
        assertEquals(base + 2 * MiB, ns.resource()); // ALIGN(base + 8 KiB, 2 MiB)
        assertEquals((16384 - 2) * 256L, ns.dataPages()); // (16 GiB - 2 MiB) / 4 KiB
    }

    @Test
    void xenMap16TiB() {
        long base = TiB;
        Namespace ns = make(base, 16 * TiB, NamespaceMode.FSDAX, PfnMode.XEN, 0);
        // d = 163842 MiB (about 160 GiB): reserve 41943550 pages, data 4253023744 pages;
        //   tables for both need 41943040 pages <= 41943550; 2 MiB less would leave 41943038 < 41943040.
        assertEquals(163842 * MiB, ns.layout().dataOffBytes());
        assertEquals(4253023744L, ns.dataPages());
        assertEquals(41943040L * 4096, ns.requiredXenReserveBytes());
        assertEquals(xenPages(4253023744L) + xenPages(41943550L), 41943040L);
        assertEquals(163842 * MiB - 8192, ns.xenReserveSpa().sizeBytes());
        assertTrue(ns.xenReserveSufficient());
        long lowerData = 4253023744L + 512, lowerReserve = 41943550L - 512;
        assertTrue(xenPages(lowerData) + xenPages(lowerReserve) > lowerReserve);
        assertEquals(0x10000000L, ns.spa().startMfn());
        assertEquals(0x10000002L, ns.xenReserveSpa().startMfn());
        assertEquals(0x12800200L, ns.xenReserveSpa().endMfn());
        assertEquals(0x12800200L, ns.dataSpa().startMfn());
    }

    @Test
    void devMap16TiB() {
        long base = TiB;
        Namespace ns = make(base, 16 * TiB, NamespaceMode.FSDAX, PfnMode.PMEM, 0);
        // 64 * (2^32 - 2) + 8192 = 2^38 + 8064 -> aligned up: 2^38 + 2 MiB = 256 GiB + 2 MiB: 1/64 of capacity
        assertEquals(256 * GiB + 2 * MiB, ns.layout().dataOffBytes());
        // (2^44 - 2^38 - 2^21) / 4096 = 2^32 - 2^26 - 512
        assertEquals(4227857920L, ns.dataPages());
    }

    @Test
    void endTruncAndExplicitReserve() {
        long base = 9 * GiB;
        // 1 GiB + 1 MiB: the last 1 MiB is not on a 2 MiB boundary -> end_trunc 1 MiB
        Namespace ns = make(base, GiB + MiB, NamespaceMode.FSDAX, PfnMode.XEN, 16 * MiB);
        assertEquals(MiB, ns.layout().endTruncBytes());
        assertEquals(base + GiB, ns.dataSpa().endBytes());
        // explicit 16 MiB reserve after the 8 KiB: ALIGN(base + 8 KiB + 16 MiB, 2 MiB) = base + 18 MiB
        assertEquals(base + 18 * MiB, ns.resource());
        assertTrue(ns.xenReserveSufficient()); // needs 40 * (1006 MiB / 4 KiB) = 10301440 < 18 MiB - 8 KiB
        Namespace small = make(base, 16 * GiB, NamespaceMode.FSDAX, PfnMode.XEN, 4 * MiB);
        assertTrue(!small.xenReserveSufficient(), "4 MiB cannot hold 40 B per page of ~16 GiB");
        assertEquals(small.infoBlock().dataOffBytes(), small.resource() - base);
    }

    @Test
    void rawIsTheWholeNamespace() {
        long base = 9 * GiB;
        Namespace ns = make(base, 16 * GiB, NamespaceMode.RAW, PfnMode.NONE, 0);
        assertEquals(ns.spa(), ns.dataSpa());
        assertEquals(SpaRange.EMPTY, ns.infoBlockSpa());
        assertEquals(null, ns.infoBlock());
        assertTrue(!ns.blockDevice().daxCapable());
    }

    @Test
    void reserveLargerThanNamespaceIsRefused() {
        Libnvdimm nd = new Libnvdimm(1);
        nd.addRegion(9 * GiB, 64 * MiB, 0, List.of(1));
        NdException e = assertThrows(NdException.class,
                () -> nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 64 * MiB));
        assertEquals(NdException.Reason.RESERVE_TOO_LARGE, e.reason());
        assertEquals("xenReserveBytes", e.field());
        NdException e2 = assertThrows(NdException.class,
                () -> nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 62 * MiB));
        assertEquals(NdException.Reason.RESERVE_TOO_LARGE, e2.reason());
        // a 2 MiB namespace has no room for any aligned data area after the 8 KiB info area
        NdException e3 = assertThrows(NdException.class,
                () -> nd.createNamespace("region0", 0, 2 * MiB, NamespaceMode.FSDAX, PfnMode.RAM, 0));
        assertEquals(NdException.Reason.RESERVE_TOO_LARGE, e3.reason());
        NdException e4 = assertThrows(NdException.class,
                () -> nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 4097));
        assertEquals("xenReserveBytes", e4.field());
        NdException e5 = assertThrows(NdException.class,
                () -> nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.PMEM, 4 * MiB));
        assertEquals(NdException.Reason.BAD_MODE, e5.reason());
    }
}
