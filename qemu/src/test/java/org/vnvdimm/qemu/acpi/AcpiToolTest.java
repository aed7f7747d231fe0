package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcpiToolTest {
    @Test
    void writesNfitDatIntoTheOutputDirectory(@TempDir Path dir) throws Exception {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.goldenOptions("pc"));
        Optional<Path> written = AcpiTool.writeNfit(t, dir.resolve("out/acpi"));
        assertEquals(dir.resolve("out/acpi/NFIT.dat"), written.orElseThrow());
        assertArrayEquals(QemuAcpiFixtures.goldenNfit(), Files.readAllBytes(written.get()));
    }

    @Test
    void writesNothingWithoutNvdimms(@TempDir Path dir) throws Exception {
        AcpiTables t = AcpiTool.build("-m 1G");
        assertTrue(AcpiTool.writeNfit(t, dir).isEmpty());
        assertFalse(Files.exists(dir.resolve(AcpiTool.NFIT_FILE_NAME)));
    }

    @Test
    void argvAndStringFormsAgree() {
        AcpiTables fromString = AcpiTool.build(QemuAcpiFixtures.LABELS);
        AcpiTables fromArgv = AcpiTool.build(QemuArgs.split(QemuAcpiFixtures.LABELS));
        assertArrayEquals(fromString.nfit().orElseThrow(), fromArgv.nfit().orElseThrow());
        assertEquals(List.of(0, 1), fromArgv.config().nvdimms().stream().map(d -> d.slot()).toList());
    }

    @Test
    void returnedArraysAreCopies() {
        AcpiTables t = AcpiTool.build(QemuAcpiFixtures.goldenOptions("pc"));
        byte[] nfit = t.nfit().orElseThrow();
        nfit[0] = 'X';
        assertEquals('N', t.nfit().orElseThrow()[0]);
        byte[] fit = t.fit();
        fit[0] = 9;
        assertEquals(0, t.fit()[0]);
    }
}
