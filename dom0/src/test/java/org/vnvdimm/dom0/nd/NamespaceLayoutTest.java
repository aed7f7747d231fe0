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

    @Test
    void xenMap16GiB() {
        long base = 9 * GiB; // 0x2_4000_0000, 2 MiB aligned
        Namespace ns = make(base, 16 * GiB, NamespaceMode.FSDAX, PfnMode.XEN, 0);
        // Need d with 40 * (16 GiB - d) / 4096 <= d - 8 KiB  =>  d >= (40 * 2^34 + 4096 * 8192) / 4136
        //   = 687228321792 / 4136 = 166157718.7 -> 166157719; rounded up to 2 MiB: 80 * 2 MiB = 160 MiB.
        assertEquals(base + 160 * MiB, ns.resource());
        assertEquals(new SpaRange(base + 8192, base + 160 * MiB), ns.xenReserveSpa());
        assertEquals(new SpaRange(base + 4096, base + 8192), ns.infoBlockSpa());
        assertEquals(new SpaRange(base + 160 * MiB, base + 16 * GiB), ns.dataSpa());
        // data pages: (16384 - 160) MiB / 4 KiB = 16224 * 256 = 4153344; at 40 B each = 166133760 bytes
        assertEquals(4153344, ns.dataPages());
        assertEquals(166133760L, ns.requiredXenReserveBytes());
        assertEquals(167763968L, ns.xenReserveSpa().sizeBytes()); // 160 MiB - 8 KiB
        assertTrue(ns.xenReserveSufficient());
        // one 2 MiB step lower would not do: 40 * 4153856 = 166154240 > 158 MiB - 8 KiB = 165675008
        assertTrue(40L * ((16 * GiB - 158 * MiB) / 4096) > 158 * MiB - 8192);
        // MFNs for XENPF_pmem_add: whole 0x240000.., reserve 0x240002..0x24a000, data 0x24a000..0x640000
        assertEquals(0x240000L, ns.spa().startMfn());
        assertEquals(0x640000L, ns.spa().endMfn());
        assertEquals(0x240002L, ns.xenReserveSpa().startMfn());
        assertEquals(0x24a000L, ns.xenReserveSpa().endMfn());
        assertEquals(0x24a000L, ns.dataSpa().startMfn());
        assertEquals(0, ns.layout().endTruncBytes());
        // the block device is exactly the data area
        BlockDevice dev = ns.blockDevice();
        assertEquals("pmem0", dev.name());
        assertEquals(base + 160 * MiB, dev.spaStartBytes());
        assertEquals(16 * GiB - 160 * MiB, dev.sizeBytes());
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
        // d >= (40 * 2^44 + 4096 * 8192) / 4136 = 703687475331072 / 4136 = 170137203900.2 -> 170137203901
        // rounded up to 2 MiB: 81128 * 2097152 = 170137747456 (about 158.45 GiB)
        assertEquals(170137747456L, ns.layout().dataOffBytes());
        // data pages: (2^44 - 170137747456) / 4096 = 4253429760; 40 B each = 170137190400
        assertEquals(4253429760L, ns.dataPages());
        assertEquals(170137190400L, ns.requiredXenReserveBytes());
        assertEquals(170137747456L - 8192, ns.xenReserveSpa().sizeBytes());
        assertTrue(ns.xenReserveSufficient());
        // 2 MiB less would not hold it: 40 * 4253430272 = 170137210880 > 170135650304 - 8192
        assertTrue(40L * 4253430272L > 170135650304L - 8192);
        assertEquals(0x10000000L, ns.spa().startMfn());
        assertEquals(0x10000002L, ns.xenReserveSpa().startMfn());
        assertEquals(0x1279d000L, ns.xenReserveSpa().endMfn());
        assertEquals(0x1279d000L, ns.dataSpa().startMfn());
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
