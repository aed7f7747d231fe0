package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ACPICA's disassembler accepts every generated NFIT without errors or warnings. */
class IaslDisassemblyTest {
    private static boolean iaslOnPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "iasl"))) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"golden-pc", "golden-q35", "multi-node", "explicit-slot-addr", "labels", "unarmed",
            "q35-big-ram"})
    void iaslDisassemblesTheNfitCleanly(String name, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(iaslOnPath(), "iasl (Debian acpica-tools) not installed");
        String options = switch (name) {
            case "golden-pc" -> QemuAcpiFixtures.goldenOptions("pc");
            case "golden-q35" -> QemuAcpiFixtures.goldenOptions("q35");
            case "multi-node" -> QemuAcpiFixtures.MULTI_NODE;
            case "explicit-slot-addr" -> QemuAcpiFixtures.EXPLICIT_SLOT_ADDR;
            case "labels" -> QemuAcpiFixtures.LABELS;
            case "unarmed" -> QemuAcpiFixtures.UNARMED;
            default -> QemuAcpiFixtures.bigRam("q35");
        };
        AcpiTables tables = AcpiTool.build(options);
        Path nfit = AcpiTool.writeNfit(tables, dir).orElseThrow();
        Process p = new ProcessBuilder("iasl", "-p", dir.resolve("X").toString(), "-d", nfit.toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl finished");
        assertEquals(0, p.exitValue(), output);
        for (String line : output.split("\n")) {
            assertTrue(!line.contains("Error") && !line.contains("Warning"), "iasl said: " + line);
        }
        String dsl = Files.readString(dir.resolve("X.dsl"), StandardCharsets.ISO_8859_1);
        int devices = tables.config().nvdimms().size();
        assertEquals(devices, count(dsl, "[System Physical Address Range]"), dsl);
        assertEquals(devices, count(dsl, "[NVDIMM Control Region]"), dsl);
        assertEquals(devices, count(dsl, "Region Type GUID : 66F0D379-B4F3-4074-AC43-0D3318B78CDB"), dsl);
        assertEquals(tables.config().persistence().isPresent() ? 1 : 0, count(dsl, "[Platform Capabilities]"));
        assertTrue(!dsl.contains("****"), dsl);
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
