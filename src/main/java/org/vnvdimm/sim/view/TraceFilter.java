package org.vnvdimm.sim.view;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceFormatter;

/**
 * Which deliveries a view shows: those sent or received by one of {@code roles} (all when empty),
 * numbered {@code fromSeq}..{@code toSeq}, whose line, observations or verdicts contain {@code grep}
 * (ignoring case; none when null).
 */
public record TraceFilter(Set<String> roles, long fromSeq, long toSeq, String grep) {
    public static final TraceFilter ALL = new TraceFilter(Set.of(), 0, Long.MAX_VALUE, null);

    public TraceFilter {
        roles = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(roles)); // sorted: titles name them in one order
        grep = grep == null || grep.isEmpty() ? null : grep.toLowerCase(Locale.ROOT);
    }

    public boolean isAll() { return roles.isEmpty() && fromSeq <= 1 && toSeq == Long.MAX_VALUE && grep == null; }

    public boolean test(TraceRecord r) {
        Envelope e = r.getDelivered();
        if (e.getSeq() < fromSeq || e.getSeq() > toSeq) return false;
        if (!roles.isEmpty() && !roles.contains(e.getFrom()) && !roles.contains(e.getTo())) return false;
        return grep == null || searchText(r).toLowerCase(Locale.ROOT).contains(grep);
    }

    /** What --grep searches: "#seq from → to", the message, every observation and verdict, one per line. */
    public static String searchText(TraceRecord r) {
        Envelope e = r.getDelivered();
        StringBuilder b = new StringBuilder("#").append(e.getSeq()).append(' ').append(e.getFrom()).append(" → ").append(e.getTo()).append(' ');
        if (e.getInReplyTo() != 0) b.append("↩ #").append(e.getInReplyTo()).append(' ');
        b.append(TraceFormatter.describe(e));
        for (Observation o : r.getObservedList()) b.append('\n').append(TraceFormatter.describe(o));
        for (Verdict v : r.getVerdictsList()) b.append('\n').append("VIOLATION ").append(v.getOracle()).append(": ").append(v.getDetail());
        return b.toString();
    }

    /** The deliveries this filter keeps; stops reading at the first delivery past toSeq. */
    public RecordedRun.Deliveries apply(RecordedRun.Deliveries in) {
        if (isAll()) return in;
        return new RecordedRun.Deliveries() {
            TraceRecord next = advance();

            private TraceRecord advance() {
                while (in.hasNext()) {
                    TraceRecord r = in.next();
                    if (r.getDelivered().getSeq() > toSeq) return null;
                    if (test(r)) return r;
                }
                return null;
            }

            public boolean hasNext() { return next != null; }

            public TraceRecord next() {
                if (next == null) throw new NoSuchElementException();
                TraceRecord n = next;
                next = advance();
                return n;
            }

            public void close() throws IOException { in.close(); }
        };
    }

    /** In words, for a diagram's title: "roles xen, dom0; #10–#200; matching 'pmem'". Empty for ALL. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        if (!roles.isEmpty()) b.append("roles ").append(String.join(", ", List.copyOf(roles)));
        if (fromSeq > 1 || toSeq != Long.MAX_VALUE) {
            if (b.length() > 0) b.append("; ");
            b.append('#').append(Math.max(1, fromSeq)).append('–').append(toSeq == Long.MAX_VALUE ? "end" : "#" + toSeq);
        }
        if (grep != null) {
            if (b.length() > 0) b.append("; ");
            b.append("matching '").append(grep).append('\'');
        }
        return b.toString();
    }
}
