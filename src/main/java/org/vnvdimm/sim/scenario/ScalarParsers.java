package org.vnvdimm.sim.scenario;

import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text-to-value rules for scalars in scenario files. Each parser either returns the value or throws
 * {@link Rejected} carrying the "expected ..." phrase for the error message.
 */
final class ScalarParsers {
    private ScalarParsers() {
    }

    /** A scalar that does not fit; {@code expected} completes "expected ...". */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        final String expected;

        Rejected(String expected) {
            super(expected, null, false, false);
            this.expected = expected;
        }
    }

    /** The four integer ranges proto field types fall into. */
    enum IntKind {
        INT32("int32", BigInteger.valueOf(Integer.MIN_VALUE), BigInteger.valueOf(Integer.MAX_VALUE)),
        UINT32("uint32", BigInteger.ZERO, BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE)),
        INT64("int64", BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE)),
        UINT64("uint64", BigInteger.ZERO, BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));

        final String protoName;
        final BigInteger min;
        final BigInteger max;

        IntKind(String protoName, BigInteger min, BigInteger max) {
            this.protoName = protoName;
            this.min = min;
            this.max = max;
        }

        boolean signed() {
            return min.signum() < 0;
        }

        boolean is64() {
            return this == INT64 || this == UINT64;
        }
    }

    // Digits with single '_' separators between them; no leading, trailing or doubled '_'.
    private static final String DEC = "[0-9](?:_?[0-9])*";
    private static final String HEX = "0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*";
    private static final Pattern INTEGER = Pattern.compile("([+-]?)(" + HEX + "|" + DEC + ")");
    // Sizes: a decimal count, at most one space, then a binary unit. Units are 1024-based.
    private static final Pattern SIZE = Pattern.compile("([+-]?)(" + DEC + ") ?(K|M|G|T|KiB|MiB|GiB|TiB|B)");
    // Other spellings of K/M/G/T (GB, kB, g, Gi...) are refused: GB and kB commonly mean powers of 1000.
    private static final Pattern OTHER_UNIT = Pattern.compile("[+-]?" + DEC + " ?[kmgt]i?b?", Pattern.CASE_INSENSITIVE);

    static final String SIZE_FORMS = "a size in bytes (a number, 0x hex, or a number with a 1024-based unit "
            + "K/KiB, M/MiB, G/GiB, T/TiB, e.g. 4096, 128M, 16GiB)";

    static String integerForms(IntKind kind) {
        return "an integer (" + kind.protoName + ", decimal or 0x hex, '_' between digits allowed)";
    }

    /** Parses an integer of the given kind; with {@code sizeUnits}, also a size such as {@code 16GiB}. */
    static BigInteger integer(String text, IntKind kind, boolean sizeUnits) throws Rejected {
        BigInteger value;
        boolean negative;
        Matcher m = INTEGER.matcher(text);
        if (m.matches()) {
            negative = m.group(1).equals("-");
            String digits = m.group(2).replace("_", "");
            value = digits.length() > 2 && (digits.charAt(1) == 'x' || digits.charAt(1) == 'X')
                    ? new BigInteger(digits.substring(2), 16)
                    : new BigInteger(digits, 10);
        } else if (sizeUnits && (m = SIZE.matcher(text)).matches()) {
            negative = m.group(1).equals("-");
            value = new BigInteger(m.group(2).replace("_", ""), 10).shiftLeft(unitShift(m.group(3)));
        } else if (sizeUnits && OTHER_UNIT.matcher(text).matches()) {
            throw new Rejected("a size with a 1024-based unit written exactly K/KiB, M/MiB, G/GiB or T/TiB "
                    + "(GB, kB and lower-case units are refused: they often mean powers of 1000)");
        } else {
            throw new Rejected(sizeUnits ? SIZE_FORMS : integerForms(kind));
        }
        if (negative) {
            value = value.negate();
        }
        if (value.signum() < 0 && !kind.signed()) {
            throw new Rejected(sizeUnits ? "a non-negative size in bytes" : "a non-negative integer (" + kind.protoName + ")");
        }
        if (value.compareTo(kind.max) > 0) {
            throw new Rejected(sizeUnits
                    ? "a size of at most " + kind.max + " bytes (" + kind.protoName + ")"
                    : "an integer of at most " + kind.max + " (" + kind.protoName + ")");
        }
        if (value.compareTo(kind.min) < 0) {
            throw new Rejected("an integer of at least " + kind.min + " (" + kind.protoName + ")");
        }
        return value;
    }

    private static int unitShift(String unit) {
        switch (unit) {
            case "B":
                return 0;
            case "K":
            case "KiB":
                return 10;
            case "M":
            case "MiB":
                return 20;
            case "G":
            case "GiB":
                return 30;
            case "T":
            case "TiB":
                return 40;
            default:
                throw new IllegalStateException("unit " + unit + " is in the SIZE pattern but has no shift");
        }
    }

    static final String BOOLEAN_FORMS = "a boolean (true/false, yes/no, on/off)";

    static boolean bool(String text) throws Rejected {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
            case "on":
                return true;
            case "false":
            case "no":
            case "off":
                return false;
            default:
                throw new Rejected(BOOLEAN_FORMS);
        }
    }

    private static final Pattern DECIMAL_NUMBER = Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");

    static double number(String text) throws Rejected {
        if (!DECIMAL_NUMBER.matcher(text).matches()) {
            throw new Rejected("a decimal number");
        }
        return Double.parseDouble(text);
    }
}
