package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vnvdimm.sim.scenario.ScenarioTexts.VALID;
import static org.vnvdimm.sim.scenario.ScenarioTexts.fails;
import static org.vnvdimm.sim.scenario.ScenarioTexts.with;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.Scenario;

/** Structural errors: the file is not valid YAML, or does not fit the Scenario schema. */
class ScenarioLoaderErrorsTest {

    private static final String TOP_KEYS = "name, description, seed, design, platform, steps, expect, limits, faults";
    private static final String STEP_KEYS = "power_on, ndctl, pmem_setup, mkfs, file, xl_create, hotplug_dimm, nvdimm_hotplug, nvdimm_unplug, concurrently, fs, guest_io, power_cycle, mount";

    // ------------------------------------------------------------ keys

    @Test
    void unknownTopLevelKeyListsTheAcceptedNames() {
        ScenarioException e = fails("name: x\nplatfrom:\n  ram_bytes: 1\n", 2, 1, "platfrom", "'platfrom'");
        assertEquals("t.yaml:2:1: platfrom: expected one of the keys " + TOP_KEYS + ", got 'platfrom'", e.getMessage());
    }

    @Test
    void unknownNestedKeyIsNamedByItsPath() {
        ScenarioException e = fails(with("  nr_cpus: 4", "  cpus: 4"), 13, 3, "platform.cpus", "'cpus'");
        assertEquals("one of the keys ram_bytes, e820_pmem, dimms, nr_cpus", e.expected());
    }

    @Test
    void keyGivenTwiceNamesTheFirstOne() {
        ScenarioException e = fails(with("  nr_cpus: 4\n", "  nr_cpus: 4\n  nr_cpus: 8\n"), 14, 3, "platform.nr_cpus",
                "a second 'nr_cpus'");
        assertEquals("each key once (nr_cpus is first given at line 13, column 3)", e.expected());
    }

    @Test
    void aKeyThatIsNotAScalarIsRejected() {
        ScenarioException e = fails("? [name]\n: x\n", 1, 3, "(root)", "a sequence");
        assertEquals("a field name (one of " + TOP_KEYS + ")", e.expected());
    }

    // ------------------------------------------------------------ scalar types

    @Test
    void wordWhereAnIntegerIsExpected() {
        ScenarioException e = fails(with("  nr_cpus: 4", "  nr_cpus: four"), 13, 12, "platform.nr_cpus", "'four'");
        assertEquals("t.yaml:13:12: platform.nr_cpus: expected an integer (uint32, decimal or 0x hex, '_' between digits allowed),"
                + " got 'four'", e.getMessage());
    }

    @Test
    void mappingWhereAStringIsExpected() {
        ScenarioException e = fails(with("name: basic-vnvdimm", "name: {first: basic}"), 2, 7, "name", "a mapping");
        assertEquals("a string", e.expected());
    }

    @Test
    void wordWhereABooleanIsExpected() {
        ScenarioException e = fails(with("e820_pmem: yes", "e820_pmem: maybe"), 12, 14, "platform.e820_pmem", "'maybe'");
        assertEquals("a boolean (true/false, yes/no, on/off)", e.expected());
    }

    @Test
    void nothingWhereAStringIsExpected() {
        ScenarioException e = fails(with("description: \"one guest, one vNVDIMM\"", "description:"), 3, 13, "description", "nothing");
        assertEquals("a string", e.expected());
    }

    @Test
    void malformedIntegersAreRejected() {
        // '_' only between digits; no fractions; units only on *_bytes fields.
        for (String bad : new String[] {"1__0", "_1", "1_", "0x_1", "0x", "1.0", "4K", "0b101", "1e3", "--1"}) {
            ScenarioException e = fails(with("  nr_cpus: 4", "  nr_cpus: " + bad), 13, 12, "platform.nr_cpus", "'" + bad + "'");
            assertEquals("an integer (uint32, decimal or 0x hex, '_' between digits allowed)", e.expected(), bad);
        }
    }

    // ------------------------------------------------------------ integer ranges

    @Test
    void negativeValueForAnUnsignedField() {
        ScenarioException e = fails(with("  nr_cpus: 4", "  nr_cpus: -1"), 13, 12, "platform.nr_cpus", "'-1'");
        assertEquals("a non-negative integer (uint32)", e.expected());
    }

