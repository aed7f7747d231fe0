package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.Scenario;

/**
 * Property: whatever single character is replaced, inserted or deleted in a valid scenario, parse
 * either returns a Scenario or throws a well-formed ScenarioException, never anything else.
 */
class ScenarioCorruptionTest {

    private static final int RUNS = 500;
    private static final long SEED = 0x5CE_2A21_0L;

    // Characters that matter to YAML or to our scalar rules, plus control, non-ASCII and a lone surrogate.
    private static final String SPECIAL = ":-#'\"{}[],&*!|>%@`?\t\n\r \u0000\u0007\u0085\u00e9\u2028\uFEFF\uD83D_0x9GKMiB";

    private static final Pattern MESSAGE = Pattern.compile(
            "\\Qfuzz.yaml\\E:[1-9][0-9]*:[1-9][0-9]*: \\S.*: expected .+, got .+");

    @Test
    void singleCharacterCorruptionsNeverEscapeAsOtherExceptions() {
        SplittableRandom random = new SplittableRandom(SEED);
        String valid = ScenarioTexts.VALID;
        int lines = valid.split("\n", -1).length;
        int parsed = 0;
        int rejected = 0;
        for (int run = 0; run < RUNS; run++) {
            int at = random.nextInt(valid.length());
            char c = random.nextBoolean()
                    ? SPECIAL.charAt(random.nextInt(SPECIAL.length()))
                    : (char) (0x20 + random.nextInt(0x5F));
            String text;
            String what;
            switch (random.nextInt(3)) {
                case 0:
                    text = valid.substring(0, at) + c + valid.substring(at + 1);
                    what = "replace";
                    break;
                case 1:
                    text = valid.substring(0, at) + c + valid.substring(at);
                    what = "insert";
                    break;
                default:
                    text = valid.substring(0, at) + valid.substring(at + 1);
                    what = "delete";
                    break;
            }
            String label = "run " + run + ": " + what + " at " + at + " with U+" + Integer.toHexString(c);
            try {
                Scenario s = ScenarioLoader.parse(text, "fuzz.yaml");
                assertTrue(s.getStepsCount() > 0, label + ": a returned scenario passed validation");
                parsed++;
            } catch (ScenarioException e) {
                assertEquals("fuzz.yaml", e.file(), label);
                assertTrue(MESSAGE.matcher(e.getMessage()).matches(), label + ": " + e.getMessage());
                assertTrue(e.line() <= lines + 1, label + ": line " + e.line() + " is inside the text");
                rejected++;
            } catch (RuntimeException | StackOverflowError e) {
                fail(label + ": escaped as " + e, e);
            }
        }
        assertEquals(RUNS, parsed + rejected);
        // Both outcomes must occur, or the corruption is not exercising anything.
        assertTrue(parsed > 0, "some corruptions are harmless (comments, strings)");
        assertTrue(rejected > 0, "some corruptions are errors");
    }
}
