package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The reference scenario the tests start from, and helpers to break it one way at a time. */
final class ScenarioTexts {
    private ScenarioTexts() {
    }

    static final String SOURCE = "t.yaml";

    // Line numbers matter: the tests assert positions in this text. Line 1 is the comment.
    static final String VALID = """
            # One guest with one vNVDIMM backed by a file on a DAX filesystem.
            name: basic-vnvdimm
            description: "one guest, one vNVDIMM"
            seed: 0x5eed_0001
            design:
              profile: seeds
              frametable: pmem-mgmt
              mapping_check: on
              discovery: dom0-reports
            platform:
              ram_bytes: 4GiB
              e820_pmem: yes
              nr_cpus: 4
              dimms:
                - handle: 0x0001
                  size_bytes: 16G
                  label_bytes: 128 KiB
                  pxm: 0
                - handle: 2
                  spa: 0x8_0000_0000
                  size_bytes: 1_073_741_824
            steps:
              - power_on: {}
              - ndctl: {region: region0, mode: fsdax, map: xen}
              - pmem_setup:
                  from_namespace: namespace0.0
              - mkfs:
                  dev: /dev/pmem0
                  type: xfs
                  mount: /mnt/pmem0
                  fragment: 3
              - file: {path: /mnt/pmem0/vm1.img, size_bytes: 1GiB, extents: 4}
              - xl_create:
                  domain:
                    name: vm1
                    memory_bytes: 512M
                    vcpus: 2
                    vnvdimms:
                      - file: /mnt/pmem0/vm1.img
                        label_bytes: 128KiB
                        slot: -1
                    workload:
                      pattern_bytes: 64 KiB
                      pattern_seed: 42
              - power_on:
            expect:
              violations: []
            limits:
              max_deliveries: 100_000
            """;

    /** Lines 14-21 of VALID: the platform's two DIMMs. */
    static final String DIMMS_BLOCK = """
              dimms:
                - handle: 0x0001
                  size_bytes: 16G
                  label_bytes: 128 KiB
                  pxm: 0
                - handle: 2
                  spa: 0x8_0000_0000
                  size_bytes: 1_073_741_824
            """;

    /** Lines 22-45 of VALID: every step. */
    static final String STEPS_BLOCK = VALID.substring(VALID.indexOf("steps:\n"), VALID.indexOf("expect:\n"));

    /** VALID with {@code from} (which must occur exactly once) replaced by {@code to}. */
    static String with(String from, String to) {
        int at = VALID.indexOf(from);
        assertEquals(true, at >= 0 && VALID.indexOf(from, at + 1) < 0, "'" + from + "' must occur exactly once in VALID");
        return VALID.substring(0, at) + to + VALID.substring(at + from.length());
    }

    /**
     * Parses text that must fail, and checks file, line, column, field, GOT and that the message is
     * exactly {@code FILE:LINE:COLUMN: FIELD: expected EXPECTED, got GOT}.
     */
    static ScenarioException fails(String text, int line, int column, String field, String got) {
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(text, SOURCE));
        assertEquals(SOURCE, e.file(), "file");
        assertEquals(field, e.field(), "field");
        assertEquals(got, e.got(), "got");
        assertEquals(line, e.line(), "line");
        assertEquals(column, e.column(), "column");
        assertEquals(SOURCE + ":" + line + ":" + column + ": " + field + ": expected " + e.expected() + ", got " + got,
                e.getMessage(), "message format");
        return e;
    }
}