    @Test
    void negativeSize() {
        ScenarioException e = fails(with("size_bytes: 16G", "size_bytes: -16G"), 16, 19, "platform.dimms[0].size_bytes", "'-16G'");
        assertEquals("a non-negative size in bytes", e.expected());
    }

    @Test
    void uint32Overflow() throws ScenarioException {
        ScenarioException e = fails(with("  nr_cpus: 4", "  nr_cpus: 4294967296"), 13, 12, "platform.nr_cpus", "'4294967296'");
        assertEquals("an integer of at most 4294967295 (uint32)", e.expected());
        // nr_cpus has Xen's own bound (256); a DIMM handle takes any uint32.
        Scenario max = ScenarioLoader.parse(with("handle: 0x0001", "handle: 0xFFFF_FFFF"), "t.yaml");
        assertEquals(0xFFFFFFFF, max.getPlatform().getDimms(0).getHandle(), "the largest uint32 is accepted");
    }

    @Test
    void uint64Overflow() throws ScenarioException {
        ScenarioException e = fails(with("seed: 0x5eed_0001", "seed: 0x1_0000_0000_0000_0000"), 4, 7, "seed",
                "'0x1_0000_0000_0000_0000'");
        assertEquals("an integer of at most 18446744073709551615 (uint64)", e.expected());
        Scenario max = ScenarioLoader.parse(with("seed: 0x5eed_0001", "seed: 18446744073709551615"), "t.yaml");
        assertEquals(-1L, max.getSeed(), "2^64-1 travels as the long with all bits set");
    }

    @Test
    void int32Underflow() {
        ScenarioException e = fails(with("slot: -1", "slot: -2147483649"), 41, 19,
                "steps[5].xl_create.domain.vnvdimms[0].slot", "'-2147483649'");
        assertEquals("an integer of at least -2147483648 (int32)", e.expected());
    }

    @Test
    void sizeOverflowIsDetectedAfterApplyingTheUnit() throws ScenarioException {
        // 16777216T is exactly 2^64 bytes; one T less still fits.
        ScenarioException e = fails(with("ram_bytes: 4GiB", "ram_bytes: 16777216T"), 11, 14, "platform.ram_bytes", "'16777216T'");
        assertEquals("a size of at most 18446744073709551615 bytes (uint64)", e.expected());
        ScenarioException e2 = fails(with("ram_bytes: 4GiB", "ram_bytes: 99999999999999999999 KiB"), 11, 14, "platform.ram_bytes",
                "'99999999999999999999 KiB'");
        assertEquals(e.expected(), e2.expected());
        Scenario big = ScenarioLoader.parse(with("ram_bytes: 4GiB", "ram_bytes: 16777215T"), "t.yaml");
        assertEquals(16777215L << 40, big.getPlatform().getRamBytes());
    }

    // ------------------------------------------------------------ size units

    @Test
    void decimalLookingUnitsAreRefused() {
        for (String bad : new String[] {"4GB", "4 GB", "4g", "4gib", "4kB", "4Gi"}) {
            ScenarioException e = fails(with("ram_bytes: 4GiB", "ram_bytes: " + bad), 11, 14, "platform.ram_bytes", "'" + bad + "'");
            assertEquals("a size with a 1024-based unit written exactly K/KiB, M/MiB, G/GiB or T/TiB "
                    + "(GB, kB and lower-case units are refused: they often mean powers of 1000)", e.expected(), bad);
        }
    }

    @Test
    void otherBadSizesListTheAcceptedForms() {
        for (String bad : new String[] {"1.5G", "0x10G", "4  GiB", "4P", "G", "4GiBs"}) {
            ScenarioException e = fails(with("ram_bytes: 4GiB", "ram_bytes: " + bad), 11, 14, "platform.ram_bytes", "'" + bad + "'");
            assertEquals("a size in bytes (a number, 0x hex, or a number with a 1024-based unit K/KiB, M/MiB, G/GiB, T/TiB, "
                    + "e.g. 4096, 128M, 16GiB)", e.expected(), bad);
        }
    }

