package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's sample output ("What a run prints") is what `./vnvdimm run` prints: every line of the
 * block appears in the output of the boot scenario, in order. A line that is only `…` (or `⋮`) marks
 * an elision and is not looked for. Code versions are compared as "some code version".
 *
 * <p>{@code mvn -pl src test -Dtest=ReadmeSampleTest -Dreadme.update=true} rewrites the block from
 * the current output instead: each line is replaced by the output line of the same shape (the same
 * text with its numbers, hex and hashes taken as wildcards) that comes next in order, so the block
 * keeps its selection of lines while seq numbers, sizes and the hash move. Lines with no such
 * output line are dropped and listed; elision markers stay.
 */
class ReadmeSampleTest {
    static final String HEADING = "## What a run prints";
    static final Pattern CODE_VERSION = Pattern.compile("vnvdimm-sim \\d+\\.\\d+\\.\\d+\\+src\\.(?:[0-9a-f]{12}|unknown)");

    @TempDir Path tmp;

    @Test
    void theReadmesSampleIsWhatRunPrints() throws Exception {
        // Exactly as ./vnvdimm run: no arguments (the boot scenario, a new runs/ folder under the working directory).
        ChildJvm.Result r = ChildJvm.start(tmp.resolve("cwd"), List.of(), "run").await();
        assertEquals(0, r.exit(), r.err());
        List<String> out = r.out().lines().toList();

        Path readme = readme();
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        Block b = block(text);
        if (Boolean.getBoolean("readme.update")) {
            List<String> dropped = new ArrayList<>();
            List<String> fresh = update(b.lines(), out, dropped);
            Files.writeString(readme, text.substring(0, b.start()) + String.join("\n", fresh) + "\n" + text.substring(b.end()), StandardCharsets.UTF_8);
            if (!dropped.isEmpty()) System.err.println("README sample: no output line of this shape any more, dropped:\n  " + String.join("\n  ", dropped));
            return;
        }
        List<String> missing = check(b.lines(), out);
        assertTrue(missing.isEmpty(), "README.md's sample block has lines that `./vnvdimm run` no longer prints (in this order); "
                + "run `mvn -pl src test -Dtest=ReadmeSampleTest -Dreadme.update=true` to refresh it:\n  " + String.join("\n  ", missing));
    }

    record Block(int start, int end, List<String> lines) {}

    static Path readme() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.exists(d.resolve("README.md")) && Files.exists(d.resolve("vnvdimm"))) return d.resolve("README.md");
        }
        throw new AssertionError("no README.md above " + dir);
    }

    /** The first ``` block after the heading: [start, end) spans its lines, each ending in \n. */
    static Block block(String text) {
        int h = text.indexOf(HEADING);
        assertTrue(h >= 0, "README.md has no '" + HEADING + "' section");
        int open = text.indexOf("```\n", h);
        assertTrue(open >= 0, "no ``` block after '" + HEADING + "'");
        int start = open + 4;
        int end = text.indexOf("\n```", start - 1);
        assertTrue(end >= start - 1, "unclosed ``` block after '" + HEADING + "'");
        end = Math.max(end + 1, start);
        String body = text.substring(start, end);
        return new Block(start, end, body.isEmpty() ? List.of() : body.lines().toList());
    }

    static boolean isElision(String line) {
        String t = line.strip();
        return t.equals("…") || t.equals("⋮") || t.equals("...");
    }

    static String normalizeVersion(String s) { return CODE_VERSION.matcher(s).replaceAll("vnvdimm-sim <code version>"); }

    /** The README's lines that are not found in out in order (empty: the sample holds). */
    static List<String> check(List<String> sample, List<String> out) {
        List<String> missing = new ArrayList<>();
        int i = 0;
        long real = sample.stream().filter(l -> !isElision(l)).count();
        if (real == 0) missing.add("(the sample block is empty)");
        for (String l : sample) {
            if (isElision(l)) continue;
            String want = normalizeVersion(l);
            int j = i;
            while (j < out.size() && !normalizeVersion(out.get(j)).equals(want)) j++;
            if (j == out.size()) {
                missing.add(l);
            } else {
                i = j + 1;
            }
        }
        return missing;
    }

    /** A line's shape: its numbers, hex and hashes as wildcards. */
    static String shape(String line) {
        String s = normalizeVersion(line);
        s = s.replaceAll("\\b[0-9a-f]{64}\\b", "<hash>");
        s = s.replaceAll("0x[0-9a-fA-F]+", "0x<hex>");
        s = s.replaceAll("\\d+", "<n>");
        return s.replaceAll("\\s+", " ").strip();
    }

    static List<String> update(List<String> sample, List<String> out, List<String> dropped) {
        List<String> fresh = new ArrayList<>();
        int i = 0;
        for (String l : sample) {
            if (isElision(l)) {
                fresh.add(l);
                continue;
            }
            String want = shape(l);
            int j = i;
            while (j < out.size() && !shape(out.get(j)).equals(want)) j++;
            if (j == out.size()) {
                dropped.add(l);
            } else {
                fresh.add(out.get(j));
                i = j + 1;
            }
        }
        if (fresh.stream().allMatch(ReadmeSampleTest::isElision)) {
            // Nothing left to follow: the start of the trace, an elision, and the summary.
            fresh.clear();
            int summary = out.indexOf("");
            fresh.addAll(out.subList(0, Math.min(20, summary < 0 ? out.size() : summary)));
            fresh.add("…");
            if (summary >= 0) fresh.addAll(out.subList(summary + 1, out.size()).stream().filter(x -> !x.startsWith("took ")).toList());
        }
        return fresh;
    }

    @Test
    void theCheckFindsLinesInOrderSkipsElisionsAndIgnoresTheCodeVersion() {
        List<String> out = List.of("a 1", "b 2", "c vnvdimm-sim 0.1.0+src.0123456789ab", "d 4");
        assertEquals(List.of(), check(List.of("a 1", "…", "c vnvdimm-sim 0.1.0+src.ffffffffffff", "d 4"), out));
        assertEquals(List.of("a 1"), check(List.of("b 2", "a 1"), out), "order matters");
        assertEquals(List.of("b 3"), check(List.of("b 3"), out), "numbers matter");
        assertEquals(List.of("(the sample block is empty)"), check(List.of("…"), out));
        List<String> dropped = new ArrayList<>();
        assertEquals(List.of("#0012 xen → dom0 ret 0x1f", "…", "trace sha256 " + "b".repeat(64)),
                update(List.of("#0010 xen → dom0 ret 0x1e", "…", "gone 1", "trace sha256 " + "a".repeat(64)),
                        List.of("#0009 xl → xen", "#0012 xen → dom0 ret 0x1f", "trace sha256 " + "b".repeat(64)), dropped));
        assertEquals(List.of("gone 1"), dropped);
        Block b = block("x\n## What a run prints (trimmed)\n\n```\nl1\nl2\n```\nafter\n");
        assertEquals(List.of("l1", "l2"), b.lines());
    }
}
