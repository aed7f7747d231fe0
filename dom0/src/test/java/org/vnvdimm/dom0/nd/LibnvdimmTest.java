package org.vnvdimm.dom0.nd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class LibnvdimmTest {
    private static final long MiB = 1L << 20;
    private static final long GiB = 1L << 30;

    @Test
    void regionsAreNamedInOrderAndMustNotOverlap() {
        Libnvdimm nd = new Libnvdimm(1);
        NvdimmRegion r0 = nd.addRegion(4 * GiB, 4 * GiB, 0, List.of(0x1, 0x101));
        NvdimmRegion r1 = nd.addRegion(8 * GiB, 4 * GiB, 1, List.of(0x2));
        assertEquals("region0", r0.name());
        assertEquals("region1", r1.name());
        assertEquals(List.of(0x1, 0x101), r0.dimmHandles());
        assertEquals(1, nd.region("region1").proximityDomain());
        NdException e = assertThrows(NdException.class, () -> nd.addRegion(7 * GiB, 2 * GiB, 0, List.of(3)));
        assertEquals(NdException.Reason.OVERLAP, e.reason());
        assertTrue(e.getMessage().contains("region0"), e.getMessage());
        NdException a = assertThrows(NdException.class, () -> nd.addRegion(20 * GiB + 1, GiB, 0, List.of(3)));
        assertEquals(NdException.Reason.BAD_RANGE, a.reason());
        NdException d = assertThrows(NdException.class, () -> nd.addRegion(20 * GiB, GiB, 0, List.of()));
        assertEquals("dimmHandles", d.field());
    }

    @Test
    void unknownRegionIsNamed() {
        Libnvdimm nd = new Libnvdimm(1);
        nd.addRegion(4 * GiB, 4 * GiB, 0, List.of(1));
        NdException e = assertThrows(NdException.class,
                () -> nd.createNamespace("region7", NamespaceMode.FSDAX, PfnMode.XEN, 0));
        assertEquals(NdException.Reason.NOT_FOUND, e.reason());
        assertEquals("region", e.field());
        assertTrue(e.getMessage().contains("region7") && e.getMessage().contains("region0"), e.getMessage());
    }

    @Test
    void namespacesDevicesAndOverlap() {
        Libnvdimm nd = new Libnvdimm(1);
        nd.addRegion(4 * GiB, 4 * GiB, 0, List.of(1));
        Namespace a = nd.createNamespace("region0", 0, GiB, NamespaceMode.FSDAX, PfnMode.XEN, 0);
        Namespace b = nd.createNamespace("region0", GiB, GiB, NamespaceMode.DEVDAX, PfnMode.PMEM, 0);
        assertEquals("namespace0.0", a.name());
        assertEquals("pmem0", a.blockDeviceName());
        assertEquals("/dev/pmem0", a.devicePath());
        assertNull(a.charDeviceName());
        assertEquals("namespace0.1", b.name());
        assertEquals("dax0.1", b.charDeviceName());
        assertNull(b.blockDevice());
        assertEquals(PfnInfoBlock.DAX_SIGNATURE, b.infoBlock().signature());
        assertEquals(PfnInfoBlock.PFN_SIGNATURE, a.infoBlock().signature());
        NdException o = assertThrows(NdException.class,
                () -> nd.createNamespace("region0", GiB + GiB / 2, GiB, NamespaceMode.FSDAX, PfnMode.RAM, 0));
        assertEquals(NdException.Reason.OVERLAP, o.reason());
        assertTrue(o.getMessage().contains("namespace0.1"), o.getMessage());
        NdException out = assertThrows(NdException.class,
                () -> nd.createNamespace("region0", 3 * GiB, 2 * GiB, NamespaceMode.FSDAX, PfnMode.RAM, 0));
        assertEquals(NdException.Reason.BAD_RANGE, out.reason());
        // the size-less form takes the lowest free part: [2 GiB, 4 GiB) of the region
        Namespace c = nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.RAM, 0);
        assertEquals(new SpaRange(6 * GiB, 8 * GiB), c.spa());
        assertEquals("pmem0.2", c.blockDeviceName());
        assertSame(c, nd.namespaceByDevice("/dev/pmem0.2"));
        assertSame(b, nd.namespaceByDevice("dax0.1"));
        assertSame(a, nd.namespaceAt(4 * GiB + 5 * MiB));
        assertNull(nd.namespaceAt(100 * GiB));
        assertThrows(NdException.class, () -> nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.RAM, 0));
        nd.destroyNamespace("namespace0.1");
        Namespace again = nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.RAM, 0);
        assertEquals("namespace0.1", again.name());
        assertEquals(new SpaRange(5 * GiB, 6 * GiB), again.spa());
        assertEquals(List.of("namespace0.0", "namespace0.1", "namespace0.2"),
                nd.namespaces().stream().map(Namespace::name).toList());
    }

    @Test
    void modeAndMapMustMatch() {
        Libnvdimm nd = new Libnvdimm(1);
        nd.addRegion(4 * GiB, 4 * GiB, 0, List.of(1));
        NdException raw = assertThrows(NdException.class, () -> nd.createNamespace("region0", NamespaceMode.RAW, PfnMode.XEN, 0));
        assertEquals("map", raw.field());
        NdException dax = assertThrows(NdException.class, () -> nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.NONE, 0));
        assertEquals(NdException.Reason.BAD_MODE, dax.reason());
        assertEquals(PfnMode.XEN, PfnMode.fromMap("xen"));
        assertEquals(NamespaceMode.DEVDAX, NamespaceMode.fromNdctl("devdax"));
        assertEquals("map", assertThrows(NdException.class, () -> PfnMode.fromMap("ram")).field());
    }

    @Test
    void uuidsAreDeterministicFromTheSeed() {
        Libnvdimm x = new Libnvdimm(42);
        Libnvdimm y = new Libnvdimm(42);
        Libnvdimm z = new Libnvdimm(43);
        for (Libnvdimm nd : List.of(x, y, z)) nd.addRegion(4 * GiB, 4 * GiB, 0, List.of(1));
        Namespace a = x.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 0);
        Namespace b = y.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 0);
        Namespace c = z.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 0);
        assertEquals(a.uuid(), b.uuid());
        assertEquals(a.infoBlock().uuid(), b.infoBlock().uuid());
        assertNotEquals(a.uuid(), c.uuid());
        assertNotEquals(a.uuid(), a.infoBlock().uuid());
        assertEquals(a.uuid(), a.infoBlock().parentUuid());
        assertEquals(4, a.uuid().version());
    }
}
