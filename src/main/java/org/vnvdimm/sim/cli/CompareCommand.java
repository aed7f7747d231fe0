package org.vnvdimm.sim.cli;

import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.vnvdimm.proto.Design;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.oracle.Oracles;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ScenarioException;
import org.vnvdimm.sim.scenario.ScenarioValidator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs one scenario under every combination of the design values given, over a range of seeds, and
 * prints design x oracle: how many seeds each oracle fired on and the first of them, and how each
 * combination fares against the scenario's own expectation. Runs are spread over the cores (one
 * simulator per worker); the table does not depend on the order they finish in.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Run a scenario under every combination of design values over a range of seeds and print",
                "design x oracle: the number of failing seeds and the first one, and each combination against",
                "the scenario's expectation. Exit 0 when the table was produced; 2 on bad input."})
final class CompareCommand implements Callable<Integer> {
    /** Bound on the runs one compare makes (combinations x seeds). */
    static final int MAX_RUNS = 10_000;

    @Parameters(index = "0", paramLabel = "NAME|FILE", description = "Built-in scenario or YAML file.")
    String scenario;

    @Option(names = "--design", paramLabel = "KEY=V1,V2,...", required = true,
            description = "A design key and the values to compare (repeatable: every combination runs).")
    List<String> designs = new ArrayList<>();

    @Option(names = "--seeds", paramLabel = "A..B", description = "Seeds to run each combination with (default: 1..8).")
    String seeds = "1..8";

    @Option(names = "--format", paramLabel = "FORMAT", description = "markdown (default), csv or json.")
    String format = "markdown";

    @Option(names = "--jobs", paramLabel = "N", description = "Runs in parallel (default: the available cores).")
    Integer jobs;

    /** One combination: key=value pairs in the order given. */
    record Combo(LinkedHashMap<String, String> values) {
        String label() {
            StringBuilder b = new StringBuilder();
            for (Map.Entry<String, String> e : values.entrySet()) b.append(b.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
            return b.toString();
        }
    }

    /** Per combination: per oracle, failing seeds and the first; and the expectation's count. */
    static final class Row {
        final Combo combo;
        final Map<String, long[]> oracles = new LinkedHashMap<>();   // {failing, first}
        long held, failed, firstFailed = -1;

        Row(Combo combo) {
            this.combo = combo;
            for (String o : Oracles.ALL) oracles.put(o, new long[] {0, -1});
        }
    }

