package org.vnvdimm.sim.record;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;

/**
 * A run's folder, rendered from its trace.bin in streaming passes: trace.jsonl (one stamped message
 * per line, after the header line), trace.txt (the full text trace), trace.mmd (the first part of the
 * Mermaid sequence diagrams `vnvdimm trace --format mermaid` writes) and summary.json.
 */
public final class TraceFiles {
    static final List<String> ROLE_ORDER = List.of("admin", "platform", "xen", "dom0", "xl", "xenstored");

    private TraceFiles() {}

    /** What the first pass learned: widths for alignment, the roles in diagram order. */
    public record Shape(int roleWidth, int seqWidth, List<String> roles, long records) {
        public TraceText text(TraceText.Detail d) { return new TraceText(d, roleWidth, seqWidth); }
    }

    /** The files written and the trace's shape (for printing it again with the same alignment). */
    public record Written(List<Path> files, Shape shape) {}

    public static Written write(Path dir, Path bin, RunSummary summary) throws IOException {
        List<Path> written = new ArrayList<>();
        Path jsonl = dir.resolve("trace.jsonl");
        Shape shape = writeJsonl(bin, jsonl);
        written.add(jsonl);
        Path txt = dir.resolve("trace.txt");
        try (BufferedWriter w = Files.newBufferedWriter(txt, StandardCharsets.UTF_8); TraceReader r = new TraceReader(bin)) {
            shape.text(TraceText.Detail.VERBOSE).render(r.iterator(), line -> writeLine(w, line));
        }
        written.add(txt);
        Path mmd = dir.resolve("trace.mmd");
        try (BufferedWriter w = Files.newBufferedWriter(mmd, StandardCharsets.UTF_8); TraceReader r = new TraceReader(bin)) {
            String title = r.header().getScenario().getName() + ", seed " + Long.toUnsignedString(r.header().getSeed());
            mermaid(r.iterator(), title, line -> writeLine(w, line));
        }
        written.add(mmd);
        // Last: a folder with summary.json holds a run that ended (RunFolder puts it in place after this).
        Path sum = dir.resolve("summary.json");
        Files.writeString(sum, SUMMARY_JSON.print(identified(summary, bin)) + "\n", StandardCharsets.UTF_8);
        written.add(sum);
        return new Written(written, shape);
    }

    /** summary.json always names the run and its verdict, even when a value is the default (seed 0, not met). */
    private static final JsonFormat.Printer SUMMARY_JSON = JsonFormat.printer().includingDefaultValueFields(Set.of(
            RunSummary.getDescriptor().findFieldByName("scenario"), RunSummary.getDescriptor().findFieldByName("seed"),
            RunSummary.getDescriptor().findFieldByName("code_version"), RunSummary.getDescriptor().findFieldByName("outcome"),
            RunSummary.getDescriptor().findFieldByName("expectations_met")));

    /** The summary, with scenario, seed and code version taken from the trace's header where it lacks them. */
    static RunSummary identified(RunSummary summary, Path bin) throws IOException {
        if (!summary.getScenario().isEmpty() && !summary.getCodeVersion().isEmpty()) {
            return summary;
        }
        try (TraceReader r = new TraceReader(bin)) {
            org.vnvdimm.proto.TraceHeader h = r.header();
            RunSummary.Builder b = summary.toBuilder();
            if (b.getScenario().isEmpty()) b.setScenario(h.getScenario().getName());
            if (b.getCodeVersion().isEmpty()) b.setCodeVersion(h.getCodeVersion());
            if (b.getSeed() == 0) b.setSeed(h.getSeed());
            return b.build();
        }
    }

    private static void writeLine(BufferedWriter w, String line) {
        try {
            w.write(line);
            w.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pass 1: trace.jsonl, and the shape of the trace for the text passes. */
    static Shape writeJsonl(Path bin, Path jsonl) throws IOException {
        JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();
        int roleWidth = 4;
        long last = 0, n = 0;
        Set<String> seen = new TreeSet<>();
        try (BufferedWriter w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8); TraceReader r = new TraceReader(bin)) {
            writeLine(w, print(json, r.header()));
            for (TraceRecord rec : r) {
                writeLine(w, print(json, rec));
                String f = rec.getDelivered().getFrom(), t = rec.getDelivered().getTo();
                roleWidth = Math.max(roleWidth, Math.max(f.length(), t.length()));
                seen.add(f);
                seen.add(t);
                last = rec.getDelivered().getSeq();
                n++;
            }
        }
        return new Shape(roleWidth, Long.toString(last).length(), diagramOrder(seen), n);
    }

    /** The shape of a trace held in memory. */
    public static Shape shapeOf(List<TraceRecord> records) {
        int roleWidth = 4;
        Set<String> seen = new TreeSet<>();
        for (TraceRecord rec : records) {
            roleWidth = Math.max(roleWidth, Math.max(rec.getDelivered().getFrom().length(), rec.getDelivered().getTo().length()));
            seen.add(rec.getDelivered().getFrom());
            seen.add(rec.getDelivered().getTo());
        }
        long last = records.isEmpty() ? 0 : records.get(records.size() - 1).getDelivered().getSeq();
        return new Shape(roleWidth, Long.toString(last).length(), diagramOrder(seen), records.size());
    }

    /** The fixed roles, in the order diagrams draw their lanes. */
    public static List<String> roleOrder() { return ROLE_ORDER; }

    private static List<String> diagramOrder(Set<String> seen) {
        Set<String> roles = new LinkedHashSet<>();
        for (String o : ROLE_ORDER) if (seen.contains(o)) roles.add(o);
        for (String s : seen) if (s.startsWith("qemu-")) roles.add(s);
        for (String s : seen) if (s.startsWith("guest-")) roles.add(s);
        roles.addAll(seen);
        return new ArrayList<>(roles);
    }

    private static String print(JsonFormat.Printer p, com.google.protobuf.MessageOrBuilder m) {
        try {
            return p.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print trace record: " + e.getMessage(), e);
        }
    }

    /**
     * trace.mmd: the first part of `trace --format mermaid` (SequenceDiagrams), which stays within
     * Mermaid's default maxTextSize; its last note says where the rest is.
     */
    public static void mermaid(java.util.Iterator<TraceRecord> records, String title, Consumer<String> out) {
        String text = org.vnvdimm.sim.view.SequenceDiagrams.firstPart(records, title, org.vnvdimm.sim.view.SequenceDiagrams.Dialect.MERMAID).text();
        out.accept(text.substring(0, text.length() - 1)); // lines in one string; the consumer adds the last newline
    }

    public static List<String> mermaid(List<TraceRecord> records) {
        List<String> out = new ArrayList<>();
        mermaid(records.iterator(), "trace", s -> out.addAll(List.of(s.split("\n", -1))));
        return out;
    }
}
