package org.vnvdimm.sim.record;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;

/** Writes a run's folder: trace.jsonl, trace.mmd (Mermaid sequence diagram), trace.txt, summary.json. */
public final class TraceFiles {
    private TraceFiles() {}

    public static List<Path> write(Path dir, TraceHeader header, List<TraceRecord> records, RunSummary summary) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();
        Path jsonl = dir.resolve("trace.jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)) {
            w.write(print(json, header));
            w.newLine();
            for (TraceRecord r : records) {
                w.write(print(json, r));
                w.newLine();
            }
        }
        written.add(jsonl);
        Path mmd = dir.resolve("trace.mmd");
        Files.write(mmd, mermaid(records), StandardCharsets.UTF_8);
        written.add(mmd);
        Path txt = dir.resolve("trace.txt");
        Files.write(txt, new TraceText(records, TraceText.Detail.VERBOSE).lines(), StandardCharsets.UTF_8);
        written.add(txt);
        Path sum = dir.resolve("summary.json");
        Files.writeString(sum, JsonFormat.printer().print(summary) + "\n", StandardCharsets.UTF_8);
        written.add(sum);
        return written;
    }

    private static String print(JsonFormat.Printer p, com.google.protobuf.MessageOrBuilder m) {
        try {
            return p.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print trace record: " + e.getMessage(), e);
        }
    }

    static final List<String> ROLE_ORDER = List.of("admin", "platform", "xen", "dom0", "xl", "xenstored");

    /** A Mermaid sequence diagram; repeated exchanges are folded as in the text trace. */
    public static List<String> mermaid(List<TraceRecord> records) {
        Set<String> roles = new LinkedHashSet<>();
        List<String> seen = new ArrayList<>();
        for (TraceRecord r : records) {
            seen.add(r.getDelivered().getFrom());
            seen.add(r.getDelivered().getTo());
        }
        for (String o : ROLE_ORDER) if (seen.contains(o)) roles.add(o);
        for (String s : seen) if (s.startsWith("qemu-")) roles.add(s);
        for (String s : seen) if (s.startsWith("guest-")) roles.add(s);
        roles.addAll(seen);
        List<String> out = new ArrayList<>();
        out.add("sequenceDiagram");
        for (String r : roles) out.add("    participant " + id(r) + " as " + r);
        for (String line : new TraceText(records, TraceText.Detail.QUIET).lines()) {
            if (!line.startsWith("#")) {
                String t = line.trim();
                if (t.startsWith("…")) out.add("    Note over " + id(roles.iterator().next()) + ": " + clean(t));
                continue;
            }
            out.add(arrow(line, records));
        }
        for (TraceRecord r : records) {
            for (Verdict v : r.getVerdictsList()) {
                out.add("    Note over " + id(r.getDelivered().getTo()) + ": VIOLATION " + clean(v.getOracle() + " at #" + v.getSeq() + " " + v.getDetail()));
            }
        }
        return out;
    }

    private static String arrow(String line, List<TraceRecord> records) {
        // line: "#0042 qemu-1 → xen   text"
        String seq = line.substring(1, line.indexOf(' '));
        String rest = line.substring(line.indexOf(' ') + 1);
        int arrowAt = rest.indexOf(" → ");
        String from = rest.substring(0, arrowAt).trim();
        String after = rest.substring(arrowAt + 3);
        int sp = after.indexOf("  ");
        String to = (sp < 0 ? after : after.substring(0, sp)).trim();
        String text = sp < 0 ? "" : after.substring(sp).trim();
        String kind = text.startsWith("↩") ? "-->>" : "->>";
        return "    " + id(from) + kind + id(to) + ": " + Long.parseLong(seq) + " " + clean(text);
    }

    static String id(String role) { return role.replace('-', '_'); }

    /** Mermaid treats ';' and '#' specially in messages. */
    static String clean(String s) {
        String t = s.replace(";", ",").replace("#", "No.").replace("→", "->").replace("↩", "reply").replace("…", "...");
        return t.length() > 160 ? t.substring(0, 157) + "..." : t;
    }

    public static String describeEnvelope(Envelope e) { return TraceFormatter.describe(e); }
}
