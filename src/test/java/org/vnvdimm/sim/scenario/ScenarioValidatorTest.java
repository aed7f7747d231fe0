package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vnvdimm.sim.scenario.ScenarioTexts.fails;
import static org.vnvdimm.sim.scenario.ScenarioTexts.with;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.PlatformConfig;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Step;

/** Semantic rules: each rejection points at the value it rejects, or at the enclosing value if it is missing. */
class ScenarioValidatorTest {

    // ------------------------------------------------------------ name

    @Test
    void nameMustBeALowerCaseIdentifier() {
        ScenarioException e = fails(with("name: basic-vnvdimm", "name: Basic VM"), 2, 7, "name", "'Basic VM'");
        assertEquals("t.yaml:2:7: name: expected a name of lower-case letters, digits, '.', '_' and '-' starting with a letter"
                + " or digit ([a-z0-9][a-z0-9._-]*), got 'Basic VM'", e.getMessage());
        fails(with("name: basic-vnvdimm", "name: -basic"), 2, 7, "name", "'-basic'");
        fails(with("name: basic-vnvdimm", "name: \"\""), 2, 7, "name", "''");
    }

    @Test
    void missingNamePointsAtTheDocument() {
        // Line 1 is a comment and line 2 (the name) is gone, so the document's mapping starts at line 2.
        fails(with("name: basic-vnvdimm\n", ""), 2, 1, "name", "nothing");
    }

    // ------------------------------------------------------------ design

    @Test
    void designChoicesMustBeKnown() {
        ScenarioException profile = fails(with("profile: seeds", "profile: rfc-v3"), 6, 12, "design.profile", "'rfc-v3'");
        assertEquals("one of seeds, rfc-v4 (or leave it out)", profile.expected());
        ScenarioException frametable = fails(with("frametable: pmem-mgmt", "frametable: in-ram"), 7, 15, "design.frametable", "'in-ram'");
        assertEquals("one of pmem-mgmt, boot-claim (or leave it out)", frametable.expected());
        ScenarioException check = fails(with("mapping_check: on", "mapping_check: maybe"), 8, 18, "design.mapping_check", "'maybe'");
        assertEquals("one of on, off (or leave it out)", check.expected());
        ScenarioException discovery = fails(with("discovery: dom0-reports", "discovery: xen-parses-nfit"), 9, 14,
                "design.discovery", "'xen-parses-nfit'");
        assertEquals("one of dom0-reports (or leave it out)", discovery.expected());
    }

    @Test
    void hotplugReportIsBeforeMapOrAfterMap() throws ScenarioException {
        ScenarioException e = fails(with("discovery: dom0-reports", "discovery: dom0-reports\n  hotplug_report: never"), 10, 19,
                "design.hotplug_report", "'never'");
        assertEquals("one of before-map, after-map (or leave it out)", e.expected());
        for (String v : List.of("before-map", "after-map")) {
            Scenario s = ScenarioLoader.parse(with("discovery: dom0-reports", "discovery: dom0-reports\n  hotplug_report: " + v), "t.yaml");
            assertEquals(v, s.getDesign().getHotplugReport());
        }
    }

    @Test
    void aHotAddedDimmTakesANewHandleAndAPageAlignedSpa() throws ScenarioException {
        ScenarioException dup = fails(with("  - power_on: {}\n", "  - power_on: {}\n  - hotplug_dimm: {handle: 2, spa: 0, size_bytes: 1GiB}\n"),
                24, 28, "steps[1].hotplug_dimm.handle", "'2'");
        assertEquals("a handle no other DIMM uses (platform.dimms[1] at line 19, column 15 already has 2)", dup.expected());
        fails(with("  - power_on: {}\n", "  - power_on: {}\n  - hotplug_dimm: {handle: 3, spa: 0x1001, size_bytes: 1GiB}\n"),
                24, 36, "steps[1].hotplug_dimm.spa", "'0x1001'");
        Scenario ok = ScenarioLoader.parse(with("  - power_on: {}\n", "  - power_on: {}\n  - hotplug_dimm: {handle: 3, size_bytes: 1GiB}\n"), "t.yaml");
        assertEquals(3, ok.getSteps(1).getHotplugDimm().getHandle());
    }

