package org.vnvdimm.sim.scenario;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where each value of a loaded file was written: field path to 1-based line and column of the value
 * (not of its key), plus the scalar text as written. Semantic checks that run after loading use it to
 * point at the value they reject, and at the nearest enclosing value when the field was left out.
 *
 * <p>Paths use proto field names: {@code platform.dimms[1].size_bytes}; the document itself is the
 * empty path {@code ""}.
 */
public final class SourceMap {

    /** A value's position; {@code text} is the scalar as written, or null for mappings, sequences and nulls. */
    public record Position(int line, int column, String text) {
    }

    private final String sourceName;
    // Insertion order is document order, which keeps any listing deterministic.
    private final Map<String, Position> byPath = new LinkedHashMap<>();

    SourceMap(String sourceName) {
        this.sourceName = sourceName;
    }

    /** A map with no positions, for validating scenarios that were not read from a file. */
    public static SourceMap empty(String sourceName) {
        return new SourceMap(sourceName);
    }

    public String sourceName() {
        return sourceName;
    }

    void put(String path, Position position) {
        // An alias can put the same node at two paths; each path keeps its first position.
        byPath.putIfAbsent(path, position);
    }

    /** The position of exactly this path, if the file gave a value for it. */
    public Optional<Position> exact(String path) {
        return Optional.ofNullable(byPath.get(path));
    }

    /** Whether the file gave a value (possibly empty) for this path. */
    public boolean given(String path) {
        return byPath.containsKey(path);
    }

    /**
     * The position of the path, or of its nearest enclosing value that the file gave
     * ({@code a.b[2].c} tries {@code a.b[2]}, {@code a.b}, {@code a}, then the document).
     * Empty only for a map built with {@link #empty(String)}.
     */
    public Optional<Position> nearest(String path) {
        String p = path;
        while (true) {
            Position pos = byPath.get(p);
            if (pos != null) {
                return Optional.of(pos);
            }
            if (p.isEmpty()) {
                return Optional.empty();
            }
            p = parent(p);
        }
    }

    /** The same positions with every path under prefix (a --fault read alone becomes faults[i]). */
    SourceMap prefixed(String prefix) {
        SourceMap m = new SourceMap(sourceName);
        for (Map.Entry<String, Position> e : byPath.entrySet()) {
            m.put(e.getKey().isEmpty() ? prefix : prefix + "." + e.getKey(), e.getValue());
        }
        return m;
    }

    /** All recorded paths in document order. */
    public Map<String, Position> all() {
        return Collections.unmodifiableMap(byPath);
    }

    /** {@code a.b[2].c -> a.b[2] -> a.b -> a -> ""}; map keys are written {@code m["k"]}. */
    static String parent(String path) {
        if (path.endsWith("\"]")) {
            int open = path.lastIndexOf("[\"");
            return open < 0 ? "" : path.substring(0, open);
        }
        if (path.endsWith("]")) {
            int open = path.lastIndexOf('[');
            return open < 0 ? "" : path.substring(0, open);
        }
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }
}
