package org.vnvdimm.sim.view;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.record.TraceText;

/** `vnvdimm trace`: one run, one filter, one format. The run folder's trace files come from the same code. */
public final class TraceViews {
    public enum Format {
        TEXT, JSONL, MERMAID, PLANTUML, PERFETTO, HTML;

        public static Format parse(String s) {
            for (Format f : values()) if (f.name().toLowerCase(Locale.ROOT).equals(s)) return f;
            return null;
        }

        public static String names() {
            return Arrays.stream(values()).map(f -> f.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
        }
    }

    private TraceViews() {}

    /**
     * Writes the view. {@code part} gives the writer for part N (1, 2, …); only Mermaid asks for more
     * than part 1, and only when {@code filePerPart} (otherwise its parts follow one another, each a
     * whole diagram, as PlantUML's always do in one file).
     */
    public static void write(RecordedRun run, TraceFilter filter, Format f, IntFunction<Writer> part, boolean filePerPart) throws IOException {
        switch (f) {
            case TEXT -> text(run, filter, part.apply(1));
            case JSONL -> jsonl(run, filter, part.apply(1));
            case PERFETTO -> PerfettoTrace.write(run, filter, part.apply(1));
            case HTML -> HtmlViewer.write(run, filter, part.apply(1));
            case MERMAID, PLANTUML -> {
                Writer[] w = {part.apply(1)};
                boolean mermaid = f == Format.MERMAID;
                SequenceDiagrams.render(run, filter, mermaid ? SequenceDiagrams.Dialect.MERMAID : SequenceDiagrams.Dialect.PLANTUML, p -> {
                    try {
                        if (p.number() > 1) {
                            if (mermaid && filePerPart) w[0] = part.apply(p.number());
                            else w[0].write(mermaid ? "\n%% ---- part " + p.number() + " (a diagram of its own) ----\n" : "\n");
                        }
                        w[0].write(p.text());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    /** The verbose text trace (trace.txt when nothing is filtered out). */
    static void text(RecordedRun run, TraceFilter filter, Writer out) throws IOException {
        int roleWidth = 4;
        long last = 0;
        try (RecordedRun.Deliveries in = filter.apply(run.deliveries())) {
            while (in.hasNext()) {
                TraceRecord r = in.next();
                roleWidth = Math.max(roleWidth, Math.max(r.getDelivered().getFrom().length(), r.getDelivered().getTo().length()));
                last = r.getDelivered().getSeq();
            }
        }
        TraceText t = new TraceText(TraceText.Detail.VERBOSE, roleWidth, Long.toString(last).length());
        try (RecordedRun.Deliveries in = filter.apply(run.deliveries())) {
            t.render(in, line -> {
                try {
                    out.write(line);
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        out.flush();
    }

    /** The header, then one delivery per line (trace.jsonl when nothing is filtered out). */
    static void jsonl(RecordedRun run, TraceFilter filter, Writer out) throws IOException {
        JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();
        out.write(print(json, run.header()));
        out.write('\n');
        try (RecordedRun.Deliveries in = filter.apply(run.deliveries())) {
            while (in.hasNext()) {
                out.write(print(json, in.next()));
                out.write('\n');
            }
        }
        out.flush();
    }

    private static String print(JsonFormat.Printer p, MessageOrBuilder m) {
        try {
            return p.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print trace record: " + e.getMessage(), e);
        }
    }

    /** Every component that sent or received a delivery in the run. */
    public static Set<String> roles(RecordedRun run) throws IOException {
        Set<String> seen = new TreeSet<>();
        try (RecordedRun.Deliveries in = run.deliveries()) {
            while (in.hasNext()) {
                TraceRecord r = in.next();
                seen.add(r.getDelivered().getFrom());
                seen.add(r.getDelivered().getTo());
            }
        }
        return seen;
    }

    public static List<String> inLaneOrder(Set<String> roles) {
        List<String> l = new ArrayList<>(roles);
        l.sort(SequenceDiagrams.LANE_ORDER);
        return l;
    }
}
