package org.vnvdimm.sim.scenario;

import java.util.List;

/**
 * A scenario file that cannot be used, with the place and the field that made it so.
 *
 * <p>{@link #getMessage()} is the one line shown to the user, formatted
 * {@code FILE:LINE:COLUMN: FIELD: expected EXPECTED, got GOT}, e.g.
 * {@code bad.yaml:7:16: platform.ram_bytes: expected a size of at least 64 MiB (67108864 bytes), got '32M'}.
 * Lines and columns are 1-based. When no position is known (the file cannot be read, or a
 * scenario built in code is validated) line and column are 0 and the message drops them:
 * {@code FILE: FIELD: expected ..., got ...}.
 *
 * <p>FIELD is a path of proto field names ({@code steps[3].xl_create.domain.vnvdimms[0].label_bytes}),
 * or one of {@code (yaml)} (YAML syntax), {@code (file)} (reading the file), {@code (root)} (the
 * document as a whole). GOT is the offending scalar in single quotes, or {@code a mapping},
 * {@code a sequence}, {@code an empty mapping}, {@code an empty sequence}, {@code nothing}, or, for
 * YAML syntax errors, a short description.
 */
public final class ScenarioException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int column;
    private final String field;
    private final String expected;
    private final String got;
    private final List<ScenarioException> additional;

    public ScenarioException(String file, int line, int column, String field, String expected, String got) {
        this(file, line, column, field, expected, got, List.of());
    }

    ScenarioException(String file, int line, int column, String field, String expected, String got,
                      List<ScenarioException> additional) {
        super(format(file, line, column, field, expected, got));
        this.file = file;
        this.line = line;
        this.column = column;
        this.field = field;
        this.expected = expected;
        this.got = got;
        this.additional = List.copyOf(additional);
    }

    private static String format(String file, int line, int column, String field, String expected, String got) {
        String where = line > 0 ? file + ":" + line + ":" + column : file;
        return where + ": " + field + ": expected " + expected + ", got " + got;
    }

    /** The source name given to the loader (the path as given, or the classpath path). */
    public String file() {
        return file;
    }

    /** 1-based line, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column, or 0 when unknown. */
    public int column() {
        return column;
    }

    /** The field path, or (yaml), (file), (root). */
    public String field() {
        return field;
    }

    public String expected() {
        return expected;
    }

    public String got() {
        return got;
    }

    /**
     * Further problems the validator found in the same file, in file order after this one (the
     * loader stops at the first structural error, so this is empty for those).
     */
    public List<ScenarioException> additional() {
        return additional;
    }

    ScenarioException withAdditional(List<ScenarioException> more) {
        return new ScenarioException(file, line, column, field, expected, got, more);
    }
}
