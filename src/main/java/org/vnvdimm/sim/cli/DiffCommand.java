package org.vnvdimm.sim.cli;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.RecordedRun;
import org.vnvdimm.sim.journal.Replay;
import org.vnvdimm.sim.journal.RunDiff;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Compare two recorded runs (run ids or run folders): the first delivery that differs, the deliveries after it",
                "aligned (= same, ~ changed, < only in A, > only in B), then the verdicts only one run has.",
                "Exit 0: identical deliveries and verdicts; 1: they differ; 2: no such run or an unusable journal."})
final class DiffCommand implements Callable<Integer> {
    static final int WINDOW = 400;

    @Parameters(index = "0", paramLabel = "A", description = "A run id (see `vnvdimm runs`) or a run folder.")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "A run id or a run folder.")
    String b;

    @Option(names = "--journal", paramLabel = "URL", description = "The journal (default: application.conf's vnvdimm.journal.url, else runs/journal.mv.db).")
    String journal;

    @Option(names = "--lines", paramLabel = "N", defaultValue = "30", description = "Aligned deliveries to show after the first difference (default ${DEFAULT-VALUE}).")
    int lines;

    @Override
    public Integer call() {
        if (lines < 0 || lines > WINDOW) {
            System.err.printf(Locale.ROOT, "vnvdimm diff: --lines: expected a number from 0 to %d, got '%d'%n", WINDOW, lines);
            return Main.EXIT_BAD_INPUT;
        }
        Journal[] j = new Journal[1];
        try {
            RecordedRun ra = JournalAccess.find(a, journal, j, "diff");
            if (ra == null) return Main.EXIT_BAD_INPUT;
            RecordedRun rb = JournalAccess.find(b, journal, j, "diff");
            if (rb == null) return Main.EXIT_BAD_INPUT;
            System.out.println("A: " + describe(ra));
            System.out.println("B: " + describe(rb));
            RunDiff.Result d = RunDiff.diff(ra, rb, WINDOW);
            if (d.firstDiffSeq() == 0) {
                System.out.printf(Locale.ROOT, "deliveries: identical (%,d)%n", d.identicalPrefix());
            } else {
                System.out.printf(Locale.ROOT, "deliveries: identical up to #%d; first difference at #%d (A has %,d deliveries, B %,d)%n",
                        d.identicalPrefix(), d.firstDiffSeq(), d.deliveriesA(), d.deliveriesB());
                int shown = 0;
                for (RunDiff.Row r : d.rows()) {
                    if (shown++ == lines) {
                        System.out.printf(Locale.ROOT, "  … (%d more aligned rows in the next %d deliveries; --lines N shows more)%n", d.rows().size() - lines, WINDOW);
                        break;
                    }
                    switch (r.mark()) {
                        case SAME -> System.out.println("  = " + RunDiff.line(r.a()) + (r.a().getDelivered().getSeq() == r.b().getDelivered().getSeq() ? "" : "   (B #" + r.b().getDelivered().getSeq() + ")"));
                        case CHANGED -> {
                            String la = RunDiff.line(r.a()), lb = RunDiff.line(r.b());
                            System.out.println("  ~ A " + la);
                            System.out.println("    B " + lb);
                            if (la.replaceFirst("^#[0-9]+ ", "").equals(lb.replaceFirst("^#[0-9]+ ", ""))) {
                                // The one-line view hides the difference: show the fields.
                                List<String> f = Replay.fieldDiff(RunDiff.unstamped(r.a()), RunDiff.unstamped(r.b()));
                                for (String l : f.subList(0, Math.min(4, f.size()))) System.out.println("        " + (l.length() > 160 ? l.substring(0, 159) + "…" : l));
                            }
                        }
                        case ONLY_A -> System.out.println("  < " + RunDiff.line(r.a()));
                        case ONLY_B -> System.out.println("  > " + RunDiff.line(r.b()));
                    }
                }
            }
            if (d.onlyA().isEmpty() && d.onlyB().isEmpty()) {
                System.out.println("verdicts: the same in both (" + ra.verdicts().size() + ")");
            } else {
                System.out.println("verdicts that differ:");
                for (Verdict v : d.onlyA()) System.out.printf(Locale.ROOT, "  < A only: %s at #%d: %s%n", v.getOracle(), v.getSeq(), v.getDetail());
                for (Verdict v : d.onlyB()) System.out.printf(Locale.ROOT, "  > B only: %s at #%d: %s%n", v.getOracle(), v.getSeq(), v.getDetail());
            }
            return d.identical() ? Main.EXIT_OK : Main.EXIT_EXPECTATION_FAILED;
        } finally {
            if (j[0] != null) j[0].close();
        }
    }

    static String describe(RecordedRun r) {
        RunSummary s = r.summary();
        return String.format(Locale.ROOT, "%s — scenario %s, seed %s, design %s, %s; %,d deliveries, %s", r.id(), r.header().getScenario().getName(),
                Long.toUnsignedString(r.header().getSeed()), RunsCommand.design(r.header().getScenario().getDesign()),
                RunsCommand.shortCode(r.header().getCodeVersion()), r.deliveriesRecorded(),
                s == null ? "incomplete" : (s.getExpectationsMet() ? "PASS" : "FAIL") + ": " + s.getOutcome());
    }

}
