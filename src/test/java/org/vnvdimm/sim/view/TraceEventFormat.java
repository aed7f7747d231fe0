package org.vnvdimm.sim.view;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A checker of the Chrome Trace Event Format (the JSON that chrome://tracing and the Perfetto UI
 * load), for the rules a viewer relies on:
 * <ul>
 *   <li>the file is {@code {"traceEvents": [...]}} (or a bare array); {@code displayTimeUnit}, if
 *       given, is "ms" or "ns";</li>
 *   <li>every event is an object with a known {@code ph}; every event but metadata has a
 *       {@code name}, integer {@code pid} and {@code tid}, and a number {@code ts} &gt;= 0;
 *       {@code args}, when present, is an object;</li>
 *   <li>"X" has a number {@code dur} &gt;= 0; complete slices on one thread nest (none partly overlaps
 *       another); "B"/"E" balance per thread;</li>
 *   <li>"i"/"I" scope {@code s} is g, p or t;</li>
 *   <li>flow events "s"/"t"/"f" have {@code id} and {@code cat}; each "s" has exactly one "f" with the
 *       same cat, name and id, not earlier; {@code bp}, if given, is "e"; a flow event binds to a
 *       slice: its ts lies within a complete slice on its own thread;</li>
 *   <li>metadata "M" is process_name/process_labels/process_sort_index/thread_name/thread_sort_index
 *       with {@code args.name} (string) or {@code args.sort_index} (integer); every pid has a
 *       process_name and every (pid, tid) an event uses has a thread_name.</li>
 * </ul>
 */
final class TraceEventFormat {
    static final Set<String> PHASES = Set.of("B", "E", "X", "i", "I", "C", "b", "n", "e", "s", "t", "f", "P", "N", "O", "D", "M", "V", "v", "R", "c", "(", ")");
    static final Set<String> METADATA = Set.of("process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index");

    private TraceEventFormat() {}

