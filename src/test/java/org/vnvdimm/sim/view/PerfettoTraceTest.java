package org.vnvdimm.sim.view;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.TraceRecord;

/** `trace --format perfetto` writes valid trace-event JSON: a track per component, a slice per delivery, request→reply flows, verdicts as instants. */
class PerfettoTraceTest {
    @TempDir static Path tmp;
    static RecordedRun boot, hostile;

    @BeforeAll
    static void runs() throws Exception {
        RunFolders.run("boot", 1, tmp.resolve("boot"));
        RunFolders.run("hostile-qemu-unchecked", 1, tmp.resolve("hostile"));
        boot = RunFolderRun.open(tmp.resolve("boot"));
        hostile = RunFolderRun.open(tmp.resolve("hostile"));
    }

    static String perfetto(RecordedRun r, TraceFilter f) throws Exception {
        StringWriter w = new StringWriter();
        PerfettoTrace.write(r, f, w);
        return w.toString();
    }

    static JsonArray events(String json) { return JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("traceEvents"); }

    static List<TraceRecord> records(RecordedRun r) throws Exception {
        List<TraceRecord> l = new java.util.ArrayList<>();
        try (RecordedRun.Deliveries d = r.deliveries()) { d.forEachRemaining(l::add); }
        return l;
    }

    @Test
    void bootIsValidWithASlicePerDeliveryATrackPerComponentAndAFlowPerAnsweredRequest() throws Exception {
        String json = perfetto(boot, TraceFilter.ALL);
        assertEquals(List.of(), TraceEventFormat.problems(json));
        List<TraceRecord> recs = records(boot);
        JsonArray ev = events(json);
        Map<String, Integer> byPh = new HashMap<>();
        Map<Long, String> threadNames = new HashMap<>();
        for (JsonElement e : ev) {
            JsonObject o = e.getAsJsonObject();
            byPh.merge(o.get("ph").getAsString(), 1, Integer::sum);
            if (o.get("name").getAsString().equals("thread_name")) threadNames.put(o.get("tid").getAsLong(), o.getAsJsonObject("args").get("name").getAsString());
        }
        assertEquals(recs.size(), byPh.get("X"), "one slice per delivery");
        Set<String> roles = TraceViews.roles(boot);
        assertEquals(roles, Set.copyOf(threadNames.values()), "one track per component");
        assertEquals(roles.size(), threadNames.size());
        Set<Long> seqs = new java.util.HashSet<>();
        long answered = 0;
        for (TraceRecord r : recs) {
            if (r.getDelivered().getInReplyTo() != 0 && seqs.contains(r.getDelivered().getInReplyTo())) answered++;
            seqs.add(r.getDelivered().getSeq());
        }
        assertTrue(answered > 100, "boot has hundreds of replies: " + answered);
        assertEquals(answered, (long) byPh.get("s"));
        assertEquals(answered, (long) byPh.get("f"));
        assertNull(byPh.get("i"), "boot has no verdict");
        // The first memory_mapping slice is qemu-1's call, on xen's track; its args carry the message's fields.
        JsonObject s81 = null;
        for (JsonElement e : ev) {
            JsonObject o = e.getAsJsonObject();
            if (s81 == null && o.get("ph").getAsString().equals("X") && o.get("name").getAsString().equals("XEN_DOMCTL_memory_mapping")) s81 = o;
        }
        assertNotNull(s81);
        assertEquals("xen", threadNames.get(s81.get("tid").getAsLong()));
        assertEquals("XEN_DOMCTL_memory_mapping", s81.get("name").getAsString());
        assertEquals(39, s81.getAsJsonObject("args").getAsJsonObject("fields").getAsJsonObject("domctl").get("cmd").getAsInt());
    }

