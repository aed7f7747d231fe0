package org.vnvdimm.sim.view;

import com.google.gson.stream.JsonWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceFormatter;

/**
 * One self-contained HTML page for browsing a run: its inline script and style are the whole viewer
 * (no network: the page's Content-Security-Policy forbids every fetch), the deliveries are inline
 * JSON. Written in one pass over the deliveries, in constant memory apart from the role names.
 *
 * <p>Each delivery is one array, {@code [seq, from, to, in_reply_to, message, observations, fields,
 * verdicts]}: roles as indices into {@code roles}, observations one per line, fields as the
 * message's JSON text (parsed only when the delivery is opened), verdicts as an index into
 * {@code verdicts} or -1. That JSON is gzipped and base64-encoded into a {@code <script>} element (no
 * text in a trace can end it); the page inflates it with the browser's DecompressionStream.
 */
public final class HtmlViewer {
    private HtmlViewer() {}

    public static void write(RecordedRun run, TraceFilter filter, Writer out) throws IOException {
        out.write(resource("viewer-head.html"));
        out.write("<script id=\"run\" type=\"application/json\">");
        out.write(header(run, filter));
        out.write("</script>\n<script id=\"deliveries\" type=\"application/gzip;base64\">");
        // gzip, then base64: a 200,000-delivery run is about 6 times smaller, and the browser inflates it natively.
        OutputStream chars = new OutputStream() {
            @Override
            public void write(int b) throws IOException { out.write(b); }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                char[] c = new char[len];
                for (int i = 0; i < len; i++) c[i] = (char) (b[off + i] & 0xff);
                out.write(c);
            }
        };
        OutputStream b64 = Base64.getEncoder().wrap(chars);
        GZIPOutputStream gz = new GZIPOutputStream(b64, 1 << 16);
        Writer json = new BufferedWriter(new OutputStreamWriter(gz, StandardCharsets.UTF_8), 1 << 16);
        JsonWriter w = new JsonWriter(json);
        Map<String, Integer> roles = new LinkedHashMap<>();
        List<List<Verdict>> verdicts = new ArrayList<>();
        w.beginObject();
        w.name("rows").beginArray();
        try (RecordedRun.Deliveries in = filter.apply(run.deliveries())) {
            while (in.hasNext()) {
                TraceRecord r = in.next();
                Envelope e = r.getDelivered();
                w.beginArray();
                w.value(e.getSeq());
                w.value(roles.computeIfAbsent(e.getFrom(), k -> roles.size()));
                w.value(roles.computeIfAbsent(e.getTo(), k -> roles.size()));
                w.value(e.getInReplyTo());
                w.value(TraceFormatter.describe(e));
                StringBuilder obs = new StringBuilder();
                for (Observation o : r.getObservedList()) {
                    if (obs.length() > 0) obs.append('\n');
                    obs.append(TraceFormatter.describe(o));
                }
                w.value(obs.toString());
                w.value(Fields.of(e));
                if (r.getVerdictsCount() == 0) {
                    w.value(-1);
                } else {
                    w.value(verdicts.size());
                    verdicts.add(r.getVerdictsList());
                }
                w.endArray();
            }
        }
        w.endArray();
        w.name("roles").beginArray();
        for (String role : roles.keySet()) w.value(role);
        w.endArray();
        w.name("verdicts").beginArray();
        for (List<Verdict> vs : verdicts) {
            w.beginArray();
            for (Verdict v : vs) w.beginArray().value(v.getOracle()).value(v.getDetail()).value(v.getRepeats()).value(v.getLastSeq()).endArray();
            w.endArray();
        }
        w.endArray();
        w.endObject();
        w.flush();
        gz.finish();
        b64.close(); // writes base64's last quantum; out itself stays open
        out.write("</script>\n");
        out.write(resource("viewer-tail.html"));
        out.flush();
    }

    /** The run's header and end, for the page's top line. */
    static String header(RecordedRun run, TraceFilter filter) throws IOException {
        StringWriter s = new StringWriter();
        JsonWriter w = new JsonWriter(s);
        w.setHtmlSafe(true);
        RunSummary end = run.end().orElse(null);
        w.beginObject();
        w.name("name").value(run.name());
        w.name("scenario").value(run.header().getScenario().getName());
        w.name("description").value(run.header().getScenario().getDescription());
        w.name("seed").value(Long.toUnsignedString(run.header().getSeed()));
        w.name("codeVersion").value(run.header().getCodeVersion());
        w.name("complete").value(end != null);
        w.name("passed").value(end != null && end.getExpectationsMet());
        w.name("outcome").value(end == null ? "the run did not end (killed, or still running): what it recorded so far" : end.getOutcome());
        w.name("deliveries").value(end == null ? 0 : end.getDeliveries());
        w.name("verdictCount").value(end == null ? 0 : end.getVerdictsCount());
        w.name("firstProblem").value(end == null ? "" : end.getFirstProblem());
        w.name("traceSha256").value(end == null ? "" : end.getTraceSha256());
        w.name("filter").value(filter.describe());
        w.endObject();
        w.flush();
        return s.toString();
    }

    private static String resource(String name) {
        try (InputStream in = HtmlViewer.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("the viewer's " + name + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
