package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.vnvdimm.sim.scenario.ScenarioTexts.fails;
import static org.vnvdimm.sim.scenario.ScenarioTexts.with;

import org.junit.jupiter.api.Test;

/** The file step's extent_size_bytes (XFS's extent size hint): checked at load time, at its line and column. */
class ExtentSizeHintTest {
    static final String FILE_STEP = "  - file: {path: /mnt/pmem0/vm1.img, size_bytes: 1GiB, extents: 4}";

    static String hint(String value) {
        return with(FILE_STEP, FILE_STEP.replace("extents: 4}", "extents: 4, extent_size_bytes: " + value + "}"));
    }

    /** The 1-based column of what in its line of text. */
    static int column(String text, String what) {
        int at = text.indexOf(what);
        return at - text.lastIndexOf('\n', at);
    }

    static int column(String value) {
        return column(hint(value), "extent_size_bytes: " + value) + "extent_size_bytes: ".length();
    }

    @Test
    void aHintIsAMultipleOfTheBlockSizeUpToMaxextlen() {
        assertEquals(2L << 20, assertDoesNotThrow(() -> ScenarioLoader.parse(hint("2MiB"), "t.yaml")).getSteps(4).getFile().getExtentSizeBytes());
        assertDoesNotThrow(() -> ScenarioLoader.parse(hint("8GiB").replace("size_bytes: 1GiB", "size_bytes: 8GiB"), "t.yaml"));
        ScenarioException odd = fails(hint("3000"), 32, column("3000"), "steps[4].file.extent_size_bytes", "'3000'");
        assertEquals("0 or a multiple of 4 KiB up to 8 GiB (XFS's MAXEXTLEN of 2^21 blocks)", odd.expected());
        String big = hint("16GiB").replace("size_bytes: 1GiB", "size_bytes: 16GiB");
        fails(big, 32, column(big, "extent_size_bytes: 16GiB") + "extent_size_bytes: ".length(), "steps[4].file.extent_size_bytes", "'16GiB'");
    }

    @Test
    void theFileSizeIsAMultipleOfTheHint() {
        String text = hint("3MiB");
        ScenarioException e = fails(text, 32, column(text, "1GiB, extents: 4, extent_size_bytes"), "steps[4].file.size_bytes", "'1GiB'");
        assertEquals("a multiple of extent_size_bytes (3145728)", e.expected());
    }
}
