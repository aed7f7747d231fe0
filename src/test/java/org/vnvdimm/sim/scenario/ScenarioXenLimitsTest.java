package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vnvdimm.sim.scenario.ScenarioTexts.fails;
import static org.vnvdimm.sim.scenario.ScenarioTexts.with;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.run.ScenarioDriver;

/** Load-time checks with Xen's, libxl's and QEMU's own limits, count expansion, and expect.step_failures. */
class ScenarioXenLimitsTest {

    /** VALID's xl_create step (line 33), with the domain given. */
    private static final String XL_STEP = ScenarioTexts.VALID.substring(ScenarioTexts.VALID.indexOf("  - xl_create:"),
            ScenarioTexts.VALID.indexOf("  - power_on:\nexpect:"));

    /** VALID with a second xl_create step after the first (at line 45). */
    private static String withSecondDomain(String domainLines) {
        int end = ScenarioTexts.VALID.indexOf("  - power_on:\nexpect:");
        return ScenarioTexts.VALID.substring(0, end) + "  - xl_create:\n      domain:\n" + domainLines + ScenarioTexts.VALID.substring(end);
    }

    // ------------------------------------------------------------ count expansion

    @Test
    void aMillionDomainsAreRefusedAtTheirCount() {
        ScenarioException e = fails(with("  - xl_create:\n", "  - xl_create:\n      count: 1000000\n")
                .replace("name: vm1", "name: vm%d"), 34, 14, "steps[5].xl_create.count", "'1000000'");
        assertEquals("at most 100,000 steps once counts are expanded (5 before this one, so a count of at most 99995 here)", e.expected());
    }

    @Test
    void countsAddUpAcrossSteps() {
        String text = with("  - file: {path: /mnt/pmem0/vm1.img, size_bytes: 1GiB, extents: 4}",
                "  - file: {path: /mnt/pmem0/f%d.img, size_bytes: 4K, count: 60000}\n  - file: {path: /mnt/pmem0/g%d.img, size_bytes: 4K, count: 0xFFFF_FFFF}\n  - file: {path: /mnt/pmem0/vm1.img, size_bytes: 1GiB, extents: 4}");
        ScenarioException e = fails(text, 33, 61, "steps[5].file.count", "'0xFFFF_FFFF'");
        assertEquals("at most 100,000 steps once counts are expanded (60004 before this one, so a count of at most 39996 here)",
                e.expected());
    }

    @Test
    void exactlyMaxStepsIsAccepted() {
        int room = ScenarioDriver.MAX_STEPS - 6; // VALID has 7 steps; this one stands for `room` of them
        assertDoesNotThrow(() -> ScenarioLoader.parse(with("  - power_on:\nexpect:",
                "  - file: {path: /mnt/pmem0/n%d, size_bytes: 4K, count: " + room + "}\nexpect:"), "t.yaml"));
    }

    // ------------------------------------------------------------ CPUs

    @Test
    void nrCpusIsAtMostXensNrCpus() {
        ScenarioException e = fails(with("nr_cpus: 4", "nr_cpus: 257"), 13, 12, "platform.nr_cpus", "'257'");
        assertEquals("t.yaml:13:12: platform.nr_cpus: expected 0 (the default) to 256 (Xen 4.10's NR_CPUS), got '257'", e.getMessage());
        assertDoesNotThrow(() -> ScenarioLoader.parse(with("nr_cpus: 4", "nr_cpus: 256"), "t.yaml"));
        assertDoesNotThrow(() -> ScenarioLoader.parse(with("nr_cpus: 4", "nr_cpus: 0"), "t.yaml"));
        fails(with("nr_cpus: 4", "nr_cpus: 0xFFFFFFFF"), 13, 12, "platform.nr_cpus", "'0xFFFFFFFF'");
    }

    @Test
    void vcpusIsAtMostHvmMaxVcpusButMayExceedTheHostsCpus() {
        ScenarioException e = fails(with("vcpus: 2", "vcpus: 129"), 37, 16, "steps[5].xl_create.domain.vcpus", "'129'");
        assertEquals("0 (one vCPU) to 128 (HVM_MAX_VCPUS: XEN_DOMCTL_max_vcpus refuses more with -EINVAL)", e.expected());
        // More vCPUs than the host's 4 CPUs is no libxl rule.
        assertDoesNotThrow(() -> ScenarioLoader.parse(with("vcpus: 2", "vcpus: 128"), "t.yaml"));
    }

    // ------------------------------------------------------------ domain names and domids

    @Test
    void aSecondDomainWithTheSameNameIsRefusedInLibxlsWords() {
        ScenarioException e = fails(withSecondDomain("        name: vm1\n        memory_bytes: 64M\n"), 47, 15,
                "steps[6].xl_create.domain.name", "'vm1'");
        assertEquals("a name no other domain has (libxl: domain with name \"vm1\" already exists: steps[5] at line 35, column 15)",
                e.expected());
    }