    @Test
    void guestGpeAndHotplugSlotsAreChecked() {
        ScenarioException gpe = fails(with("discovery: dom0-reports", "discovery: dom0-reports\n  guest_gpe: l04"), 10, 14, "design.guest_gpe", "'l04'");
        assertEquals("one of xen-4.10, e04 (or leave it out)", gpe.expected());
        ScenarioException slots = fails(with("vcpus: 2", "vcpus: 2\n        hotplug_slots: 257"), 38, 24,
                "steps[5].xl_create.domain.hotplug_slots", "'257'");
        assertEquals("0 to 256 (QEMU's ACPI_MAX_RAM_SLOTS)", slots.expected());
        assertDoesNotThrow(() -> ScenarioLoader.parse(with("vcpus: 2", "vcpus: 2\n        hotplug_slots: 2"), "t.yaml"));
    }

    @Test
    void designMayBeLeftOut() throws ScenarioException {
        Scenario s = ScenarioLoader.parse(with("design:\n  profile: seeds\n  frametable: pmem-mgmt\n  mapping_check: on\n"
                + "  discovery: dom0-reports\n", ""), "t.yaml");
        assertEquals("", s.getDesign().getProfile());
    }

    @Test
    void explicitPmemAreasAreRfcV4sAndRefusedUnderSeedsAtTheirLine() {
        ScenarioException e = fails(with("      from_namespace: namespace0.0", "      mgmt_smfn: 0x280002\n      mgmt_emfn: 0x28a200\n"
                + "      data_smfn: 0x28a200\n      data_emfn: 0x680000"), 26, 7, "steps[2].pmem_setup", "explicit areas");
        assertEquals("t.yaml:26:7: steps[2].pmem_setup: expected from_namespace only under profile seeds (rfc-v1: Dom0 reports the"
                + " pfn-xen namespace with XENPF_pmem_add); explicit mgmt/data areas are `xl pmem-setup -m/-d` of profile rfc-v4,"
                + " got explicit areas", e.getMessage());
        // the same areas load under rfc-v4, where from_namespace is refused instead
        fails(with("  profile: seeds", "  profile: rfc-v4"), 26, 23, "steps[2].pmem_setup.from_namespace", "'namespace0.0'");
    }

