package org.vnvdimm.qemu.acpi;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * QEMU's option syntax: "key=value,key=value" lists with ",," escaping a comma, an optional implied first
 * key, and QEMU's number, size and boolean formats. Parse failures come back as {@link QemuOptionException}
 * naming the option and property.
 */
final class QemuValues {
    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;
    static final long GIB = 1024 * MIB;
    static final long TIB = 1024 * GIB;

    private QemuValues() {
    }

    /**
     * Parses an option argument. The first element may omit "key=" when {@code impliedKey} is given; other
     * elements without '=' are short-form booleans ("nvdimm" means nvdimm=on). Later keys override earlier.
     */
    static Map<String, String> keyValues(String option, String arg, String impliedKey) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        boolean first = true;
        int n = arg.length();
        while (i <= n) {
            StringBuilder element = new StringBuilder();
            while (i < n) {
                char c = arg.charAt(i);
                if (c == ',') {
                    if (i + 1 < n && arg.charAt(i + 1) == ',') {
                        element.append(',');
                        i += 2;
                        continue;
                    }
                    break;
                }
                element.append(c);
                i++;
            }
            i++; // skip the separator (or step past the end)
            String e = element.toString();
            int eq = e.indexOf('=');
            if (e.isEmpty()) {
                if (first && n == 0) {
                    break;
                }
                throw new QemuOptionException(option, "", "Invalid parameter ''");
            }
            if (eq < 0) {
                if (first && impliedKey != null) {
                    out.put(impliedKey, e);
                } else {
                    out.put(e, "on");
                }
            } else {
                String key = e.substring(0, eq);
                if (key.isEmpty()) {
                    throw new QemuOptionException(option, "", "Invalid parameter ''");
                }
                out.put(key, e.substring(eq + 1));
            }
            first = false;
        }
        return out;
    }

    /**
     * QEMU size syntax: decimal digits with an optional fraction, or 0x hex, then an optional suffix
     * B, K, M, G, T, P or E (either case, powers of 1024). Without a suffix the value is in
     * {@code defaultUnit} bytes (1 normally, MiB for the legacy "-m 512").
     */
    static long size(String option, String property, String text, long defaultUnit) {
        String err = "Parameter '" + property + "' expects a non-negative number below 2^64";
        if (text == null || text.isEmpty()) {
            throw new QemuOptionException(option, property, err);
        }
        String t = text;
        long mul = defaultUnit;
        char last = t.charAt(t.length() - 1);
        int suffixPos = "BKMGTPE".indexOf(Character.toUpperCase(last));
        boolean hex = t.length() > 2 && t.charAt(0) == '0' && (t.charAt(1) == 'x' || t.charAt(1) == 'X');
        if (suffixPos >= 0 && !(hex && Character.digit(last, 16) >= 0)) {
            if (hex) {
                throw new QemuOptionException(option, property, err); // hex with a unit suffix is rejected
            }
            mul = 1L << (10 * suffixPos);
            t = t.substring(0, t.length() - 1);
        }
        try {
            BigInteger value;
            if (hex) {
                if (!isHex(t.substring(2))) {
                    throw new NumberFormatException();
                }
                value = new BigInteger(t.substring(2), 16).multiply(BigInteger.valueOf(mul));
            } else {
                if (t.isEmpty() || !t.matches("[0-9]+(\\.[0-9]*)?")) {
                    throw new NumberFormatException();
                }
                if (t.contains(".") && mul == 1) {
                    throw new NumberFormatException(); // a fraction of a byte is meaningless
                }
                value = new BigDecimal(t).multiply(BigDecimal.valueOf(mul)).toBigInteger();
            }
            if (value.bitLength() > 63) {
                throw new QemuOptionException(option, property, err + " (values of 2^63 and above are not modelled)");
            }
            return value.longValue();
        } catch (NumberFormatException e) {
            throw new QemuOptionException(option, property, err);
        }
    }

    private static boolean isHex(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    /** Unsigned integer in C base-0 syntax (0x hex, leading 0 octal, else decimal), at most {@code max}. */
    static long unsigned(String option, String property, String text, long max, String typeName) {
        String err = "Parameter '" + property + "' expects " + typeName;
        try {
            BigInteger v;
            if (text.startsWith("0x") || text.startsWith("0X")) {
                v = new BigInteger(text.substring(2), 16);
            } else if (text.length() > 1 && text.startsWith("0")) {
                v = new BigInteger(text.substring(1), 8);
            } else {
                v = new BigInteger(text, 10);
            }
            if (v.signum() < 0 || v.compareTo(BigInteger.valueOf(max)) > 0 || text.startsWith("+")
                    || text.startsWith("-")) {
                throw new QemuOptionException(option, property, err);
            }
            return v.longValue();
        } catch (NumberFormatException e) {
            throw new QemuOptionException(option, property, err);
        }
    }

    /** Signed 32-bit integer in C base-0 syntax. */
    static int int32(String option, String property, String text) {
        boolean negative = text.startsWith("-");
        long magnitude = unsigned(option, property, negative ? text.substring(1) : text,
                negative ? 0x8000_0000L : Integer.MAX_VALUE, "int32");
        return (int) (negative ? -magnitude : magnitude);
    }

    static boolean bool(String option, String property, String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new QemuOptionException(option, property,
                    "Parameter '" + property + "' expects 'on' or 'off'");
        };
    }

    /** Letters, digits, '-', '.', '_', starting with a letter (QEMU's id_wellformed). */
    static boolean wellFormedId(String id) {
        if (id.isEmpty() || !Character.isLetter(id.charAt(0)) || id.charAt(0) > 0x7F) {
            return false;
        }
        for (char c : id.toCharArray()) {
            if (c > 0x7F || !(Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    static long alignUp(long value, long align) {
        return align <= 1 ? value : Math.addExact(value, align - 1) / align * align;
    }

    static long alignDown(long value, long align) {
        return align <= 1 ? value : value / align * align;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