    @Test
    void aNameCollidingWithACountsExpansionIsRefused() {
        String text = with("  - xl_create:\n", "  - xl_create:\n      count: 3\n").replace("name: vm1", "name: vm%d")
                .replace("file: /mnt/pmem0/vm1.img\n", "file: /mnt/pmem0/vm%d.img\n");
        int end = text.indexOf("  - power_on:\nexpect:");
        text = text.substring(0, end) + "  - xl_create:\n      domain: {name: vm2, memory_bytes: 64M}\n" + text.substring(end);
        ScenarioException e = fails(text, 47, 22, "steps[6].xl_create.domain.name", "'vm2'");
        assertEquals("a name no other domain has (libxl: domain with name \"vm2\" already exists: steps[5] (instance 2 of count 3)"
                + " at line 36, column 15)", e.expected());
    }

    @Test
    void aCountWithoutPlaceholderNamesTwoDomainsAlike() {
        ScenarioException e = fails(with("  - xl_create:\n", "  - xl_create:\n      count: 2\n")
                .replace("file: /mnt/pmem0/vm1.img\n", "file: /mnt/pmem0/vm%d.img\n"), 36, 15, "steps[5].xl_create.domain.name", "'vm1'");
        assertEquals("a name with %d (replaced by 1..2) since count > 1", e.expected());
    }

    @Test
    void namesLibxlAndXlCannotUse() {
        ScenarioException slash = fails(with("name: vm1", "name: a/b"), 35, 15, "steps[5].xl_create.domain.name", "'a/b'");
        assertEquals("a domain name without '/' (it names the domain's xenstore entries)", slash.expected());
        ScenarioException digits = fails(with("name: vm1", "name: \"42\""), 35, 15, "steps[5].xl_create.domain.name", "'42'");
        assertEquals("a domain name not all digits (xl reads a number as a domid)", digits.expected());
        ScenarioException counted = fails(with("  - xl_create:\n", "  - xl_create:\n      count: 2\n").replace("name: vm1", "name: \"%d\"")
                .replace("file: /mnt/pmem0/vm1.img\n", "file: /mnt/pmem0/vm%d.img\n"), 36, 15, "steps[5].xl_create.domain.name", "'%d'");
        assertEquals("a name that, with %d replaced by 1, is not all digits (xl reads a number as a domid), e.g. vm%d", counted.expected());
    }

    @Test
    void explicitDomidsAreDistinctAndBelowTheReservedRange() {
        String one = with("name: vm1", "name: vm1\n        domid: 7");
        ScenarioException e = fails(one.replace("  - power_on:\nexpect:", "  - xl_create:\n      domain: {name: vm2, domid: 7, memory_bytes: 64M}\n"
                + "  - power_on:\nexpect:"), 47, 34, "steps[6].xl_create.domain.domid", "'7'");
        assertEquals("a domid no other domain has (Xen refuses a domid in use with -EEXIST: steps[5] at line 36, column 16 already"
                + " creates domain 7)", e.expected());
        ScenarioException reserved = fails(with("name: vm1", "name: vm1\n        domid: 0x7FF0"), 36, 16, "steps[5].xl_create.domain.domid",
                "'0x7FF0'");
        assertEquals("0 (Xen picks) or 1 to 32751 (from DOMID_FIRST_RESERVED 0x7ff0 on, domids are Xen's own)", reserved.expected());
    }

    // ------------------------------------------------------------ backing files

