package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vnvdimm.sim.scenario.ScenarioTexts.VALID;
import static org.vnvdimm.sim.scenario.ScenarioTexts.fails;
import static org.vnvdimm.sim.scenario.ScenarioTexts.with;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.Scenario;

/** Hostile YAML: depth, aliases, size and tags are bounded before anything is composed. */
class ScenarioLimitsTest {

    @Test
    void fourKilobytesOfOpenBracketsAreRefusedAtTheFirstLevelTooDeep() {
        ScenarioException e = fails("[".repeat(4096), 1, YamlProtoReader.MAX_NESTING + 1, "(yaml)", "a 65th level");
        assertEquals("t.yaml:1:65: (yaml): expected at most 64 levels of nested sequences and mappings, got a 65th level",
                e.getMessage());
    }

    @Test
    void deepBlockMappingsAreRefusedToo() {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < 200; i++) yaml.append("  ".repeat(i)).append("k").append(i).append(":\n");
        ScenarioException e = fails(yaml.toString(), 65, 129, "(yaml)", "a 65th level");
        assertEquals("at most 64 levels of nested sequences and mappings", e.expected());
    }

    @Test
    void nestingAtTheLimitIsOnlyASchemaError() {
        // 64 levels parse; the schema then says what is wrong.
        ScenarioException e = assertThrows(ScenarioException.class,
                () -> ScenarioLoader.parse("name: [" + "[".repeat(62) + "]".repeat(63) + "\n", "t.yaml"));
        assertEquals("name", e.field());
    }

    @Test
    void aliasesAreCounted() {
        StringBuilder yaml = new StringBuilder("description: &d x\nname: a\nexpect:\n  violations: [");
        for (int i = 0; i < YamlProtoReader.MAX_ALIASES + 1; i++) yaml.append(i == 0 ? "" : ", ").append("*d");
        yaml.append("]\n");
        // the 101st alias: "  violations: [" is 15 characters, each "*d, " 4 more
        ScenarioException e = fails(yaml.toString(), 4, 16 + 4 * YamlProtoReader.MAX_ALIASES, "(yaml)", "a 101st alias, *d");
        assertEquals("at most 100 aliases (*name) in a scenario", e.expected());
    }

    @Test
    void aHundredCollectionAliasesAreFine() throws ScenarioException {
        // snakeyaml's composer alone stops at 50 collection aliases, without a position; 100 are allowed here.
        StringBuilder yaml = new StringBuilder(VALID.replace("  - power_on: {}\n", "  - &p {power_on: {}}\n"));
        int at = yaml.indexOf("expect:");
        yaml.insert(at, "  - *p\n".repeat(YamlProtoReader.MAX_ALIASES));
        Scenario s = ScenarioLoader.parse(yaml.toString(), "t.yaml");
        assertEquals(7 + YamlProtoReader.MAX_ALIASES, s.getStepsCount());
    }

    @Test
    void aLaughBombStopsAtTheAliasLimit() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 12; i++) {
            yaml.append("a").append(i).append(": &a").append(i).append(" [");
            for (int k = 0; k < 10; k++) yaml.append(k == 0 ? "" : ", ").append("*a").append(i - 1);
            yaml.append("]\n");
        }
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(yaml.toString(), "t.yaml"));
        assertEquals("(yaml)", e.field());
        assertEquals(12, e.line()); // a1..a10 use 100 aliases; a11 on line 12 the 101st
        assertTrue(e.got().startsWith("a 101st alias"), e.got());
    }

    @Test
    void javaTagsAreRefusedAtTheirPlace() {
        ScenarioException e = fails(with("seed: 0x5eed_0001", "seed: !!java.lang.Object 1"), 4, 7, "(yaml)", "the tag !!java.lang.Object");
        assertEquals("t.yaml:4:7: (yaml): expected no tag, or one of YAML's core tags (!!str, !!int, !!float, !!bool, !!null, !!seq,"
                + " !!map), got the tag !!java.lang.Object", e.getMessage());
    }

    @Test
    void localTagsOnCollectionsAreRefused() {
        fails(with("design:\n", "design: !foo\n"), 5, 9, "(yaml)", "the tag !foo");
        fails(with("violations: []", "violations: !<tag:example.com,2026:x> []"), 47, 15, "(yaml)", "the tag tag:example.com,2026:x");
    }

    @Test
    void coreTagsAndTheNonSpecificTagAreAccepted() {
        Scenario s = assertDoesNotThrow(() -> ScenarioLoader.parse(
                with("description: \"one guest, one vNVDIMM\"", "description: !!str one guest").replace("seed: 0x5eed_0001", "seed: ! 7"),
                "t.yaml"));
        assertEquals("one guest", s.getDescription());
    }

    @Test
    void documentsOverOneMebibyteAreRefusedWhereTheyCrossTheLimit() {
        String comment = "#" + "x".repeat(99) + "\n"; // 101 bytes a line
        String big = VALID + comment.repeat(ScenarioLoader.MAX_DOCUMENT_BYTES / 101 + 1);
        int validBytes = VALID.length();
        int over = ScenarioLoader.MAX_DOCUMENT_BYTES - validBytes;
        int line = VALID.split("\n", -1).length + over / 101;
        ScenarioException e = fails(big, line, over % 101 + 1, "(file)", "more (the limit is crossed here)");
        assertEquals("a scenario of at most 1 MiB (1048576 bytes)", e.expected());
    }

    @Test
    void aFileOverTheLimitIsNotReadWhole(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("big.yaml");
        Files.write(f, new byte[8 << 20]); // no line break: the limit is crossed on line 1
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.load(f));
        assertEquals(f + ":1:1048577: (file): expected a scenario of at most 1 MiB (1048576 bytes), got more (the limit is crossed here)",
                e.getMessage());
    }

    @Test
    void directoriesAndDevicesAreNotRead(@TempDir Path dir) {
        ScenarioException d = assertThrows(ScenarioException.class, () -> ScenarioLoader.load(dir));
        assertEquals(dir + ": (file): expected a scenario file (YAML), got a directory", d.getMessage());
        Path zero = Path.of("/dev/zero");
        if (Files.exists(zero)) {
            ScenarioException z = assertThrows(ScenarioException.class, () -> ScenarioLoader.load(zero));
            assertEquals("/dev/zero: (file): expected a scenario file (YAML), got a character device, which is not a regular file",
                    z.getMessage());
        }
    }

    @Test
    void seedsAreUnsigned64Bit() throws ScenarioException {
        assertEquals(-1L, ScenarioLoader.parse(with("seed: 0x5eed_0001", "seed: 18446744073709551615"), "t.yaml").getSeed());
        assertEquals(-1L, ScenarioLoader.parse(with("seed: 0x5eed_0001", "seed: 0xffff_ffff_ffff_ffff"), "t.yaml").getSeed());
        fails(with("seed: 0x5eed_0001", "seed: 18446744073709551616"), 4, 7, "seed", "'18446744073709551616'");
        fails(with("seed: 0x5eed_0001", "seed: -1"), 4, 7, "seed", "'-1'");
    }
}
