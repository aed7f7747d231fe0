package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Whole files from src/test/resources/scenarios-bad, loaded by path as the CLI would. */
class BadScenarioFilesTest {

    private static Path file(String name) throws URISyntaxException {
        URL url = BadScenarioFilesTest.class.getClassLoader().getResource("scenarios-bad/" + name);
        assertEquals(true, url != null, "test resource scenarios-bad/" + name);
        return Path.of(url.toURI());
    }

    /** Loads the file and checks the whole message, which must start with the path as given. */
    private static ScenarioException check(String name, int line, int column, String field, String rest) throws Exception {
        Path path = file(name);
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.load(path));
        assertEquals(path.toString(), e.file());
        assertEquals(line, e.line());
        assertEquals(column, e.column());
        assertEquals(field, e.field());
        assertEquals(path + ":" + line + ":" + column + ": " + field + ": " + rest, e.getMessage());
        return e;
    }

    @Test
    void unknownKey() throws Exception {
        check("unknown-key.yaml", 13, 9, "steps[1].xl_create.domain.vnvdimm",
                "expected one of the keys name, domid, memory_bytes, vcpus, vnvdimms, workload, dm_acpi_bytes, qemu, device_model_args, hotplug_slots, passthrough, got 'vnvdimm'");
    }

    @Test
    void tabIndent() throws Exception {
        check("tab-indent.yaml", 5, 1, "(yaml)", "expected spaces (YAML does not allow tabs for indentation), got a tab character");
    }

    @Test
    void dimmOverlap() throws Exception {
        check("dimm-overlap.yaml", 10, 12, "platform.dimms[1].spa",
                "expected a range not overlapping platform.dimms[0] ([0x100000000, 0x200000000)), got '0x1_8000_0000'");
    }

    @Test
    void stepWithTwoActions() throws Exception {
        check("step-two-actions.yaml", 10, 5, "steps[1].mkfs",
                "expected only one of power_on, ndctl, pmem_setup, mkfs, file, xl_create, hotplug_dimm, nvdimm_hotplug, nvdimm_unplug, concurrently, fs, guest_io, power_cycle, mount (ndctl is already given at line 9,"
                        + " column 5), got 'mkfs' as well");
    }

    @Test
    void decimalSizeUnit() throws Exception {
        check("size-unit.yaml", 4, 14, "platform.ram_bytes",
                "expected a size with a 1024-based unit written exactly K/KiB, M/MiB, G/GiB or T/TiB (GB, kB and lower-case units"
                        + " are refused: they often mean powers of 1000), got '1GB'");
    }

    @Test
    void unknownOracle() throws Exception {
        check("expect-unknown-oracle.yaml", 12, 7, "expect.violations[1]",
                "expected an oracle name, one of " + String.join(", ", org.vnvdimm.sim.oracle.Oracles.ALL) + ","
                        + " got 'isolaton'");
    }
}