    @Test
    void aVerdictIsAnInstantOnTheTrackAndAtTheTimeOfTheDeliveryWhereItFired() throws Exception {
        String json = perfetto(hostile, TraceFilter.ALL);
        assertEquals(List.of(), TraceEventFormat.problems(json));
        TraceRecord bad = records(hostile).stream().filter(r -> r.getVerdictsCount() > 0).findFirst().orElseThrow();
        JsonObject slice = null, instant = null;
        for (JsonElement e : events(json)) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("ph").getAsString().equals("X") && o.getAsJsonObject("args").get("seq").getAsLong() == bad.getDelivered().getSeq()) slice = o;
            if (o.get("ph").getAsString().equals("i") && instant == null) instant = o;
        }
        assertNotNull(instant, "a verdict instant");
        assertEquals("VIOLATION " + bad.getVerdicts(0).getOracle(), instant.get("name").getAsString());
        assertEquals("isolation", bad.getVerdicts(0).getOracle());
        assertEquals(slice.get("tid"), instant.get("tid"));
        assertEquals(slice.get("ts").getAsBigDecimal(), instant.get("ts").getAsBigDecimal());
        assertEquals(bad.getVerdicts(0).getDetail(), instant.getAsJsonObject("args").get("detail").getAsString());
        JsonObject other = JsonParser.parseString(json).getAsJsonObject().getAsJsonObject("otherData");
        assertTrue(other.get("outcome").getAsString().startsWith("PASS: "), other.toString()); // the scenario expects this violation
    }

    @Test
    void aFilteredViewIsValidToo() throws Exception {
        String json = perfetto(boot, new TraceFilter(Set.of("qemu-1"), 60, 300, null));
        assertEquals(List.of(), TraceEventFormat.problems(json));
        for (JsonElement e : events(json)) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("ph").getAsString().equals("X")) {
                long seq = o.getAsJsonObject("args").get("seq").getAsLong();
                assertTrue(seq >= 60 && seq <= 300, "seq " + seq);
                assertTrue(o.getAsJsonObject("args").get("from").getAsString().equals("qemu-1") || o.getAsJsonObject("args").get("to").getAsString().equals("qemu-1"));
            }
        }
    }

    /** The checker is not blind: each rule, broken on purpose in a valid trace, is reported. */
    @Test
    void theCheckerReportsEachBrokenRule() throws Exception {
        String good = perfetto(boot, TraceFilter.ALL);
        assertProblem(good, ev -> removeFirst(ev, "f"), "1 start(s) and 0 finish(es)");
        assertProblem(good, ev -> first(ev, "X").addProperty("dur", -1), "dur must be a number >= 0");
        assertProblem(good, ev -> first(ev, "X").remove("ts"), "ts must be a number >= 0");
        assertProblem(good, ev -> first(ev, "X").addProperty("ph", "Z"), "ph must be one of");
        assertProblem(good, ev -> removeFirstMeta(ev, "thread_name"), "has no thread_name metadata");
        assertProblem(good, ev -> removeFirstMeta(ev, "process_name"), "has no process_name metadata");
        assertProblem(good, PerfettoTraceTest::overlap, "without nesting");
        assertProblem(good, ev -> first(ev, "f").addProperty("ts", 0), "finishes (event");
        assertProblem(good, ev -> first(ev, "s").addProperty("ts", 1), "lies in no slice");
        assertProblem(good, ev -> first(ev, "f").addProperty("bp", "x"), "bp must be");
        assertProblem(good, ev -> first(ev, "X").addProperty("tid", 1.5), "tid must be an integer");
        assertProblem("{\"traceEvents\": 3}", ev -> { }, "top level must be");
    }

    interface Edit { void apply(JsonArray ev); }

    static void assertProblem(String json, Edit edit, String expected) {
        JsonObject root = JsonParser.parseString(json).getAsJsonObject();
        if (root.get("traceEvents").isJsonArray()) edit.apply(root.getAsJsonArray("traceEvents"));
        List<String> p = TraceEventFormat.problems(root.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains(expected)), "expected a problem containing '" + expected + "', got " + p);
    }

    static JsonObject first(JsonArray ev, String ph) {
        for (JsonElement e : ev) if (e.getAsJsonObject().get("ph").getAsString().equals(ph)) return e.getAsJsonObject();
        throw new AssertionError("no " + ph);
    }

    /** The first slice is made to end half-way through the next slice on its track. */
    static void overlap(JsonArray ev) {
        JsonObject a = first(ev, "X");
        for (JsonElement e : ev) {
            JsonObject b = e.getAsJsonObject();
            if (b != a && b.get("ph").getAsString().equals("X") && b.get("tid").equals(a.get("tid"))) {
                java.math.BigDecimal half = b.get("dur").getAsBigDecimal().divide(java.math.BigDecimal.valueOf(2));
                a.addProperty("dur", b.get("ts").getAsBigDecimal().subtract(a.get("ts").getAsBigDecimal()).add(half));
                return;
            }
        }
        throw new AssertionError("no second slice on the first slice's track");
    }

    static void removeFirst(JsonArray ev, String ph) { ev.remove(first(ev, ph)); }

    static void removeFirstMeta(JsonArray ev, String name) {
        for (JsonElement e : ev) {
            if (e.getAsJsonObject().get("ph").getAsString().equals("M") && e.getAsJsonObject().get("name").getAsString().equals(name)) {
                ev.remove(e);
                return;
            }
        }
    }
}
