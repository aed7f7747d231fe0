package org.vnvdimm.contract;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The small part of JSON that QMP commands and answers between xl and QEMU use: objects whose
 * values are strings, integers, booleans or objects. {@link #parse} returns nested objects as maps
 * (insertion order kept), strings as String, integers as Long, booleans as Boolean.
 */
public final class QmpJson {
    private QmpJson() {}

    /** Malformed QMP input. */
    public static final class JsonError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JsonError(String message) { super(message, null, false, false); }
    }

    /** A JSON string literal. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** {"execute": NAME, "arguments": {...}}, values as given (String, Number, Boolean). */
    public static String command(String execute, Map<String, Object> arguments) {
        StringBuilder b = new StringBuilder("{\"execute\": ").append(quote(execute));
        if (!arguments.isEmpty()) b.append(", \"arguments\": ").append(object(arguments));
        return b.append('}').toString();
    }

    /** QMP's error answer: {"error": {"class": C, "desc": D}}. */
    public static String error(String errorClass, String desc) {
        return "{\"error\": {\"class\": " + quote(errorClass) + ", \"desc\": " + quote(desc) + "}}";
    }

    /** QMP's success answer with no data. */
    public static final String RETURN_EMPTY = "{\"return\": {}}";

    static String object(Map<String, Object> m) {
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (!first) b.append(", ");
            first = false;
            b.append(quote(e.getKey())).append(": ");
            Object v = e.getValue();
            if (v instanceof String s) b.append(quote(s));
            else if (v instanceof Map<?, ?> sub) {
                @SuppressWarnings("unchecked") Map<String, Object> cast = (Map<String, Object>) sub;
                b.append(object(cast));
            } else b.append(v);
        }
        return b.append('}').toString();
    }

    /** Parses one JSON object. */
    public static Map<String, Object> parse(String json) {
        Parser p = new Parser(json);
        p.ws();
        Map<String, Object> m = p.object();
        p.ws();
        if (p.i != json.length()) throw new JsonError("trailing characters at offset " + p.i);
        return m;
    }

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) { this.s = s; }

        void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        void expect(char c) {
            ws();
            if (i >= s.length() || s.charAt(i) != c) throw new JsonError("expected '" + c + "' at offset " + i);
            i++;
        }

        Map<String, Object> object() {
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
            while (true) {
                ws();
                String k = string();
                expect(':');
                ws();
                m.put(k, value());
                ws();
                if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
                expect('}');
                return m;
            }
        }

        Object value() {
            if (i >= s.length()) throw new JsonError("value expected at the end");
            char c = s.charAt(i);
            if (c == '{') return object();
            if (c == '"') return string();
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            int start = i;
            if (c == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            if (i == start || (i == start + 1 && c == '-')) throw new JsonError("unsupported value at offset " + start);
            try {
                return Long.parseLong(s.substring(start, i));
            } catch (NumberFormatException ex) {
                throw new JsonError("integer out of range at offset " + start);
            }
        }

        String string() {
            if (i >= s.length() || s.charAt(i) != '"') throw new JsonError("string expected at offset " + i);
            i++;
            StringBuilder b = new StringBuilder();
            while (i < s.length() && s.charAt(i) != '"') {
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length()) {
                    char n = s.charAt(i++);
                    switch (n) {
                        case 'n' -> b.append('\n');
                        case 'u' -> {
                            if (i + 4 > s.length()) throw new JsonError("bad escape");
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(n);
                    }
                } else b.append(c);
            }
            if (i >= s.length()) throw new JsonError("unterminated string");
            i++;
            return b.toString();
        }
    }
}
