package org.vnvdimm.sim.view;

import com.google.gson.JsonParser;
import com.google.gson.Gson;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.Writer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceFormatter;

/**
 * Chrome/Perfetto trace-event JSON (the "JSON Object Format": {@code {"traceEvents": [...]}}): one
 * process for the run, one thread (track) per component, a complete slice ("X") per delivery on the
 * track of the component that handled it, a flow ("s" on the request's slice, "f" on the reply's)
 * from each request to its reply, and each verdict as an instant event ("i") at the delivery where
 * it fired.
 *
 * <p>Time is the run's virtual time in microseconds. Handling takes no virtual time, so a slice
 * lasts until the next delivery, at most 1 µs; deliveries at the same virtual time are placed 1 ns
 * apart so each has a slice of its own (the exact vtime_ns is in the slice's args).
 */
public final class PerfettoTrace {
    static final int PID = 1;
    private static final Gson GSON = new Gson();
    static final long MAX_SLICE_NS = 1_000;

    private PerfettoTrace() {}

    public static void write(RecordedRun run, TraceFilter filter, Writer out) throws IOException {
        JsonWriter w = new JsonWriter(out);
        w.beginObject();
        w.name("displayTimeUnit").value("ns");
        w.name("otherData").beginObject();
        w.name("scenario").value(run.header().getScenario().getName());
        w.name("seed").value(Long.toUnsignedString(run.header().getSeed()));
        w.name("code_version").value(run.header().getCodeVersion());
        RunSummary end = run.end().orElse(null);
        w.name("outcome").value(end == null ? "incomplete: the run did not end" : (end.getExpectationsMet() ? "PASS: " : "FAIL: ") + end.getOutcome());
        if (end != null) w.name("trace_sha256").value(end.getTraceSha256());
        if (!filter.isAll()) w.name("filter").value(filter.describe());
        w.endObject();
        w.name("traceEvents").beginArray();
        metadata(w, 0, "process_name", "name", run.header().getScenario().getName() + " seed " + Long.toUnsignedString(run.header().getSeed()));
        Tracks tracks = new Tracks(w);
        Map<Long, long[]> requests = new HashMap<>(); // seq -> {tid, ts}
        try (RecordedRun.Deliveries in = filter.apply(run.deliveries())) {
            TraceRecord cur = in.hasNext() ? in.next() : null;
            long t = Long.MIN_VALUE;
            while (cur != null) {
                TraceRecord next = in.hasNext() ? in.next() : null;
                Envelope e = cur.getDelivered();
                t = Math.max(e.getVtimeNs(), t == Long.MIN_VALUE ? Long.MIN_VALUE : t + 1);
                long nextT = next == null ? t + MAX_SLICE_NS : Math.max(next.getDelivered().getVtimeNs(), t + 1);
                long dur = Math.min(nextT - t, MAX_SLICE_NS);
                int tid = tracks.tid(e.getTo());
                slice(w, cur, tid, t, dur);
                requests.put(e.getSeq(), new long[] {tid, t});
                long[] req = e.getInReplyTo() == 0 ? null : requests.remove(e.getInReplyTo());
                if (req != null) {
                    flow(w, "s", e.getInReplyTo(), (int) req[0], req[1]);
                    flow(w, "f", e.getInReplyTo(), tid, t);
                }
                for (Verdict v : cur.getVerdictsList()) {
                    w.beginObject();
                    w.name("ph").value("i").name("s").value("t");
                    w.name("name").value("VIOLATION " + v.getOracle()).name("cat").value("verdict");
                    w.name("pid").value(PID).name("tid").value(tid).name("ts").jsonValue(micros(t));
                    w.name("args").beginObject().name("seq").value(v.getSeq()).name("detail").value(v.getDetail())
                            .name("repeats").value(v.getRepeats());
                    if (v.getRepeats() > 0) w.name("last_seq").value(v.getLastSeq());
                    w.endObject();
                    w.endObject();
                }
                cur = next;
            }
        }
        w.endArray();
        w.endObject();
        w.flush();
    }

