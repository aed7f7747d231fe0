package org.vnvdimm.sim.cli;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.RecordedRun;
import org.vnvdimm.sim.journal.Replay;
import org.vnvdimm.sim.record.TraceText;
import org.vnvdimm.sim.run.Simulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "replay", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Re-execute a recorded run on the current code, forcing the recorded delivery order, and compare it",
                "delivery by delivery. Exit 0: identical; 1: it diverged (the first divergence is printed, with the component",
                "whose behaviour changed); 2: no such run or an unusable journal."})
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "A run id (see `vnvdimm runs`) or a run folder.")
    String run;

    @Option(names = "--journal", paramLabel = "URL", description = "The journal (default: application.conf's vnvdimm.journal.url, else runs/journal.mv.db).")
    String journal;

    @Override
    public Integer call() {
        Journal[] j = new Journal[1];
        try {
            RecordedRun r = JournalAccess.find(run, journal, j, "replay");
            if (r == null) return Main.EXIT_BAD_INPUT;
            System.out.printf(Locale.ROOT, "replaying %s: scenario %s, seed %s, %,d recorded deliveries%s%n", r.id(), r.header().getScenario().getName(),
                    Long.toUnsignedString(r.header().getSeed()), r.deliveriesRecorded(), r.complete() ? "" : " (incomplete: the run did not end)");
            System.out.println("  recorded by " + r.header().getCodeVersion() + ", replayed on " + Simulator.CODE_VERSION);
            Replay.Result res;
            try (Simulator sim = new Simulator()) {
                res = Replay.run(sim, r);
            }
            return print(res) ? Main.EXIT_OK : Main.EXIT_EXPECTATION_FAILED;
        } finally {
            if (j[0] != null) j[0].close();
        }
    }

    /** Prints the result; true when identical. */
    static boolean print(Replay.Result res) {
        String sha = res.replayed().getTraceSha256();
        if (res.identical()) {
            if (res.run().complete()) {
                String recSha = res.run().summary().getTraceSha256();
                System.out.printf(Locale.ROOT, "identical (%,d deliveries, trace sha256 %s%s)%n", res.compared(), sha,
                        recSha.equals(sha) ? "" : "; recorded " + recSha);
            } else {
                System.out.printf(Locale.ROOT, "identical for the %,d recorded deliveries (the recording is incomplete: it stops there; "
                        + "the new run went on to %,d deliveries, trace sha256 %s)%n", res.compared(), res.replayed().getDeliveries(), sha);
            }
            return true;
        }
        Replay.Divergence d = res.divergence();
        System.out.printf(Locale.ROOT, "diverged at #%d after %,d identical deliveries: %s%n", d.seq(), res.compared(), d.why());
        System.out.printf(Locale.ROOT, "changed component: %s (handling #%d)%n", d.component(), d.atSeq());
        if (!d.before().isEmpty()) {
            System.out.println("before (identical in both):");
            for (String l : lines(d.before())) System.out.println("    " + l);
        }
        System.out.println("recorded:");
        for (String l : d.recorded() == null ? List.of("(nothing: the recording ends here)") : lines(List.of(d.recorded()))) System.out.println("  - " + l);
        System.out.println("replayed:");
        for (String l : d.replayed() == null ? List.of("(nothing: the new run ended)") : lines(List.of(d.replayed()))) System.out.println("  + " + l);
        if (d.recorded() != null && d.replayed() != null) {
            System.out.println("fields that differ:");
            for (String l : Replay.fieldDiff(d.recorded(), d.replayed())) System.out.println("    " + l);
        }
        System.out.printf(Locale.ROOT, "the new run: %,d deliveries, %s, trace sha256 %s%n", res.replayed().getDeliveries(),
                res.replayed().getExpectationsMet() ? "PASS" : "FAIL", sha);
        return false;
    }

    static List<String> lines(List<TraceRecord> records) {
        return TraceText.lines(records, TraceText.Detail.VERBOSE);
    }
}
