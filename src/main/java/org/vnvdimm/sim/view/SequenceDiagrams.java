package org.vnvdimm.sim.view;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceText;

/**
 * Mermaid and PlantUML sequence diagrams of a trace, split into parts that each stay within the
 * renderer's default limits. Repeated exchanges are folded as in the text trace; a verdict is a red
 * note right under the message where it fired.
 *
 * <ul>
 *   <li>Mermaid refuses a diagram longer than {@code maxTextSize}, 50,000 characters by default; each
 *       part counts its exact length. (Mermaid's other default limit, {@code maxEdges} 500, applies to
 *       flowcharts only.)</li>
 *   <li>PlantUML crops a PNG past {@code PLANTUML_LIMIT_SIZE}, 4,096 px in width and height by default.
 *       Messages wrap at {@code maxMessageSize} so no label widens the diagram, and each part adds
 *       messages and participants only while a conservative model of PlantUML's layout (calibrated
 *       against PlantUML's own rendering; see SequenceDiagramsTest) stays under the limit.</li>
 * </ul>
 */
public final class SequenceDiagrams {
    public enum Dialect { MERMAID, PLANTUML }

    /** Mermaid's default maxTextSize (mermaid.js.org config schema). */
    public static final int MERMAID_MAX_TEXT_SIZE = 50_000;
    /** PlantUML's default PLANTUML_LIMIT_SIZE, in pixels, for width and height. */
    public static final int PLANTUML_LIMIT_SIZE_PX = 4096;

    /** Longest label shown (the full text is in the text trace and the HTML view). */
    static final int MAX_LABEL_CHARS = 160;
    /** Where PlantUML wraps a message label (skinparam maxMessageSize), in pixels. */
    static final int PLANTUML_MESSAGE_WIDTH_PX = 220;
    /** The model: text at PlantUML's default 13 pt sans-serif is at most this wide per character. */
    static final double PLANTUML_CHAR_PX = 7.6;
    static final int PLANTUML_LINE_PX = 16;
    static final int PLANTUML_ARROW_PX = 14;
    static final int PLANTUML_NOTE_PX = 16;
    static final int PLANTUML_FRAME_PX = 140;
    // measured: boot's lanes drew 1,783 px wide where +60 per lane gave 1,740; +80 keeps the model above it
    static final int PLANTUML_COLUMN_PX = PLANTUML_MESSAGE_WIDTH_PX + 80;
    /** Leave this much of each limit unused: the model is an estimate. */
    static final double PLANTUML_MARGIN = 0.85;

    /** One diagram. {@code estimatedWidthPx/HeightPx}: the model's PlantUML size (0 for Mermaid). */
    public record Part(int number, long firstSeq, long lastSeq, int messages, int participants, String text,
                       int estimatedWidthPx, int estimatedHeightPx) {}

    private SequenceDiagrams() {}

    /** Renders the run's (filtered) deliveries as parts, in order. */
    public static void render(RecordedRun run, TraceFilter filter, Dialect d, Consumer<Part> out) throws IOException {
        String title = run.header().getScenario().getName() + ", seed " + Long.toUnsignedString(run.header().getSeed())
                + (filter.isAll() ? "" : " (" + filter.describe() + ")");
        try (RecordedRun.Deliveries in = filter.apply(run.deliveries())) {
            render(in, title, d, out);
        }
    }