    @Test
    void everyUnitSpellingIsAccepted() throws ScenarioException {
        String[][] cases = {
            {"4096", "4096"}, {"0x1000", "4096"}, {"4096B", "4096"}, {"64K", "65536"}, {"64 KiB", "65536"},
            {"128M", "134217728"}, {"128MiB", "134217728"}, {"16G", "17179869184"}, {"16 GiB", "17179869184"},
            {"1T", "1099511627776"}, {"1TiB", "1099511627776"}, {"1_024M", "1073741824"}, {"+2G", "2147483648"},
        };
        for (String[] c : cases) {
            // No label area on the vNVDIMM, so that QEMU takes even a 4 KiB backing file.
            Scenario s = ScenarioLoader.parse(with("size_bytes: 1GiB", "size_bytes: " + c[0])
                    .replace("label_bytes: 128KiB", "label_bytes: 0"), "t.yaml");
            assertEquals(c[1], Long.toUnsignedString(s.getSteps(4).getFile().getSizeBytes()), c[0]);
        }
    }

    // ------------------------------------------------------------ oneof and shapes

    @Test
    void twoKeysOfOneOneofNameBoth() {
        ScenarioException e = fails(with("  - power_on: {}\n", "  - power_on: {}\n    mkfs: {dev: /dev/pmem0}\n"), 24, 5,
                "steps[0].mkfs", "'mkfs' as well");
        assertEquals("t.yaml:24:5: steps[0].mkfs: expected only one of " + STEP_KEYS
                + " (power_on is already given at line 23, column 5), got 'mkfs' as well", e.getMessage());
    }

    @Test
    void aStepWithoutAnActionIsRejected() {
        ScenarioException empty = fails(with("  - power_on:\n", "  - {}\n"), 45, 5, "steps[6]", "an empty mapping");
        assertEquals("a mapping with exactly one of the keys " + STEP_KEYS, empty.expected());
    }

    @Test
    void aBareActionNameGetsAHint() {
        ScenarioException e = fails(with("  - power_on:\n", "  - power_on\n"), 45, 5, "steps[6]", "'power_on'");
        assertEquals("a mapping with exactly one of the keys " + STEP_KEYS + " (write 'power_on: {}')", e.expected());
    }

    @Test
    void scalarWhereASequenceIsExpected() {
        ScenarioException e = fails(with("violations: []", "violations: isolation"), 47, 15, "expect.violations", "'isolation'");
        assertEquals("t.yaml:47:15: expect.violations: expected a sequence ('- item' lines or [a, b]) of a string, got 'isolation'",
                e.getMessage());
    }

    @Test
    void mappingWhereASequenceOfMessagesIsExpected() {
        ScenarioException e = fails(with(ScenarioTexts.DIMMS_BLOCK, "  dimms: {handle: 1, size_bytes: 16G}\n"), 14, 10,
                "platform.dimms", "a mapping");
        assertEquals("a sequence ('- item' lines or [a, b]) of a mapping with the keys handle, spa, size_bytes, pxm, label_bytes",
                e.expected());
    }

    @Test
    void scalarWhereAMappingIsExpected() {
        ScenarioException e = fails(with("limits:\n  max_deliveries: 100_000", "limits: 100_000"), 48, 9, "limits", "'100_000'");
        assertEquals("a mapping with the keys max_deliveries", e.expected());
    }

    @Test
    void emptyDocument() {
        ScenarioException e = fails("", 1, 1, "(root)", "nothing");
        assertEquals("a mapping with the keys " + TOP_KEYS, e.expected());
        fails("# nothing but a comment\n", 1, 1, "(root)", "nothing");
    }

    @Test
    void documentThatIsNotAMapping() {
        fails("- name: x\n", 1, 1, "(root)", "a sequence");
        fails("just words\n", 1, 1, "(root)", "'just words'");
    }

    // ------------------------------------------------------------ YAML syntax

    @Test
    void tabIndentation() {
        ScenarioException e = fails(with("  nr_cpus: 4", "\tnr_cpus: 4"), 13, 1, "(yaml)", "a tab character");
        assertEquals("t.yaml:13:1: (yaml): expected spaces (YAML does not allow tabs for indentation), got a tab character",
                e.getMessage());
    }

    @Test
    void unclosedQuote() {
        // The quoted string runs to the end of the file; the message points back at where it opened.
        ScenarioException e = fails(with("\"one guest, one vNVDIMM\"", "\"one guest, one vNVDIMM"), 50, 1, "(yaml)",
                "the end of the file");
        assertEquals("a closing quote (while scanning a quoted scalar that starts at line 3, column 14)", e.expected());
    }

