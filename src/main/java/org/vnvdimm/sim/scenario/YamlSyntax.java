package org.vnvdimm.sim.scenario;

import java.util.Locale;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;

/**
 * Turns snakeyaml's syntax errors into the scenario error format, at snakeyaml's problem mark,
 * rewording the parser's token names into words a scenario author knows.
 */
final class YamlSyntax {
    static final String FIELD = "(yaml)";

    private YamlSyntax() {
    }

    private static final Map<String, String> TOKEN_WORDS = new LinkedHashMap<>();

    static {
        TOKEN_WORDS.put("<block end>", "the end of the indented block");
        TOKEN_WORDS.put("<block mapping start>", "a key at a deeper indentation");
        TOKEN_WORDS.put("<block sequence start>", "a '-' item at a deeper indentation");
        TOKEN_WORDS.put("<stream end>", "the end of the file");
        TOKEN_WORDS.put("<document start>", "'---'");
        TOKEN_WORDS.put("<document end>", "'...'");
        TOKEN_WORDS.put("<scalar>", "a value");
        TOKEN_WORDS.put("<alias>", "an alias");
        TOKEN_WORDS.put("<anchor>", "an anchor");
        TOKEN_WORDS.put("<tag>", "a tag");
        TOKEN_WORDS.put("<directive>", "a directive");
    }

    private static final Pattern CANNOT_START = Pattern.compile("found character '(.)' that cannot start any token");
    private static final Pattern EXPECTED_BUT = Pattern.compile("expected (.+?), but (?:found|got) (.+)");

    static ScenarioException fromMarked(String source, MarkedYamlEngineException e) {
        Mark mark = e.getProblemMark().or(e::getContextMark).orElse(null);
        int line = mark == null ? 0 : mark.getLine() + 1;
        int column = mark == null ? 0 : mark.getColumn() + 1;
        String problem = oneLine(e.getProblem() == null ? "" : e.getProblem());
        String context = e.getContext() == null ? "" : oneLine(e.getContext());
        String where = e.getContextMark()
                .filter(m -> !context.isEmpty())
                .map(m -> " (" + context + " that starts at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ")")
                .orElse("");

        String expected;
        String got;
        Matcher m;
        if (problem.contains("\\t(TAB)") || problem.contains("'\t'")) {
            expected = "spaces (YAML does not allow tabs for indentation)";
            got = "a tab character";
        } else if (problem.startsWith("mapping values are not allowed")) {
            expected = "a key at the indentation of its siblings, or a quoted value if the value contains ': '";
            got = "':'";
        } else if (context.contains("quoted scalar") && problem.contains("end of stream")) {
            expected = "a closing quote" + where;
            got = "the end of the file";
        } else if (problem.startsWith("found undefined alias")) {
            expected = "an anchor (&name) defined before its alias";
            got = "the alias *" + problem.substring("found undefined alias".length()).trim();
        } else if ((m = CANNOT_START.matcher(problem)).lookingAt()) {
            expected = "a value that does not start with '" + m.group(1) + "' (quote the value)";
            got = "'" + m.group(1) + "'";
        } else if (problem.startsWith("could not find expected ':'")) {
            expected = "':' after the key" + where;
            got = "no ':'";
        } else if (context.contains("single document")) {
            expected = "a single YAML document";
            got = "a second document";
        } else if ((m = EXPECTED_BUT.matcher(problem)).matches()) {
            expected = words(m.group(1)) + where;
            got = words(m.group(2));
        } else {
            expected = "valid YAML" + where;
            got = problem.isEmpty() ? "invalid input" : problem.replaceFirst("^found ", "");
        }
        return new ScenarioException(source, line, column, FIELD, expected, charCode(got));
    }

    // snakeyaml shows a character as itself followed by its code, "d(100)" or " (32)".
    private static final Pattern CHAR_CODE = Pattern.compile("(?s).?\\((\\d{1,7})\\)$");

    /** Rewrites a trailing "x(120)" as 'x' (escaped if invisible), and "unexpected character found" as "the character". */
    static String charCode(String text) {
        Matcher m = CHAR_CODE.matcher(text);
        String out = text;
        if (m.find()) {
            int cp = Integer.parseInt(m.group(1));
            if (Character.isValidCodePoint(cp)) {
                out = text.substring(0, m.start()).stripTrailing();
                out = (out.isEmpty() ? "" : out + " ") + YamlProtoReader.quote(new String(Character.toChars(cp)));
            }
        }
        return out.replace("unexpected character found ", "the character ");
    }

    static ScenarioException fromReader(String source, String text, ReaderException e) {
        int[] lineColumn = lineColumnOfCodePoint(text, e.getPosition());
        String codePoint = String.format(Locale.ROOT, "U+%04X", e.getCodePoint());
        return new ScenarioException(source, lineColumn[0], lineColumn[1], FIELD,
                "printable characters", "the non-printable character " + codePoint);
    }

    /** 1-based line and column of a code-point index, counting line breaks as snakeyaml's marks do. */
    static int[] lineColumnOfCodePoint(String text, int codePointIndex) {
        int line = 1;
        int column = 1;
        int seen = 0;
        for (int i = 0; i < text.length() && seen < codePointIndex; seen++) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            boolean crBeforeLf = cp == '\r' && i < text.length() && text.charAt(i) == '\n';
            // Like snakeyaml-engine's marks (YAML 1.2): \n, \r\n and a lone \r end a line; NEL and U+2028 do not.
            if (cp == '\n' || (cp == '\r' && !crBeforeLf)) {
                line++;
                column = 1;
            } else if (!crBeforeLf) {
                column++;
            }
        }
        return new int[] {line, column};
    }

    private static String words(String phrase) {
        String out = phrase;
        for (Map.Entry<String, String> w : TOKEN_WORDS.entrySet()) {
            out = out.replace("'" + w.getKey() + "'", w.getValue()).replace(w.getKey(), w.getValue());
        }
        // snakeyaml names punctuation tokens bare ("but got :"); quote them like any other text we show.
        return out.length() <= 3 && !out.startsWith("'") ? "'" + out + "'" : out;
    }

    static String oneLine(String text) {
        return text == null ? "" : text.replace("\r", " ").replace("\n", " ").trim();
    }
}
