package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vnvdimm.qemu.acpi.QemuConfig.MemoryDevice;

/** The dimmpxm options of QEMU's bios-tables-test must give QEMU's golden NFIT byte for byte. */
class GoldenNfitTest {
    @Test
    void goldenResourceIsTheDocumentedFile() throws Exception {
        byte[] golden = QemuAcpiFixtures.goldenNfit();
        assertEquals("6a2f220396b936163a88b786a76ebb93e307b8f45547f0174098d2b99875ea33",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(golden)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "q35"})
    void bothMachinesReproduceTheGoldenNfit(String machine) throws Exception {
        AcpiTables tables = AcpiTool.build(QemuAcpiFixtures.goldenOptions(machine));
        assertArrayEquals(QemuAcpiFixtures.goldenNfit(), tables.nfit().orElseThrow());
    }

    @Test
    void readmeFormOfTheOptionsGivesTheSameBytes() throws Exception {
        assertArrayEquals(QemuAcpiFixtures.goldenNfit(),
                AcpiTool.build(QemuAcpiFixtures.README_OPTIONS).nfit().orElseThrow());
    }

    @Test
    void goldenPlacementSlotsAndSsdtInputs() {
        AcpiTables tables = AcpiTool.build(QemuAcpiFixtures.goldenOptions("pc"));
        QemuConfig c = tables.config();
        List<MemoryDevice> devices = c.memoryDevices();
        assertEquals(2, devices.size());
        assertEquals(0, devices.get(0).slot());
        assertEquals(0x1_0000_0000L, devices.get(0).address());
        assertEquals(1, devices.get(1).slot());
        assertEquals(0x1_0800_0000L, devices.get(1).address());
        assertEquals(0x1_0000_0000L, c.deviceMemory().orElseThrow().baseAddress());
        assertEquals(0x3800_0000L + 3 * 0x4000_0000L, c.deviceMemory().orElseThrow().sizeBytes());
        assertEquals(4, c.numaNodes().size());
        assertEquals(3, tables.slots());
        assertEquals("BOCHS ", tables.oemId());
        assertEquals("BXPC    ", tables.oemTableId());
        assertTrue(tables.ssdtExpected());
        assertTrue(c.notes().stream().anyMatch(n -> n.startsWith("-device ide-hd")), c.notes().toString());
    }

    @Test
    void fitIsTheNfitWithoutHeaderAndReservedDword() throws Exception {
        byte[] golden = QemuAcpiFixtures.goldenNfit();
        AcpiTables tables = AcpiTool.build(QemuAcpiFixtures.goldenOptions("pc"));
        assertArrayEquals(java.util.Arrays.copyOfRange(golden, 40, golden.length), tables.fit());
    }
}
