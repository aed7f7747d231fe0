package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.vnvdimm.sim.scenario.ScalarParsers.IntKind;

class ScalarParsersTest {

    private static String parse(String text, IntKind kind, boolean size) throws ScalarParsers.Rejected {
        return ScalarParsers.integer(text, kind, size).toString();
    }

    @Test
    void integerForms() throws ScalarParsers.Rejected {
        assertEquals("255", parse("0xff", IntKind.UINT32, false));
        assertEquals("255", parse("0XFF", IntKind.UINT32, false));
        assertEquals("1000000", parse("1_000_000", IntKind.UINT32, false));
        assertEquals("10", parse("010", IntKind.UINT32, false), "leading zeros are decimal, not octal");
        assertEquals("0", parse("-0", IntKind.UINT32, false), "minus zero is zero, not negative");
        assertEquals("-2147483648", parse("-2147483648", IntKind.INT32, false));
        assertEquals("-9223372036854775808", parse("-0x8000_0000_0000_0000", IntKind.INT64, false));
    }

    @Test
    void rangesPerKind() {
        assertThrows(ScalarParsers.Rejected.class, () -> parse("2147483648", IntKind.INT32, false));
        assertThrows(ScalarParsers.Rejected.class, () -> parse("9223372036854775808", IntKind.INT64, false));
        assertThrows(ScalarParsers.Rejected.class, () -> parse("-1", IntKind.UINT64, true));
    }

    @Test
    void signedSizesStayInRange() throws ScalarParsers.Rejected {
        assertEquals(BigInteger.valueOf(-(1L << 30)), ScalarParsers.integer("-1G", IntKind.INT64, true));
        ScalarParsers.Rejected r = assertThrows(ScalarParsers.Rejected.class, () -> parse("8388608T", IntKind.INT64, true));
        assertEquals("a size of at most 9223372036854775807 bytes (int64)", r.expected);
    }

    @Test
    void booleans() throws ScalarParsers.Rejected {
        assertEquals(true, ScalarParsers.bool("Yes"));
        assertEquals(true, ScalarParsers.bool("ON"));
        assertEquals(false, ScalarParsers.bool("off"));
        assertEquals(false, ScalarParsers.bool("False"));
        assertThrows(ScalarParsers.Rejected.class, () -> ScalarParsers.bool("1"));
        assertThrows(ScalarParsers.Rejected.class, () -> ScalarParsers.bool("y"));
    }
}