    /** Stops a walk once the part wanted is out. */
    private static final class Enough extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Enough() { super(null, null, false, false); }
    }

    /** Part 1 only (trace.mmd), without reading further than it reaches; its last note says how to get the rest. */
    public static Part firstPart(Iterator<TraceRecord> records, String title, Dialect d) {
        Part[] first = {null};
        try {
            render(records, title, d, p -> {
                first[0] = p;
                throw new Enough();
            }, " (all parts: vnvdimm trace RUN --format " + d.name().toLowerCase(Locale.ROOT) + " --out FILE)");
        } catch (Enough e) {
            // part 1 is out
        }
        return first[0];
    }

    public static void render(Iterator<TraceRecord> records, String title, Dialect d, Consumer<Part> out) {
        render(records, title, d, out, "");
    }

    private static void render(Iterator<TraceRecord> records, String title, Dialect d, Consumer<Part> out, String continuedHint) {
        Splitter s = new Splitter(d, title, out, continuedHint);
        TraceText.walk(records, new TraceText.Visitor() {
            @Override
            public void delivery(TraceRecord r, Envelope answer) {
                Envelope e = r.getDelivered();
                List<Item> group = new ArrayList<>();
                group.add(new Item(e.getSeq(), e.getFrom(), e.getTo(), e.getSeq() + " " + TraceText.message(e, answer), e.getInReplyTo() != 0, false));
                for (Verdict v : r.getVerdictsList()) {
                    group.add(new Item(e.getSeq(), e.getTo(), e.getTo(), "VIOLATION " + v.getOracle() + ": " + v.getDetail()
                            + (v.getRepeats() == 0 ? "" : " (and " + v.getRepeats() + " more, last at #" + v.getLastSeq() + ")"), false, true));
                }
                s.add(group);
            }

            @Override
            public void folded(int rounds, long firstSeq, long lastSeq) {
                String at = s.lastTo == null ? "admin" : s.lastTo;
                s.add(List.of(new Item(lastSeq, at, at, "… " + rounds + " more rounds of this exchange (#" + firstSeq + " – #" + lastSeq + ") …", false, false)));
            }
        });
        s.finish();
    }

    /** An arrow (from != to or not a note) or a note over {@code to}. */
    private record Item(long seq, String from, String to, String label, boolean reply, boolean verdict) {
        boolean note() { return verdict || label.startsWith("…"); }
    }

    /** Order of lanes: the fixed roles, then QEMUs, then guests, then anything else; by name within each. */
    static final Comparator<String> LANE_ORDER = Comparator.comparingInt(SequenceDiagrams::laneRank).thenComparing(Comparator.naturalOrder());

    private static int laneRank(String role) {
        int i = org.vnvdimm.sim.record.TraceFiles.roleOrder().indexOf(role);
        if (i >= 0) return i;
        if (role.startsWith("qemu-")) return 100;
        if (role.startsWith("guest-")) return 200;
        return 300;
    }

    private static final class Splitter {
        final Dialect d;
        final String title;
        final Consumer<Part> out;
        final List<Item> items = new ArrayList<>();
        final TreeSet<String> lanes = new TreeSet<>(LANE_ORDER);
        int number = 1;
        int bodyChars;
        int heightPx;
        int messages;
        String lastTo;

        final String continuedHint;

        Splitter(Dialect d, String title, Consumer<Part> out, String continuedHint) {
            this.continuedHint = continuedHint;
            this.d = d;
            this.title = title;
            this.out = out;
        }

        void add(List<Item> group) {
            if (!items.isEmpty() && !fits(group)) flush(true);
            for (Item it : group) {
                items.add(it);
                lanes.add(it.from());
                lanes.add(it.to());
                bodyChars += line(it).length() + 1;
                heightPx += heightOf(it);
                if (!it.note()) messages++;
            }
            lastTo = group.get(0).to();
        }

        boolean fits(List<Item> group) {
            TreeSet<String> more = new TreeSet<>(lanes);
            int chars = bodyChars, height = heightPx;
            for (Item it : group) {
                more.add(it.from());
                more.add(it.to());
                chars += line(it).length() + 1;
                height += heightOf(it);
            }
            if (d == Dialect.MERMAID) {
                return header(more).length() + chars + TRAILER_RESERVE <= MERMAID_MAX_TEXT_SIZE;
            }
            return PLANTUML_FRAME_PX + height <= PLANTUML_LIMIT_SIZE_PX * PLANTUML_MARGIN
                    && widthOf(more) <= PLANTUML_LIMIT_SIZE_PX * PLANTUML_MARGIN;
        }

        void finish() {
            if (!items.isEmpty() || number == 1) flush(false);
        }

        void flush(boolean continued) {
            StringBuilder b = new StringBuilder(header(lanes));
            for (Item it : items) b.append(line(it)).append('\n');
            long first = items.isEmpty() ? 0 : items.get(0).seq(), last = items.isEmpty() ? 0 : items.get(items.size() - 1).seq();
            if (continued) b.append(trailer(last)).append('\n');
            if (d == Dialect.PLANTUML) b.append("@enduml\n");
            out.accept(new Part(number, first, last, messages, lanes.size(), b.toString(),
                    d == Dialect.PLANTUML ? widthOf(lanes) : 0, d == Dialect.PLANTUML ? PLANTUML_FRAME_PX + heightPx : 0));
            number++;
            items.clear();
            lanes.clear();
            bodyChars = 0;
            heightPx = 0;
            messages = 0;
        }

        static final int TRAILER_RESERVE = 160;

        String trailer(long lastSeq) {
            String text = "continued in part " + (number + 1) + " after #" + lastSeq + continuedHint;
            String over = lanes.isEmpty() ? "admin" : lanes.first();
            return d == Dialect.MERMAID ? "    Note over " + mermaidId(over) + ": " + mermaidText(text) : "note over " + plantId(over) + " : " + plantText(wrap(text));
        }

        String header(TreeSet<String> ls) {
            StringBuilder b = new StringBuilder();
            String t = title + ", part " + number + (items.isEmpty() ? "" : " (from #" + items.get(0).seq() + ")");
            if (d == Dialect.MERMAID) {
                b.append("sequenceDiagram\n");
                b.append("    title ").append(mermaidText(t)).append('\n');
                for (String l : ls) {
                    b.append("    participant ").append(mermaidId(l));
                    if (!mermaidId(l).equals(l)) b.append(" as ").append(l);
                    b.append('\n');
                }
            } else {
                b.append("@startuml\n");
                b.append("skinparam maxMessageSize ").append(PLANTUML_MESSAGE_WIDTH_PX).append('\n');
                b.append("title ").append(plantText(t)).append('\n');
                for (String l : ls) b.append("participant \"").append(l).append("\" as ").append(plantId(l)).append('\n');
            }
            return b.toString();
        }

        String line(Item it) {
            if (d == Dialect.MERMAID) {
                if (it.note()) return "    Note over " + mermaidId(it.to()) + ": " + mermaidText(it.label());
                return "    " + mermaidId(it.from()) + (it.reply() ? "-->>" : "->>") + mermaidId(it.to()) + ": " + mermaidText(it.label());
            }
            if (it.note()) return "note over " + plantId(it.to()) + (it.verdict() ? " #FFAAAA" : "") + " : " + plantText(wrap(it.label()));
            return plantId(it.from()) + (it.reply() ? " --> " : " -> ") + plantId(it.to()) + " : " + plantText(it.label());
        }

        int heightOf(Item it) {
            if (d != Dialect.PLANTUML) return 0;
            int chars = Math.min(MAX_LABEL_CHARS, it.label().length());
            if (it.note()) return PLANTUML_NOTE_PX + PLANTUML_LINE_PX * (1 + chars / NOTE_WRAP_CHARS);
            int lines = (int) Math.ceil(chars * PLANTUML_CHAR_PX / (PLANTUML_MESSAGE_WIDTH_PX * 0.75));
            return PLANTUML_ARROW_PX + PLANTUML_LINE_PX * Math.max(1, lines);
        }

        static int widthOf(TreeSet<String> ls) {
            int w = 60;
            for (String l : ls) w += Math.max(PLANTUML_COLUMN_PX, (int) (l.length() * PLANTUML_CHAR_PX) + 30);
            return w;
        }
    }

    static final int NOTE_WRAP_CHARS = 40;

    /** Notes do not wrap by themselves: break them every NOTE_WRAP_CHARS characters at a space. */
    static String wrap(String s) {
        StringBuilder b = new StringBuilder();
        int col = 0;
        for (String w : s.split(" ")) {
            if (col > 0 && col + w.length() > NOTE_WRAP_CHARS) {
                b.append("\\n");
                col = 0;
            } else if (col > 0) {
                b.append(' ');
                col++;
            }
            b.append(w);
            col += w.length();
        }
        return b.toString();
    }

    static String mermaidId(String role) { return role.replace('-', '_'); }

    /** Mermaid ends a message at ';' or a newline and reads '#' as an entity code. */
    static String mermaidText(String s) {
        String t = s.replace(";", ",").replace("#", "No.").replace("→", "->").replace("↩", "reply").replace("…", "...")
                .replace("%%", "% %").replace('\n', ' ');
        return clip(t);
    }

    static String plantId(String role) { return role.replace('-', '_'); }

    /**
     * PlantUML reads creole markup (**, //, "", --, __, ~~, ==) and tags (&lt;b&gt;) in labels, and
     * "\n" as a line break; a '~' before a character makes it literal.
     */
    static String plantText(String s) {
        String t = clip(s.replace('\n', ' ')).replace("\\n", "\u0000");
        t = t.replace("\\", "\\\\").replace("\u0000", "\\n");
        StringBuilder b = new StringBuilder(t.length() + 8);
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            char next = i + 1 < t.length() ? t.charAt(i + 1) : 0;
            if (c == '<') {
                b.append("~<");
                continue;
            }
            b.append(c);
            if ((c == '*' || c == '/' || c == '"' || c == '-' || c == '_' || c == '~' || c == '=') && next == c) b.append('~');
        }
        return b.toString();
    }

    private static String clip(String t) {
        return t.length() > MAX_LABEL_CHARS ? t.substring(0, MAX_LABEL_CHARS - 3) + "..." : t;
    }

    /** "part N" files for --out FILE: FILE itself, then FILE's name with -2, -3 … before its extension. */
    public static java.nio.file.Path partFile(java.nio.file.Path file, int number) {
        if (number == 1) return file;
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        String stem = dot > 0 ? n.substring(0, dot) : n, ext = dot > 0 ? n.substring(dot) : "";
        return file.resolveSibling(String.format(Locale.ROOT, "%s-%d%s", stem, number, ext));
    }
}
