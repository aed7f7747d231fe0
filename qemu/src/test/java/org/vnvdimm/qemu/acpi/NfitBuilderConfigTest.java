package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.AcpiHeader;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitControlRegion;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitParser;
import org.vnvdimm.acpi.NfitPlatformCapabilities;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.NfitStructure;
import org.vnvdimm.acpi.ParsedNfit;
import org.vnvdimm.qemu.acpi.QemuConfig.DeviceKind;
import org.vnvdimm.qemu.acpi.QemuConfig.MemoryDevice;

/**
 * Hand-checked NFITs for configurations other than the golden one. Expected values are worked out from
 * QEMU's rules (facts/qemu-acpi.md sections 3 and 7), written down as literals.
 */
class NfitBuilderConfigTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    /** The structures QEMU emits for one NVDIMM, from literal values. */
    private static List<NfitStructure> expectedDevice(int handle, int spaIndex, long pxm, long base, long size,
                                                      int flags, long serial) {
        return List.of(
                new NfitSpaRange(spaIndex, 3, pxm, Guid.PERSISTENT_MEMORY, base, size, 0x8008),
                new NfitMemoryDeviceMap(handle, 0, 0, spaIndex, spaIndex + 1, size, 0, 0, 0, 1, flags),
                NfitControlRegion.pmem(spaIndex + 1, 0x8086, 1, 1, serial, 0x0301));
    }

    private static ParsedNfit nfit(AcpiTables t) {
        return NfitParser.parseTable(t.nfit().orElseThrow());
    }

    @Test
    void severalNvdimmsOnDifferentNodesCompareOrderIndependently() {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.MULTI_NODE);
        ParsedNfit p = nfit(t);
        assertEquals(40 + 3 * (56 + 48 + 80), t.nfit().orElseThrow().length);
        List<NfitStructure> expected = new ArrayList<>();
        // d0: slot 0, 1 GiB at the region base (pc, 2 GiB RAM all below 4G -> base 4 GiB), node 1.
        expected.addAll(expectedDevice(1, 2, 1, 0x1_0000_0000L, GIB, 0, 0x123456));
        // d1: slot 1, 2 GiB, first fit after d0, node 0.
        expected.addAll(expectedDevice(2, 4, 0, 0x1_4000_0000L, 2 * GIB, 0, 0x123457));
        // d2: slot 2, 512 MiB file backend (4 KiB pages), after d1, node 1.
        expected.addAll(expectedDevice(3, 6, 1, 0x1_C000_0000L, 512 * MIB, 0, 0x123458));
        assertEquals(QemuAcpiFixtures.orderIndependent(expected), QemuAcpiFixtures.orderIndependent(p.structures()));
        assertTrue(p.platformCapabilities().isEmpty());
        // Device memory: (10 GiB - 2 GiB) + 4 slots x 1 GiB.
        assertEquals(12 * GIB, t.config().deviceMemory().orElseThrow().sizeBytes());
        assertEquals(2, t.config().numaNodes().size());
    }

    @Test
    void q35WithRamAboveFourGigMovesTheRegionAndReportsMemCtrl() {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.bigRam("q35"));
        QemuConfig c = t.config();
        // q35: 4 GiB >= 0xB0000000, so 2 GiB below and 2 GiB above 4G; base = ROUND_UP(4G + 2G, 1G).
        assertEquals(2 * GIB, c.belowFourGBytes());
        assertEquals(2 * GIB, c.aboveFourGBytes());
        ParsedNfit p = nfit(t);
        List<NfitStructure> expected = new ArrayList<>(expectedDevice(1, 2, 0, 0x1_8000_0000L, GIB, 0, 0x123456));
        expected.add(new NfitPlatformCapabilities(1, 2));
        assertEquals(expected, p.structures());
    }

    @Test
    void pcAndXenfvSplitFourGigDifferently() {
        // pc: 4 GiB >= 0xE0000000 and gigabyte_align -> 3 GiB below, 1 GiB above; base 5 GiB -> 0x140000000.
        QemuConfig pc = QemuOptions.parse(QemuAcpiFixtures.bigRam("pc"));
        assertEquals(3 * GIB, pc.belowFourGBytes());
        assertEquals(0x1_4000_0000L, pc.nvdimms().get(0).address());
        // xenfv: Xen ends low RAM at 0xF0000000 -> 256 MiB above; base ROUND_UP(0x110000000, 1G).
        QemuConfig xen = QemuOptions.parse(QemuAcpiFixtures.bigRam("xenfv"));
        assertEquals(0xF000_0000L, xen.belowFourGBytes());
        assertEquals(256 * MIB, xen.aboveFourGBytes());
        assertEquals(0x1_4000_0000L, xen.nvdimms().get(0).address());
        assertEquals("xen", xen.accel());
        // 3 GiB: q35 splits (>= 0xB0000000), pc does not (< 0xE0000000).
        String threeGig = "-m 3G,slots=1,maxmem=5G -object memory-backend-ram,id=n,size=1G -device nvdimm,memdev=n";
        assertEquals(0x1_4000_0000L, QemuOptions.parse("-M q35,nvdimm=on " + threeGig).nvdimms().get(0).address());
        assertEquals(0x1_0000_0000L, QemuOptions.parse("-M pc,nvdimm=on " + threeGig).nvdimms().get(0).address());
        // max-ram-below-4g lowers the split on pc.
        QemuConfig low = QemuOptions.parse("-M pc,nvdimm=on,max-ram-below-4g=2G " + threeGig);
        assertEquals(2 * GIB, low.belowFourGBytes());
        assertEquals(0x1_4000_0000L, low.nvdimms().get(0).address());
    }

    @Test
    void explicitSlotAndAddressMixWithFirstFit() {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.EXPLICIT_SLOT_ADDR);
        List<MemoryDevice> d = t.config().memoryDevices();
        assertEquals(List.of(3, 0, 1), d.stream().map(MemoryDevice::slot).toList());
        assertEquals(List.of(0x1_8000_0000L, 0x1_0000_0000L, 0x1_4000_0000L),
                d.stream().map(MemoryDevice::address).toList());
        assertEquals(DeviceKind.PC_DIMM, d.get(1).kind());
        ParsedNfit p = nfit(t);
        List<NfitStructure> expected = new ArrayList<>();
        expected.addAll(expectedDevice(2, 4, 0, 0x1_4000_0000L, 512 * MIB, 0, 0x123457)); // n2, slot 1
        expected.addAll(expectedDevice(4, 8, 0, 0x1_8000_0000L, GIB, 0, 0x123459));       // n1, slot 3
        assertEquals(expected, p.structures()); // slot order
        assertEquals(List.of(2L, 4L), p.memoryDeviceMaps().stream().map(NfitMemoryDeviceMap::deviceHandle).toList());
    }

    @Test
    void labelSizeShrinksTheRegionAndRoundsDownToTheBackendAlignment() {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.LABELS);
        List<MemoryDevice> d = t.config().nvdimms();
        // RAM backend, 2 MiB aligned: ALIGN_DOWN(128M - 128K, 2M) = 126 MiB.
        assertEquals(126 * MIB, d.get(0).regionSizeBytes());
        assertEquals(128 * MIB - 128 * 1024, d.get(0).labelOffsetInBackendBytes());
        assertEquals(128 * 1024, d.get(0).labelSizeBytes());
        // File backend, 4 KiB pages: 128M - 256K exactly, placed after the first at a 4 KiB boundary.
        assertEquals(0x7FC_0000L, d.get(1).regionSizeBytes());
        assertEquals(0x1_07E0_0000L, d.get(1).address());
        ParsedNfit p = nfit(t);
        List<NfitStructure> expected = new ArrayList<>();
        expected.addAll(expectedDevice(1, 2, 0, 0x1_0000_0000L, 126 * MIB, 0, 0x123456));
        expected.addAll(expectedDevice(2, 4, 0, 0x1_07E0_0000L, 0x7FC_0000L, 0, 0x123457));
        assertEquals(expected, p.structures());
    }

    @Test
    void unarmedSetsTheNotArmedFlagAndReadOnlyIsRecorded() {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.UNARMED);
        MemoryDevice u = t.config().nvdimms().get(0);
        assertTrue(u.unarmed());
        assertTrue(u.readOnly());
        assertEquals(expectedDevice(1, 2, 0, 0x1_0000_0000L, 256 * MIB, NfitMemoryDeviceMap.FLAG_NOT_ARMED, 0x123456),
                nfit(t).structures());
        assertEquals(8, nfit(t).memoryDeviceMaps().get(0).stateFlags());
    }

    @Test
    void oemIdsFromTheMachineArePaddedWithNul() {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.README_OPTIONS.replace("-machine pc,",
                "-machine pc,oem-id=ABC,oem-table-id=TABLE1,"));
        AcpiHeader h = nfit(t).header().orElseThrow();
        assertEquals("ABC\0\0\0", h.oemId());
        assertEquals("TABLE1\0\0", h.oemTableId());
        assertEquals("ABC", t.oemId());
        assertEquals("TABLE1", t.oemTableId());
        assertEquals("BXPC", h.creatorId());
    }

    @Test
    void noNvdimmMeansNoNfitButTheSsdtIsStillExpected() {
        AcpiTables t = AcpiTool.build("-machine pc,nvdimm=on -m 1G,slots=2,maxmem=2G"
                + " -object memory-backend-ram,id=r,size=256M -device pc-dimm,id=p,memdev=r");
        assertTrue(t.nfit().isEmpty());
        assertEquals(0, t.fit().length);
        assertTrue(t.ssdtExpected());
        assertEquals(2, t.slots());
        AcpiTables off = AcpiTool.build("-m 1G");
        assertTrue(off.nfit().isEmpty());
        assertFalse(off.ssdtExpected());
    }

    @Test
    void fitMatchesTheTableStructuresForEveryConfiguration() {
        for (String options : List.of(QemuAcpiFixtures.MULTI_NODE, QemuAcpiFixtures.EXPLICIT_SLOT_ADDR,
                QemuAcpiFixtures.LABELS, QemuAcpiFixtures.UNARMED, QemuAcpiFixtures.bigRam("q35"))) {
            AcpiTables t = AcpiTool.build(options);
            byte[] nfit = t.nfit().orElseThrow();
            assertArrayEquals(java.util.Arrays.copyOfRange(nfit, 40, nfit.length), t.fit(), options);
            assertEquals(NfitParser.parseTable(nfit).structures(), NfitParser.parseFit(t.fit()).structures());
        }
    }
}