    @Test
    void aBackingFileNoLargerThanItsLabelAreaIsRefusedWithQemusWords() {
        ScenarioException e = fails(with("size_bytes: 1GiB, extents: 4", "size_bytes: 2M, extents: 4"), 39, 19,
                "steps[5].xl_create.domain.vnvdimms[0].file", "'/mnt/pmem0/vm1.img'");
        assertEquals("a backing file larger than its label area plus QEMU's alignment (steps[4] at line 32, column 50 makes"
                + " /mnt/pmem0/vm1.img 2097152 bytes; qemu-system-i386: -device nvdimm,id=xen_nvdimm1,memdev=mem1,label-size=131072:"
                + " the size of memdev mem1 (0x200000) is too small to contain nvdimm label (0x20000) and aligned PMEM (0x200000))",
                e.expected());
        // Not a multiple of 2 MiB: xl gives no align=, so the page is the alignment and 128 KiB + 4 KiB is enough.
        assertDoesNotThrow(() -> ScenarioLoader.parse(with("size_bytes: 1GiB, extents: 4", "size_bytes: 132K, extents: 4"), "t.yaml"));
        fails(with("size_bytes: 1GiB, extents: 4", "size_bytes: 128K, extents: 4"), 39, 19,
                "steps[5].xl_create.domain.vnvdimms[0].file", "'/mnt/pmem0/vm1.img'");
        // A size QEMU's parser stops at for another reason is still refused, in the same words.
        ScenarioException odd = fails(with("size_bytes: 1GiB, extents: 4", "size_bytes: 5000, extents: 4"), 39, 19,
                "steps[5].xl_create.domain.vnvdimms[0].file", "'/mnt/pmem0/vm1.img'");
        assertTrue(odd.expected().contains("the size of memdev mem1 (0x1388) is too small to contain nvdimm label (0x20000)"), odd.expected());
        // The file from a count: vm%d.img made 2 MiB, used by vm%d.
        fails(with("  - xl_create:\n", "  - xl_create:\n      count: 2\n").replace("name: vm1", "name: vm%d")
                .replace("file: /mnt/pmem0/vm1.img\n", "file: /mnt/pmem0/vm%d.img\n")
                .replace("{path: /mnt/pmem0/vm1.img, size_bytes: 1GiB, extents: 4}", "{path: /mnt/pmem0/vm%d.img, size_bytes: 2M, count: 2}"),
                40, 19, "steps[5].xl_create.domain.vnvdimms[0].file", "'/mnt/pmem0/vm%d.img'");
        // 4 MiB holds 128 KiB of labels and 2 MiB of data.
        assertDoesNotThrow(() -> ScenarioLoader.parse(with("size_bytes: 1GiB, extents: 4", "size_bytes: 4M, extents: 4"), "t.yaml"));
    }

    @Test
    void atMost256VnvdimmsInADomainAsQemuHasSlots() {
        String many = "          - {file: /mnt/pmem0/vm1.img}\n".repeat(257);
        ScenarioException e = fails(with("vnvdimms:\n", "vnvdimms:\n" + many), 39 + 256, 13, "steps[5].xl_create.domain.vnvdimms[256]", "a 257th");
        assertEquals("at most 256 vNVDIMMs in a domain (qemu-system-i386: unsupported amount of memory slots: 258; ACPI_MAX_RAM_SLOTS is 256)",
                e.expected());
    }

    // ------------------------------------------------------------ expect.step_failures

    @Test
    void stepFailuresNameAListedStepAndAnErrno() throws ScenarioException {
        Scenario s = ScenarioLoader.parse(with("violations: []", "violations: []\n  step_failures: [{step: 3, errno: ENOSPC}, {step: 7, errno: EPERM}]"),
                "t.yaml");
        assertEquals(2, s.getExpect().getStepFailuresCount());
        assertEquals("ENOSPC", s.getExpect().getStepFailures(0).getErrno());

        ScenarioException zero = fails(with("violations: []", "violations: []\n  step_failures: [{step: 0, errno: ENOSPC}]"), 48, 26,
                "expect.step_failures[0].step", "'0'");
        assertEquals("a step number from 1 to 7 (as listed under steps:)", zero.expected());
        fails(with("violations: []", "violations: []\n  step_failures: [{step: 8, errno: ENOSPC}]"), 48, 26,
                "expect.step_failures[0].step", "'8'");
        fails(with("violations: []", "violations: []\n  step_failures: [{errno: ENOSPC}]"), 48, 19,
                "expect.step_failures[0].step", "nothing");

        ScenarioException errno = fails(with("violations: []", "violations: []\n  step_failures: [{step: 3, errno: ENOSPACE}]"), 48, 36,
                "expect.step_failures[0].errno", "'ENOSPACE'");
        assertEquals("an errno name, one of " + Arrays.stream(Errno.values()).map(Errno::name).collect(Collectors.joining(", ")),
                errno.expected());
        fails(with("violations: []", "violations: []\n  step_failures: [{step: 3, errno: \"-28\"}]"), 48, 36,
                "expect.step_failures[0].errno", "'-28'");

        ScenarioException twice = fails(with("violations: []", "violations: []\n  step_failures:\n    - {step: 3, errno: ENOSPC}\n"
                + "    - {step: 3, errno: EPERM}"), 50, 14, "expect.step_failures[1].step", "'3'");
        assertEquals("each step once (expect.step_failures[0] at line 49, column 14 already names step 3)", twice.expected());
    }

    @Test
    void theShippedScenariosStillLoad() {
        for (String n : org.vnvdimm.sim.cli.BuiltinScenarios.names()) {
            assertDoesNotThrow(() -> org.vnvdimm.sim.cli.BuiltinScenarios.resolve(n), n);
        }
        assertTrue(org.vnvdimm.sim.cli.BuiltinScenarios.names().contains("scale-1000-guests"));
    }
}