    /** Every rule the text breaks, at most 50, each naming the event (its index in traceEvents). */
    static List<String> problems(String json) {
        List<String> p = new ArrayList<>();
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (RuntimeException e) {
            p.add("not JSON: " + e.getMessage());
            return p;
        }
        JsonArray events;
        if (root.isJsonArray()) {
            events = root.getAsJsonArray();
        } else if (root.isJsonObject() && root.getAsJsonObject().has("traceEvents") && root.getAsJsonObject().get("traceEvents").isJsonArray()) {
            events = root.getAsJsonObject().getAsJsonArray("traceEvents");
            JsonElement unit = root.getAsJsonObject().get("displayTimeUnit");
            if (unit != null && !(isString(unit) && (unit.getAsString().equals("ms") || unit.getAsString().equals("ns")))) {
                p.add("displayTimeUnit must be \"ms\" or \"ns\", got " + unit);
            }
        } else {
            p.add("top level must be an array of events or an object with a traceEvents array");
            return p;
        }
        Set<Long> processNamed = new HashSet<>();
        Set<String> threadNamed = new HashSet<>();
        Set<Long> pidsUsed = new HashSet<>();
        Map<String, Long> threadsUsed = new TreeMap<>(); // "pid/tid" -> first event index
        Map<String, List<BigDecimal[]>> slices = new HashMap<>(); // thread -> [ts, end]
        Map<String, Integer> open = new HashMap<>();
        Map<String, List<Object[]>> flowStarts = new HashMap<>(), flowEnds = new HashMap<>(); // key cat/name/id -> [index, ts, thread]
        List<Object[]> flowBindings = new ArrayList<>(); // [index, thread, ts]
        for (int i = 0; i < events.size() && p.size() < 50; i++) {
            JsonElement el = events.get(i);
            String at = "event " + i;
            if (!el.isJsonObject()) { p.add(at + ": not an object"); continue; }
            JsonObject e = el.getAsJsonObject();
            if (!isString(e.get("ph")) || !PHASES.contains(e.get("ph").getAsString())) { p.add(at + ": ph must be one of " + PHASES + ", got " + e.get("ph")); continue; }
            String ph = e.get("ph").getAsString();
            at += " (" + ph + ")";
            if (e.has("args") && !e.get("args").isJsonObject()) p.add(at + ": args must be an object");
            if (!isString(e.get("name"))) { p.add(at + ": name must be a string"); continue; }
            if (!isInteger(e.get("pid"))) { p.add(at + ": pid must be an integer"); continue; }
            long pid = e.get("pid").getAsLong();
            if (ph.equals("M")) {
                String name = e.get("name").getAsString();
                if (!METADATA.contains(name)) { p.add(at + ": metadata name must be one of " + METADATA + ", got " + name); continue; }
                JsonObject args = e.has("args") && e.get("args").isJsonObject() ? e.getAsJsonObject("args") : new JsonObject();
                if (name.endsWith("_name") && !isString(args.get("name"))) p.add(at + ": " + name + " needs args.name, a string");
                if (name.endsWith("_sort_index") && !isInteger(args.get("sort_index"))) p.add(at + ": " + name + " needs args.sort_index, an integer");
                if (name.startsWith("thread_") && !isInteger(e.get("tid"))) { p.add(at + ": " + name + " needs an integer tid"); continue; }
                if (name.equals("process_name")) processNamed.add(pid);
                if (name.equals("thread_name")) threadNamed.add(pid + "/" + e.get("tid").getAsLong());
                continue;
            }
            if (!isInteger(e.get("tid"))) { p.add(at + ": tid must be an integer"); continue; }
            String thread = pid + "/" + e.get("tid").getAsLong();
            pidsUsed.add(pid);
            threadsUsed.putIfAbsent(thread, (long) i);
            if (!isNumber(e.get("ts")) || e.get("ts").getAsBigDecimal().signum() < 0) { p.add(at + ": ts must be a number >= 0, got " + e.get("ts")); continue; }
            BigDecimal ts = e.get("ts").getAsBigDecimal();
            switch (ph) {
                case "X" -> {
                    if (!isNumber(e.get("dur")) || e.get("dur").getAsBigDecimal().signum() < 0) { p.add(at + ": dur must be a number >= 0, got " + e.get("dur")); continue; }
                    slices.computeIfAbsent(thread, k -> new ArrayList<>()).add(new BigDecimal[] {ts, ts.add(e.get("dur").getAsBigDecimal()), BigDecimal.valueOf(i)});
                }
                case "B" -> open.merge(thread, 1, Integer::sum);
                case "E" -> {
                    if (open.getOrDefault(thread, 0) == 0) p.add(at + ": E without an open B on thread " + thread);
                    else open.merge(thread, -1, Integer::sum);
                }
                case "i", "I" -> {
                    if (e.has("s") && !(isString(e.get("s")) && Set.of("g", "p", "t").contains(e.get("s").getAsString()))) p.add(at + ": instant scope s must be g, p or t, got " + e.get("s"));
                }
                case "s", "t", "f" -> {
                    if (!e.has("id") || !(isString(e.get("id")) || isInteger(e.get("id")))) { p.add(at + ": flow event needs an id"); continue; }
                    if (!isString(e.get("cat"))) { p.add(at + ": flow event needs a cat"); continue; }
                    if (e.has("bp") && !(isString(e.get("bp")) && e.get("bp").getAsString().equals("e"))) p.add(at + ": bp must be \"e\", got " + e.get("bp"));
                    String key = e.get("cat").getAsString() + "/" + e.get("name").getAsString() + "/" + e.get("id").getAsString();
                    if (ph.equals("s")) flowStarts.computeIfAbsent(key, k -> new ArrayList<>()).add(new Object[] {i, ts});
                    if (ph.equals("f")) flowEnds.computeIfAbsent(key, k -> new ArrayList<>()).add(new Object[] {i, ts});
                    flowBindings.add(new Object[] {i, thread, ts});
                }
                default -> { }
            }
        }
        open.forEach((t, n) -> { if (n != 0) p.add("thread " + t + ": " + n + " B event(s) never ended"); });
        for (long pid : pidsUsed) if (!processNamed.contains(pid)) p.add("pid " + pid + " has no process_name metadata");
        threadsUsed.forEach((t, i) -> { if (!threadNamed.contains(t)) p.add("thread " + t + " (first used by event " + i + ") has no thread_name metadata"); });
        for (Map.Entry<String, List<BigDecimal[]>> s : slices.entrySet()) {
            List<BigDecimal[]> l = s.getValue();
            l.sort((a, b) -> a[0].compareTo(b[0]) != 0 ? a[0].compareTo(b[0]) : b[1].compareTo(a[1]));
            List<BigDecimal[]> stack = new ArrayList<>();
            for (BigDecimal[] x : l) {
                while (!stack.isEmpty() && stack.get(stack.size() - 1)[1].compareTo(x[0]) <= 0) stack.remove(stack.size() - 1);
                if (!stack.isEmpty() && x[1].compareTo(stack.get(stack.size() - 1)[1]) > 0) {
                    p.add("thread " + s.getKey() + ": slice event " + x[2] + " overlaps slice event " + stack.get(stack.size() - 1)[2] + " without nesting in it");
                }
                stack.add(x);
            }
        }
        for (Map.Entry<String, List<Object[]>> s : flowStarts.entrySet()) {
            List<Object[]> ends = flowEnds.getOrDefault(s.getKey(), List.of());
            if (s.getValue().size() != 1 || ends.size() != 1) {
                p.add("flow " + s.getKey() + ": " + s.getValue().size() + " start(s) and " + ends.size() + " finish(es); expected one of each");
            } else if (((BigDecimal) ends.get(0)[1]).compareTo((BigDecimal) s.getValue().get(0)[1]) < 0) {
                p.add("flow " + s.getKey() + ": finishes (event " + ends.get(0)[0] + ") before it starts (event " + s.getValue().get(0)[0] + ")");
            }
        }
        for (String k : flowEnds.keySet()) if (!flowStarts.containsKey(k)) p.add("flow " + k + ": a finish without a start");
        for (Object[] b : flowBindings) {
            BigDecimal ts = (BigDecimal) b[2];
            if (!bound(slices.getOrDefault((String) b[1], List.of()), ts)) p.add("event " + b[0] + ": flow event at ts " + ts + " lies in no slice on thread " + b[1]);
        }
        return p.size() > 50 ? p.subList(0, 50) : p;
    }

    /** Some slice of the thread (sorted by start) holds ts: the last one starting at or before it, or one enclosing that. */
    private static boolean bound(List<BigDecimal[]> sorted, BigDecimal ts) {
        int lo = 0, hi = sorted.size();
        while (lo < hi) {
            int m = (lo + hi) >>> 1;
            if (sorted.get(m)[0].compareTo(ts) <= 0) lo = m + 1; else hi = m;
        }
        for (int i = lo - 1; i >= 0 && i >= lo - 256; i--) if (ts.compareTo(sorted.get(i)[1]) <= 0) return true;
        return false;
    }

    private static boolean isString(JsonElement e) { return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString(); }

    private static boolean isNumber(JsonElement e) { return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber(); }

    private static boolean isInteger(JsonElement e) {
        if (!isNumber(e)) return false;
        JsonPrimitive n = e.getAsJsonPrimitive();
        BigDecimal d = n.getAsBigDecimal();
        return d.stripTrailingZeros().scale() <= 0;
    }
}