    @Test
    void mfnVnvdimmsAreRfcV4sAndFilesAreSeeds() {
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(
                with("          - file: /mnt/pmem0/vm1.img", "          - type: mfn\n            backend: 0x28a000\n            nr_pages: 16384\n            file: /mnt/pmem0/vm1.img"),
                "t.yaml"));
        assertEquals("steps[5].xl_create.domain.vnvdimms[0].type", e.field());
        assertEquals("'mfn'", e.got());
        ScenarioException v4 = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(
                with("  profile: seeds", "  profile: rfc-v4"), "t.yaml"));
        java.util.List<String> all = new java.util.ArrayList<>();
        all.add(v4.field());
        for (ScenarioException x : v4.additional()) all.add(x.field());
        assertTrue(all.contains("steps[5].xl_create.domain.vnvdimms[0].type"), all.toString());
    }

    @Test
    void nvdimmHotplugOfMfnPagesIsRfcV4sAndOfAFileIsSeeds() throws ScenarioException {
        String v4Hotplug = "  - nvdimm_hotplug: {domain: vm1, type: mfn, backend: 0x28e000, nr_pages: 8192}\n";
        String fileHotplug = "  - nvdimm_hotplug: {domain: vm1, file: /mnt/pmem0/vm1.img, label_bytes: 128KiB}\n";
        // under seeds, type mfn is refused at its step
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(ScenarioTexts.VALID.replace("expect:", v4Hotplug + "expect:"), "t.yaml"));
        java.util.List<String> fields = new java.util.ArrayList<>(java.util.List.of(e.field()));
        for (ScenarioException x : e.additional()) fields.add(x.field());
        assertTrue(fields.contains("steps[7].nvdimm_hotplug.type"), fields.toString());
        // a file is fine under seeds
        Scenario ok = ScenarioLoader.parse(ScenarioTexts.VALID.replace("expect:", fileHotplug + "expect:"), "t.yaml");
        assertEquals("/mnt/pmem0/vm1.img", ok.getSteps(7).getNvdimmHotplug().getFile());
        // under rfc-v4 the built-in's step loads, and a file, a missing backend or a label area is refused
        Scenario v4 = ScenarioLoader.parse(org.vnvdimm.sim.cli.BuiltinScenarios.text("scenarios/hotplug-guest-rfc-v4.yaml"), "builtin");
        assertEquals(8192, v4.getSteps(3).getNvdimmHotplug().getNrPages());
        String base = org.vnvdimm.sim.cli.BuiltinScenarios.text("scenarios/hotplug-guest-rfc-v4.yaml");
        for (String[] bad : new String[][] {
                {"{domain: vm1, file: /mnt/pmem0/x.img, label_bytes: 128KiB}", "steps[3].nvdimm_hotplug.type"},
                {"{domain: vm1, type: mfn, nr_pages: 8192}", "steps[3].nvdimm_hotplug"},
                {"{domain: vm1, type: mfn, backend: 0x28e000, nr_pages: 8192, label_bytes: 128KiB}", "steps[3].nvdimm_hotplug.label_bytes"}}) {
            String text = base.replace("{domain: vm1, type: mfn, backend: 0x28e000, nr_pages: 8192}", bad[0]);
            org.junit.jupiter.api.Assertions.assertNotEquals(base, text);
            ScenarioException x = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(text, "t.yaml"));
            java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(x.field()));
            for (ScenarioException y : x.additional()) all.add(y.field());
            assertTrue(all.contains(bad[1]), bad[0] + " -> " + all);
            assertTrue(x.getMessage().startsWith("t.yaml:"), x.getMessage());
        }
    }

    // ------------------------------------------------------------ platform

    @Test
    void ramMustBeAtLeast64MiB() {
        ScenarioException e = fails(with("ram_bytes: 4GiB", "ram_bytes: 32M"), 11, 14, "platform.ram_bytes", "'32M'");
        assertEquals("t.yaml:11:14: platform.ram_bytes: expected a size of at least 64 MiB (67108864 bytes) and a multiple of 4096,"
                + " got '32M'", e.getMessage());
    }

    @Test
    void ramMustBePageAligned() {
        fails(with("ram_bytes: 4GiB", "ram_bytes: 100000000"), 11, 14, "platform.ram_bytes", "'100000000'");
    }

    @Test
    void missingRamPointsAtThePlatform() {
        // platform's mapping now starts at e820_pmem on line 11.
        fails(with("  ram_bytes: 4GiB\n", ""), 11, 3, "platform.ram_bytes", "nothing");
    }

    @Test
    void atLeastOneDimm() {
        ScenarioException e = fails(with(ScenarioTexts.DIMMS_BLOCK, "  dimms: []\n"), 14, 10, "platform.dimms", "an empty sequence");
        assertEquals("at least one DIMM", e.expected());
        fails(with(ScenarioTexts.DIMMS_BLOCK, ""), 11, 3, "platform.dimms", "nothing");
    }

    @Test
    void dimmSizeMustBeANonZeroMultipleOf2MiB() {
        ScenarioException e = fails(with("size_bytes: 16G", "size_bytes: 3M"), 16, 19, "platform.dimms[0].size_bytes", "'3M'");
        assertEquals("a non-zero multiple of 2 MiB (2097152 bytes)", e.expected());
        fails(with("size_bytes: 1_073_741_824", "size_bytes: 0"), 21, 19, "platform.dimms[1].size_bytes", "'0'");
    }

    @Test
    void dimmLabelAreaIsZeroOrAtLeast128KiB() {
        ScenarioException e = fails(with("label_bytes: 128 KiB", "label_bytes: 64 KiB"), 17, 20, "platform.dimms[0].label_bytes",
                "'64 KiB'");
        assertEquals("0 (no label area) or at least 128 KiB (131072 bytes)", e.expected());
    }

    @Test
    void dimmHandlesAreUnique() {
        ScenarioException e = fails(with("- handle: 2", "- handle: 1"), 19, 15, "platform.dimms[1].handle", "'1'");
        assertEquals("a handle no other DIMM uses (platform.dimms[0] at line 15, column 15 already has 1)", e.expected());
    }

    @Test
    void explicitSpaMustBePageAligned() {
        ScenarioException e = fails(with("spa: 0x8_0000_0000", "spa: 0x8_0000_0100"), 20, 12, "platform.dimms[1].spa",
                "'0x8_0000_0100'");
        assertEquals("a page-aligned address (a multiple of 4096)", e.expected());
    }

    @Test
    void explicitSpaRangesMustNotOverlap() {
        // DIMM 0 placed at 28 GiB with 16 GiB runs to 44 GiB, over DIMM 1 at 32 GiB.
        String text = with("    - handle: 0x0001\n", "    - handle: 0x0001\n      spa: 0x7_0000_0000\n");
        ScenarioException e = fails(text, 21, 12, "platform.dimms[1].spa", "'0x8_0000_0000'");
        assertEquals("a range not overlapping platform.dimms[0] ([0x700000000, 0xb00000000))", e.expected());
    }

    @Test
    void adjacentSpaRangesAreFine() throws ScenarioException {
        // 16 GiB from 16 GiB ends exactly where DIMM 1 starts (32 GiB). spa is an address, so no units.
        Scenario s = ScenarioLoader.parse(with("    - handle: 0x0001\n", "    - handle: 0x0001\n      spa: 0x4_0000_0000\n"), "t.yaml");
        assertEquals(16L << 30, s.getPlatform().getDimms(0).getSpa());
    }

    @Test
    void spaMustLeaveRoomBelow2To64() {
        fails(with("spa: 0x8_0000_0000", "spa: 0xFFFF_FFFF_C000_0000"), 20, 12, "platform.dimms[1].spa", "'0xFFFF_FFFF_C000_0000'");
    }

    // ------------------------------------------------------------ steps

    @Test
    void atLeastOneStep() {
        ScenarioException e = fails(with(ScenarioTexts.STEPS_BLOCK, "steps: []\n"), 22, 8, "steps", "an empty sequence");
        assertEquals("at least one step", e.expected());
    }

    @Test
    void ndctlNeedsARegion() {
        ScenarioException e = fails(with("{region: region0, mode: fsdax, map: xen}", "{mode: fsdax, map: xen}"), 24, 12,
                "steps[1].ndctl.region", "nothing");
        assertEquals("a region name such as region0", e.expected());
    }

    @Test
    void mkfsNeedsDeviceTypeAndMount() {
        ScenarioException type = fails(with("type: xfs", "type: btrfs"), 29, 13, "steps[3].mkfs.type", "'btrfs'");
        assertEquals("one of xfs, ext4", type.expected());
        fails(with("      dev: /dev/pmem0\n", ""), 28, 7, "steps[3].mkfs.dev", "nothing");
        fails(with("      mount: /mnt/pmem0\n", ""), 28, 7, "steps[3].mkfs.mount", "nothing");
    }

    @Test
    void fileNeedsAnAbsolutePathAndASize() {
        ScenarioException path = fails(with("{path: /mnt/pmem0/vm1.img,", "{path: vm1.img,"), 32, 18, "steps[4].file.path", "'vm1.img'");
        assertEquals("an absolute path (starting with '/')", path.expected());
        ScenarioException size = fails(with("size_bytes: 1GiB", "size_bytes: 0"), 32, 50, "steps[4].file.size_bytes", "'0'");
        assertEquals("a size above 0", size.expected());
    }

    @Test
    void domainNeedsANameAndEnoughMemory() {
        ScenarioException name = fails(with("        name: vm1\n", ""), 35, 9, "steps[5].xl_create.domain.name", "nothing");
        assertEquals("a domain name", name.expected());
        ScenarioException memory = fails(with("memory_bytes: 512M", "memory_bytes: 8M"), 36, 23,
                "steps[5].xl_create.domain.memory_bytes", "'8M'");
        assertEquals("a size of at least 16 MiB (16777216 bytes)", memory.expected());
    }

    @Test
    void xlCreateWithoutADomainPointsAtTheStep() {
        String steps = "steps:\n  - xl_create: {}\n";
        fails(with(ScenarioTexts.STEPS_BLOCK, steps), 23, 16, "steps[0].xl_create.domain.name", "nothing");
    }

    @Test
    void vnvdimmNeedsAnAbsoluteFileAUsableLabelAndSlot() {
        fails(with("- file: /mnt/pmem0/vm1.img", "- file: vm1.img"), 39, 19, "steps[5].xl_create.domain.vnvdimms[0].file", "'vm1.img'");
        ScenarioException label = fails(with("label_bytes: 128KiB", "label_bytes: 4K"), 40, 26,
                "steps[5].xl_create.domain.vnvdimms[0].label_bytes", "'4K'");
        assertEquals("0 (no label area) or at least 128 KiB (131072 bytes)", label.expected());
        ScenarioException slot = fails(with("slot: -1", "slot: -2"), 41, 19, "steps[5].xl_create.domain.vnvdimms[0].slot", "'-2'");
        assertEquals("a slot of -1 (QEMU chooses) or more", slot.expected());
    }

    // ------------------------------------------------------------ expect and limits

    @Test
    void expectedViolationsNameOracles() {
        ScenarioException e = fails(with("violations: []", "violations: [isolation, safety]"), 47, 27, "expect.violations[1]", "'safety'");
        // The list is the simulator's own (Oracles.ALL), so an oracle added there is accepted here at once.
        assertEquals("an oracle name, one of " + String.join(", ", org.vnvdimm.sim.oracle.Oracles.ALL), e.expected());
        assertEquals(ScenarioValidator.ORACLES, org.vnvdimm.sim.oracle.Oracles.ALL);
        for (String oracle : org.vnvdimm.sim.oracle.Oracles.ALL) {
            assertDoesNotThrow(() -> ScenarioLoader.parse(with("violations: []", "violations: [" + oracle + "]"), "t.yaml"), oracle);
        }
    }

    @Test
    void deliveryLimitIsAtLeast10() throws ScenarioException {
        ScenarioException e = fails(with("max_deliveries: 100_000", "max_deliveries: 5"), 49, 19, "limits.max_deliveries", "'5'");
        assertEquals("at least 10 (or leave it out for no limit)", e.expected());
        assertEquals(10, ScenarioLoader.parse(with("max_deliveries: 100_000", "max_deliveries: 10"), "t.yaml")
                .getLimits().getMaxDeliveries());
    }

    // ------------------------------------------------------------ several problems, and scenarios built in code

    @Test
    void theEarliestProblemInTheFileIsThrownAndTheOthersFollow() {
        String text = with("slot: -1", "slot: -7")
                .replace("ram_bytes: 4GiB", "ram_bytes: 1M")
                .replace("name: basic-vnvdimm", "name: Basic");
        ScenarioException e = fails(text, 2, 7, "name", "'Basic'");
        List<String> rest = e.additional().stream().map(ScenarioException::getMessage).collect(Collectors.toList());
        assertEquals(2, rest.size(), rest.toString());
        assertEquals("t.yaml:11:14: platform.ram_bytes: expected a size of at least 64 MiB (67108864 bytes) and a multiple of 4096,"
                + " got '1M'", rest.get(0));
        assertEquals("t.yaml:41:19: steps[5].xl_create.domain.vnvdimms[0].slot: expected a slot of -1 (QEMU chooses) or more,"
                + " got '-7'", rest.get(1));
    }

    @Test
    void scenariosBuiltInCodeAreReportedWithoutPositions() {
        Scenario s = Scenario.newBuilder().setName("from-cli")
                .setPlatform(PlatformConfig.newBuilder().setRamBytes(1L << 30))
                .addSteps(Step.getDefaultInstance())
                .build();
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioValidator.validate(s, "cli"));
        assertEquals("cli: platform.dimms: expected at least one DIMM, got nothing", e.getMessage());
        assertEquals(0, e.line());
        assertEquals(List.of("cli: steps[0]: expected a step with exactly one of the keys power_on, ndctl, pmem_setup, mkfs, file,"
                + " xl_create, hotplug_dimm, nvdimm_hotplug, nvdimm_unplug, concurrently, fs, guest_io, power_cycle, mount, got nothing"), e.additional().stream().map(ScenarioException::getMessage).collect(Collectors.toList()));
    }

    @Test
    void theValidScenarioPassesOnItsOwn() throws ScenarioException {
        Scenario s = ScenarioLoader.parse(ScenarioTexts.VALID, "t.yaml");
        assertDoesNotThrow(() -> ScenarioValidator.validate(s, "again"));
    }

    @Test
    void fsAndGuestIoStepsAreCheckedAtTheirLines() {
        fails(with("  - power_on:\nexpect:", "  - fs: {op: shred, path: /mnt/pmem0/vm1.img}\nexpect:"), 45, 14, "steps[6].fs.op", "'shred'");
        fails(with("  - power_on:\nexpect:", "  - fs: {op: punch_hole, path: vm1.img}\nexpect:"), 45, 32, "steps[6].fs.path", "'vm1.img'");
        fails(with("  - power_on:\nexpect:", "  - fs: {op: write, path: /mnt/pmem0/a, to: /mnt/pmem0/b, length_bytes: 4K}\nexpect:"), 45, 45, "steps[6].fs.to", "'/mnt/pmem0/b'");
        fails(with("  - power_on:\nexpect:", "  - guest_io: {domain: vm1, op: verify}\nexpect:"), 45, 15, "steps[6].guest_io.length_bytes", "nothing");
        fails(with("  - power_on:\nexpect:", "  - guest_io: {domain: vm1, op: poke, length_bytes: 4K}\nexpect:"), 45, 33, "steps[6].guest_io.op", "'poke'");
        fails(with("  discovery: dom0-reports", "  discovery: dom0-reports\n  invalidation: sometimes"), 10, 17, "design.invalidation", "'sometimes'");
    }
}
