package org.vnvdimm.sim.cli;

import com.google.protobuf.Descriptors;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vnvdimm.proto.Design;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.sim.journal.Journal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "runs", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"List the runs recorded in the journal, one line each: id, scenario, seed, design, code version,",
                "deliveries, outcome, complete or incomplete (a run killed mid-way, with what it had recorded), when recorded."})
final class RunsCommand implements Callable<Integer> {
    @Option(names = "--journal", paramLabel = "URL", description = "The journal (default: application.conf's vnvdimm.journal.url, else runs/journal.mv.db).")
    String journal;

    @Option(names = "--scenario", paramLabel = "NAME", description = "Only runs of this scenario.")
    String scenario;

    @Option(names = "--failed", description = "Only runs whose expectations did not hold, and incomplete runs.")
    boolean failed;

    @Override
    public Integer call() {
        Journal j = JournalAccess.open(journal, "runs");
        if (j == null) return Main.EXIT_BAD_INPUT;
        try (j) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"RUN", "SCENARIO", "SEED", "DESIGN", "CODE", "DELIVERIES", "STATE", "OUTCOME", "RECORDED"});
            for (Journal.RunInfo r : j.list()) {
                TraceHeader h = r.started().getHeader();
                if (scenario != null && !scenario.equals(h.getScenario().getName())) continue;
                RunSummary s = r.complete() ? r.ended().getSummary() : null;
                if (failed && s != null && s.getExpectationsMet()) continue;
                String outcome = s == null ? "-" : (s.getExpectationsMet() ? "PASS" : "FAIL: " + firstLine(s.getFirstProblem().isEmpty() ? s.getOutcome() : s.getFirstProblem()));
                rows.add(new String[] {r.runId(), h.getScenario().getName(), Long.toUnsignedString(h.getSeed()), design(h.getScenario().getDesign()),
                        shortCode(h.getCodeVersion()), String.format(Locale.ROOT, "%,d", r.deliveries()), r.complete() ? "complete" : "incomplete",
                        outcome, r.started().getRecordedAt()});
            }
            print(rows);
            System.out.println((rows.size() - 1) + " run(s) in " + j.settings().shown());
        }
        return Main.EXIT_OK;
    }

    /** The design keys a scenario set, k=v joined by commas; "defaults" when it set none. */
    static String design(Design d) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<Descriptors.FieldDescriptor, Object> f : d.getAllFields().entrySet()) parts.add(f.getKey().getName() + "=" + f.getValue());
        return parts.isEmpty() ? "defaults" : String.join(",", parts);
    }

    /** "vnvdimm-sim 0.1.0+src.3f2a9c01b7de" to "src.3f2a9c01b7de". */
    static String shortCode(String v) {
        int plus = v.lastIndexOf('+');
        return plus < 0 ? v : v.substring(plus + 1);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String t = nl < 0 ? s : s.substring(0, nl);
        return t.length() > 100 ? t.substring(0, 99) + "…" : t;
    }

    /** Columns padded to their widest cell; the last (free text) column unpadded. */
    private static void print(List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        // OUTCOME goes last on screen so its free text does not push the timestamp around.
        int[] order = {0, 1, 2, 3, 4, 5, 6, 8, 7};
        for (String[] r : rows) for (int c = 0; c < cols; c++) w[c] = Math.max(w[c], r[c].length());
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            b.setLength(0);
            for (int k = 0; k < cols; k++) {
                int c = order[k];
                if (k == cols - 1) b.append(r[c]);
                else if (c == 5) b.append(" ".repeat(w[c] - r[c].length())).append(r[c]).append("  ");
                else b.append(r[c]).append(" ".repeat(w[c] - r[c].length() + 2));
            }
            System.out.println(b.toString().stripTrailing());
        }
    }
}