    private static int bad(String msg) {
        System.err.println("vnvdimm compare: " + msg);
        return Main.EXIT_BAD_INPUT;
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of("markdown", "csv", "json").contains(format)) return bad("--format: expected markdown, csv or json, got '" + format + "'");
        long[] range = parseSeeds(seeds);
        if (range == null) return bad("--seeds: expected A..B or N with 0 <= A <= B (decimal), got '" + seeds + "'");
        int workers = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        if (workers < 1 || workers > 256) return bad("--jobs: expected 1 to 256, got '" + workers + "'");
        Scenario base;
        try {
            base = BuiltinScenarios.resolve(scenario);
        } catch (ScenarioException e) {
            System.err.println(e.getMessage());
            for (ScenarioException more : e.additional()) System.err.println(more.getMessage());
            return Main.EXIT_BAD_INPUT;
        } catch (IllegalArgumentException e) {
            System.err.println("vnvdimm: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        // KEY=V1,V2 -> the combinations, each checked by the scenario validator (its words for a bad value).
        List<String> keys = new ArrayList<>();
        List<List<String>> values = new ArrayList<>();
        for (String d : designs) {
            int eq = d.indexOf('=');
            String key = eq < 0 ? d : d.substring(0, eq);
            FieldDescriptor f = Design.getDescriptor().findFieldByName(key);
            if (eq <= 0 || eq == d.length() - 1) return bad("--design: expected KEY=V1,V2,..., got '" + d + "'");
            if (f == null || f.getType() != FieldDescriptor.Type.STRING) {
                return bad("--design: expected a design key (" + String.join(", ", Design.getDescriptor().getFields().stream().map(FieldDescriptor::getName).toList())
                        + "), got '" + key + "'");
            }
            if (keys.contains(key)) return bad("--design: " + key + " is given twice");
            keys.add(key);
            values.add(List.of(d.substring(eq + 1).split(",", -1)));
        }
        List<Combo> combos = new ArrayList<>();
        combine(keys, values, 0, new LinkedHashMap<>(), combos);
        long nSeeds = range[1] - range[0] + 1;
        if (combos.size() * nSeeds > MAX_RUNS) return bad("expected at most " + MAX_RUNS + " runs, got " + combos.size() + " combinations x " + nSeeds + " seeds");
        List<Scenario> scenarios = new ArrayList<>();
        for (Combo c : combos) {
            Design.Builder d = base.getDesign().toBuilder();
            for (Map.Entry<String, String> e : c.values().entrySet()) d.setField(Design.getDescriptor().findFieldByName(e.getKey()), e.getValue());
            Scenario s = base.toBuilder().setDesign(d).build();
            try {
                ScenarioValidator.validate(s, "--design " + c.label());
            } catch (ScenarioException e) {
                return bad(e.getMessage());
            }
            scenarios.add(s);
        }
        List<Row> rows = run(scenarios, combos, range, workers);
        System.out.print(switch (format) {
            case "csv" -> csv(base, rows, range);
            case "json" -> json(base, rows, range);
            default -> markdown(base, rows, range);
        });
        return Main.EXIT_OK;
    }

    static long[] parseSeeds(String text) {
        try {
            String[] p = text.strip().split("\\.\\.", -1);
            if (p.length > 2 || p[0].isEmpty() || (p.length == 2 && p[1].isEmpty())) return null;
            long a = Long.parseLong(p[0]), b = p.length == 2 ? Long.parseLong(p[1]) : a;
            return a < 0 || b < a ? null : new long[] {a, b};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void combine(List<String> keys, List<List<String>> values, int i, LinkedHashMap<String, String> at, List<Combo> out) {
        if (i == keys.size()) { out.add(new Combo(new LinkedHashMap<>(at))); return; }
        for (String v : values.get(i)) {
            at.put(keys.get(i), v);
            combine(keys, values, i + 1, at, out);
        }
        at.remove(keys.get(i));
    }

    /** Every (combination, seed) on `workers` threads, each with its own simulator; results by index. */
    private static List<Row> run(List<Scenario> scenarios, List<Combo> combos, long[] range, int workers) throws Exception {
        int nSeeds = (int) (range[1] - range[0] + 1);
        int total = scenarios.size() * nSeeds;
        RunResult[] results = new RunResult[total];
        AtomicInteger done = new AtomicInteger();
        List<Simulator> sims = new ArrayList<>();
        ThreadLocal<Simulator> mine = ThreadLocal.withInitial(() -> {
            Simulator s = new Simulator();
            synchronized (sims) { sims.add(s); }
            return s;
        });
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(workers, total));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                int idx = i;
                futures.add(pool.submit(() -> {
                    results[idx] = mine.get().run(scenarios.get(idx / nSeeds), range[0] + idx % nSeeds);
                    int n = done.incrementAndGet();
                    synchronized (System.err) {
                        System.err.print(String.format(Locale.ROOT, "\rcompare: %d/%d runs", n, total) + (n == total ? "\n" : ""));
                    }
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdown();
            for (Simulator s : sims) s.close();
        }
        List<Row> rows = new ArrayList<>();
        for (int c = 0; c < combos.size(); c++) {
            Row row = new Row(combos.get(c));
            for (int k = 0; k < nSeeds; k++) {
                RunResult r = results[c * nSeeds + k];
                long seed = range[0] + k;
                for (String o : r.firedOracles()) {
                    long[] cell = row.oracles.get(o);
                    if (cell == null) continue;
                    if (cell[0]++ == 0) cell[1] = seed;
                }
                if (r.passed()) row.held++;
                else if (row.failed++ == 0) row.firstFailed = seed;
            }
            rows.add(row);
        }
        return rows;
    }

    private static String cell(long[] c) { return c[0] == 0 ? "0" : c[0] + " (first " + Long.toUnsignedString(c[1]) + ")"; }

    private static String verdict(Row r, long n) {
        return r.failed == 0 ? "as expected on " + n + "/" + n
                : "not as expected on " + r.failed + "/" + n + " (first " + Long.toUnsignedString(r.firstFailed) + ")";
    }

    private static String expectation(Scenario s) {
        String v = s.getExpect().getViolationsCount() == 0 ? "no violation" : String.join(", ", s.getExpect().getViolationsList());
        if (s.getExpect().getStepFailuresCount() > 0) {
            v += "; " + String.join(", ", s.getExpect().getStepFailuresList().stream().map(f -> "step " + f.getStep() + " " + f.getErrno()).toList());
        }
        return v;
    }

    static String markdown(Scenario s, List<Row> rows, long[] range) {
        long n = range[1] - range[0] + 1;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s, seeds %d..%d; each cell: failing seeds (first); expected: %s%n%n", s.getName(), range[0], range[1], expectation(s)));
        b.append("| design |");
        for (String o : Oracles.ALL) b.append(' ').append(o).append(" |");
        b.append(" expectation |\n|---|");
        for (int i = 0; i < Oracles.ALL.size(); i++) b.append("---|");
        b.append("---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.combo.label()).append(" |");
            for (String o : Oracles.ALL) b.append(' ').append(cell(r.oracles.get(o))).append(" |");
            b.append(' ').append(verdict(r, n)).append(" |\n");
        }
        return b.toString();
    }

    static String csv(Scenario s, List<Row> rows, long[] range) {
        StringBuilder b = new StringBuilder("scenario,design");
        for (String o : Oracles.ALL) b.append(',').append(o).append("_failing,").append(o).append("_first");
        b.append(",seeds,as_expected,not_as_expected,first_not_as_expected\n");
        for (Row r : rows) {
            b.append(s.getName()).append(',').append(r.combo.label());
            for (String o : Oracles.ALL) {
                long[] c = r.oracles.get(o);
                b.append(',').append(c[0]).append(',').append(c[0] == 0 ? "" : Long.toUnsignedString(c[1]));
            }
            b.append(',').append(range[0]).append("..").append(range[1]).append(',').append(r.held).append(',').append(r.failed).append(',')
                    .append(r.failed == 0 ? "" : Long.toUnsignedString(r.firstFailed)).append('\n');
        }
        return b.toString();
    }

    private static String q(String t) { return '"' + t.replace("\\", "\\\\").replace("\"", "\\\"") + '"'; }

    static String json(Scenario s, List<Row> rows, long[] range) {
        StringBuilder b = new StringBuilder("{\"scenario\": ").append(q(s.getName())).append(", \"seeds\": {\"from\": ").append(range[0])
                .append(", \"to\": ").append(range[1]).append("}, \"expected\": ").append(q(expectation(s))).append(", \"rows\": [");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            b.append(i == 0 ? "\n  " : ",\n  ").append("{\"design\": {");
            int k = 0;
            for (Map.Entry<String, String> e : r.combo.values().entrySet()) b.append(k++ == 0 ? "" : ", ").append(q(e.getKey())).append(": ").append(q(e.getValue()));
            b.append("}, \"oracles\": {");
            k = 0;
            for (String o : Oracles.ALL) {
                long[] c = r.oracles.get(o);
                b.append(k++ == 0 ? "" : ", ").append(q(o)).append(": {\"failing\": ").append(c[0]).append(", \"first\": ")
                        .append(c[0] == 0 ? "null" : Long.toUnsignedString(c[1])).append('}');
            }
            b.append("}, \"as_expected\": ").append(r.held).append(", \"not_as_expected\": ").append(r.failed)
                    .append(", \"first_not_as_expected\": ").append(r.failed == 0 ? "null" : Long.toUnsignedString(r.firstFailed)).append('}');
        }
        return b.append("\n]}\n").toString();
    }
}