    private static void slice(JsonWriter w, TraceRecord r, int tid, long t, long dur) throws IOException {
        Envelope e = r.getDelivered();
        w.beginObject();
        w.name("ph").value("X").name("name").value(sliceName(e)).name("cat").value("delivery");
        w.name("pid").value(PID).name("tid").value(tid).name("ts").jsonValue(micros(t)).name("dur").jsonValue(micros(dur));
        w.name("args").beginObject();
        w.name("seq").value(e.getSeq()).name("from").value(e.getFrom()).name("to").value(e.getTo());
        if (e.getInReplyTo() != 0) w.name("in_reply_to").value(e.getInReplyTo());
        w.name("vtime_ns").value(e.getVtimeNs());
        w.name("message").value((e.getInReplyTo() != 0 ? "↩ #" + e.getInReplyTo() + " " : "") + TraceFormatter.describe(e));
        if (r.getObservedCount() > 0) {
            w.name("observed").beginArray();
            for (Observation o : r.getObservedList()) w.value(TraceFormatter.describe(o));
            w.endArray();
        }
        w.name("fields");
        GSON.toJson(JsonParser.parseString(Fields.of(e)), w);
        w.endObject();
        w.endObject();
    }

    /** A slice's name: the message's first word ("XEN_DOMCTL_memory_mapping", "XS_WRITE", "load"), or "↩ …" for a reply. */
    static String sliceName(Envelope e) {
        String d = TraceFormatter.describe(e);
        if (d.startsWith("step ")) return d.substring(0, Math.max(d.indexOf(':'), 4));
        int sp = d.indexOf(' ');
        String first = sp < 0 ? d : d.substring(0, sp);
        return e.getInReplyTo() != 0 ? "↩ " + first : first;
    }

    private static void flow(JsonWriter w, String ph, long id, int tid, long t) throws IOException {
        w.beginObject();
        w.name("ph").value(ph).name("id").value(id).name("name").value("reply").name("cat").value("reply");
        if (ph.equals("f")) w.name("bp").value("e");
        w.name("pid").value(PID).name("tid").value(tid).name("ts").jsonValue(micros(t));
        w.endObject();
    }

    private static void metadata(JsonWriter w, int tid, String name, String key, Object value) throws IOException {
        w.beginObject();
        w.name("ph").value("M").name("name").value(name).name("pid").value(PID).name("tid").value(tid);
        w.name("args").beginObject().name(key);
        if (value instanceof Number n) w.value(n); else w.value(value.toString());
        w.endObject();
        w.endObject();
    }

    /** Nanoseconds as exact decimal microseconds ("1050002.100"): no float rounding, no exponent. */
    static String micros(long ns) {
        return String.format(Locale.ROOT, "%d.%03d", ns / 1000, ns % 1000);
    }

    /** One thread per component, numbered as they first appear, sorted like diagram lanes. */
    private static final class Tracks {
        final JsonWriter w;
        final Map<String, Integer> tids = new LinkedHashMap<>();

        Tracks(JsonWriter w) { this.w = w; }

        int tid(String role) throws IOException {
            Integer t = tids.get(role);
            if (t != null) return t;
            int tid = tids.size() + 1;
            tids.put(role, tid);
            metadata(w, tid, "thread_name", "name", role);
            metadata(w, tid, "thread_sort_index", "sort_index", sortIndex(role, tid));
            return tid;
        }

        /** The fixed roles first, then qemu-N and guest-N of each domain side by side. */
        static long sortIndex(String role, int tid) {
            int i = org.vnvdimm.sim.record.TraceFiles.roleOrder().indexOf(role);
            if (i >= 0) return i;
            int dash = role.lastIndexOf('-');
            try {
                long n = Long.parseLong(role.substring(dash + 1));
                if (role.startsWith("qemu-")) return 100 + 2 * n;
                if (role.startsWith("guest-")) return 101 + 2 * n;
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                // not numbered: after all the domains
            }
            return 1_000_000_000L + tid;
        }
    }
}