    @Test
    void inconsistentIndentation() {
        ScenarioException e = fails(with("  nr_cpus: 4", " nr_cpus: 4"), 13, 2, "(yaml)", "a key at a deeper indentation");
        assertEquals("the end of the indented block (while parsing a block mapping that starts at line 2, column 1)", e.expected());
    }

    @Test
    void colonInsideAPlainValue() {
        ScenarioException e = fails(with("name: basic-vnvdimm", "name: basic: vnvdimm"), 2, 12, "(yaml)", "':'");
        assertEquals("a key at the indentation of its siblings, or a quoted value if the value contains ': '", e.expected());
    }

    @Test
    void unclosedFlowSequence() {
        // The next line's "limits" is read as a second word of the item; its ':' is where the parser gives up.
        ScenarioException e = fails(with("violations: []", "violations: [isolation"), 48, 7, "(yaml)", "':'");
        assertEquals("',' or ']' (while parsing a flow sequence that starts at line 47, column 15)", e.expected());
    }

    @Test
    void nonPrintableCharacter() {
        ScenarioException e = fails(with("name: basic-vnvdimm", "name: basic\u0001vnvdimm"), 2, 12, "(yaml)",
                "the non-printable character U+0001");
        assertEquals("printable characters", e.expected());
        // Positions count code points and the same line breaks as the parser: CRLF is one, U+2028 none.
        String crlf = with("name: basic-vnvdimm", "name: basic\u0001vnvdimm").replace("\n", "\r\n");
        fails(crlf, 2, 12, "(yaml)", "the non-printable character U+0001");
        fails("# \uD83D\uDE00\u2028\uD83D\uDE00\nname: x\u0007\n", 2, 8, "(yaml)", "the non-printable character U+0007");
    }

    @Test
    void characterThatCannotStartAValue() {
        ScenarioException e = fails(with("name: basic-vnvdimm", "name: @basic"), 2, 7, "(yaml)", "'@'");
        assertEquals("a value that does not start with '@' (quote the value)", e.expected());
    }

    @Test
    void keyWithoutColon() {
        // The parser notices on the next line; the message points back at the key.
        ScenarioException e = fails(with("  nr_cpus: 4\n", "  nr_cpus 4\n"), 14, 3, "(yaml)", "no ':'");
        assertEquals("':' after the key (while scanning a simple key that starts at line 13, column 3)", e.expected());
    }

    @Test
    void characterCodesAreShownAsQuotedCharacters() {
        // snakeyaml says "unexpected character found /(47)"; the message shows the character once, quoted.
        ScenarioException e = fails(with("name: basic-vnvdimm", "name: &a/b x"), 2, 9, "(yaml)", "the character '/'");
        assertEquals("valid YAML (while scanning an anchor that starts at line 2, column 7)", e.expected());
        fails(with("\"one guest, one vNVDIMM\"", "\"one \\q\""), 3, 20, "(yaml)", "unknown escape character 'q'");
    }

    @Test
    void aliasWithoutAnchor() {
        ScenarioException e = fails(with("name: basic-vnvdimm", "name: *basic"), 2, 7, "(yaml)", "the alias *basic");
        assertEquals("an anchor (&name) defined before its alias", e.expected());
    }

    @Test
    void keyWithALineSeparatorStaysOnOneLine() {
        ScenarioException e = fails(with("  nr_cpus: 4", "  nr\u2028cpus: 4"), 13, 3, "platform.nr\\u2028cpus", "'nr\\u2028cpus'");
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void secondDocument() {
        ScenarioException e = fails(VALID + "---\nname: other\n", 50, 1, "(yaml)", "a second document");
        assertEquals("a single YAML document", e.expected());
    }

    // ------------------------------------------------------------ reading the file

    @Test
    void missingFileHasNoPosition(@TempDir Path dir) {
        Path missing = dir.resolve("missing.yaml");
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.load(missing));
        assertEquals(0, e.line());
        assertEquals(0, e.column());
        assertEquals("(file)", e.field());
        assertEquals(missing + ": (file): expected a readable scenario file, got No such file or directory", e.getMessage());
    }

    @Test
    void bytesThatAreNotUtf8(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, new byte[] {'#', '\n', 'n', 'a', 'm', 'e', ':', ' ', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.load(file));
        assertEquals(file + ":2:10: (file): expected UTF-8 text, got the byte 0xE9, which is not UTF-8", e.getMessage());
    }
}
