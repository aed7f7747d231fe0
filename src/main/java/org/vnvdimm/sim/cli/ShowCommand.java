package org.vnvdimm.sim.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.vnvdimm.proto.StateDump;
import org.vnvdimm.proto.StateDumps;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.RecordedRun;
import org.vnvdimm.sim.journal.Replay;
import org.vnvdimm.sim.record.TraceText;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.view.StateDumpText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "show", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"The state of every component right after delivery N of a recorded run, obtained by replaying the run to N",
                "with the recorded order forced: Xen (domains, p2m ranges with types, iomem_caps, pmem registry with owners,",
                "management areas), Dom0 (regions, namespaces, extent maps), each QEMU (devices, mappings, FIT), each guest",
                "(FIT it read, mapped ranges, data mirror). Exit 0; 1: the replay diverged before N (the state shown is the",
                "new run's); 2: no such run, N outside the run, an unknown role, or an unusable journal."})
final class ShowCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "A run id (see `vnvdimm runs`) or a run folder.")
    String run;

    @Option(names = "--step", required = true, paramLabel = "N", description = "Show the state right after delivery #N (1 to the run's deliveries).")
    long step;

    @Option(names = "--role", paramLabel = "R", description = "Only this component (xen, dom0, qemu-1, guest-1, ...); repeatable.")
    List<String> roles = new ArrayList<>();

    @Option(names = "--json", description = "Print the dumps as JSON (protobuf JsonFormat of vnvdimm.StateDumps).")
    boolean json;

    @Option(names = "--journal", paramLabel = "URL", description = "The journal (default: application.conf's vnvdimm.journal.url, else runs/journal.mv.db).")
    String journal;

    @Override
    public Integer call() {
        Journal[] j = new Journal[1];
        try {
            RecordedRun r = JournalAccess.find(run, journal, j, "show");
            if (r == null) return Main.EXIT_BAD_INPUT;
            long n = r.deliveriesRecorded();
            if (step < 1 || step > n) {
                System.err.printf(Locale.ROOT, "vnvdimm show: --step %d: %s has %d deliveries (#1 to #%d)%n", step, r.id(), n, n);
                return Main.EXIT_BAD_INPUT;
            }
            TraceRecord at = recordAt(r, step);
            Replay.Shown shown;
            try (Simulator sim = new Simulator()) {
                shown = Replay.runTo(sim, r, step);
            } catch (IllegalStateException e) {
                System.err.println("vnvdimm show: " + r.id() + ": " + e.getMessage());
                return Main.EXIT_EXPECTATION_FAILED;
            }
            TreeSet<String> present = new TreeSet<>();
            for (StateDump d : shown.dumps()) present.add(d.getRole());
            for (String role : roles) {
                if (!present.contains(role)) {
                    System.err.printf(Locale.ROOT, "vnvdimm show: --role %s: no such live component after #%d (there are: %s)%n",
                            role, step, String.join(", ", present));
                    return Main.EXIT_BAD_INPUT;
                }
            }
            StateDumps.Builder out = StateDumps.newBuilder().setRun(r.id()).setScenario(r.header().getScenario().getName())
                    .setSeed(r.header().getSeed()).setStep(step).setDelivery(TraceText.lines(List.of(at), TraceText.Detail.NORMAL).get(0).strip());
            Replay.Divergence d = shown.divergence();
            if (d != null) out.setDivergence("#" + d.seq() + ": " + d.why());
            for (StateDump s : shown.dumps()) if (roles.isEmpty() || roles.contains(s.getRole())) out.addComponents(s);
            print(out.build());
            return d == null ? Main.EXIT_OK : Main.EXIT_EXPECTATION_FAILED;
        } finally {
            if (j[0] != null) j[0].close();
        }
    }

    private void print(StateDumps s) {
        if (json) {
            try {
                System.out.println(JsonFormat.printer().print(s));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        System.out.printf(Locale.ROOT, "state of %s (scenario %s, seed %s) right after %s%n", s.getRun(), s.getScenario(),
                Long.toUnsignedString(s.getSeed()), s.getDelivery());
        if (!s.getDivergence().isEmpty()) {
            System.out.println("warning: the replay diverged from the recording at " + s.getDivergence()
                    + "; this is the new run's state, not the recorded one's");
        }
        for (StateDump d : s.getComponentsList()) {
            System.out.println();
            for (String l : StateDumpText.lines(d)) System.out.println(l);
        }
    }

    /** The recorded delivery #step (its one-line form heads the dump). */
    private static TraceRecord recordAt(RecordedRun r, long step) {
        try (RecordedRun.CloseableIterator<TraceRecord> it = r.deliveries()) {
            while (it.hasNext()) {
                TraceRecord t = it.next();
                if (t.getDelivered().getSeq() == step) return t;
            }
        }
        throw new IllegalStateException("no delivery #" + step + " in " + r.id());
    }
}
