package org.vnvdimm.sim.journal;

import com.google.protobuf.TextFormat;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.UnaryOperator;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.record.Recorder;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.wire.ChoiceSource;
import org.vnvdimm.sim.wire.Wire;

/**
 * Re-executes a recorded run on the current code with the recorded delivery order forced: before
 * delivery k the scheduler picks the queue (sender, receiver) the recording delivered from at k.
 * Each new delivery is compared with the recorded one; the first that differs is the divergence,
 * with the component whose behaviour changed:
 * <ul>
 *   <li>the recorded message is not queued at all: its sender did not send it (while handling its cause);
 *   <li>the recording injects the scenario's next step (it does so only when nothing is queued) but
 *       something is queued: whoever sent that sent a message the recording does not have;
 *   <li>the message differs: its sender sent something else while handling its cause;
 *   <li>the message is the same but what its handling observed differs: the receiver changed;
 *   <li>only the verdicts differ: the oracles changed.
 * </ul>
 * After the divergence the run goes on with the seeded choice (nothing more is compared).
 */
public final class Replay {
    /** Deliveries shown before a divergence. */
    public static final int CONTEXT = 5;

    public enum Kind { NOT_SENT, EXTRA_SENT, MESSAGE_CHANGED, OBSERVATION_CHANGED, VERDICT_CHANGED, ENDED_EARLY, WENT_ON }

    /**
     * The first delivery that differs. recorded or replayed is null when one side has no delivery
     * at seq; component names the role whose behaviour changed ("oracles" for verdicts only),
     * atSeq the delivery whose handling changed.
     */
    public record Divergence(long seq, Kind kind, TraceRecord recorded, TraceRecord replayed, List<TraceRecord> before,
                             String component, long atSeq, String why) {}

    /** compared: deliveries found identical before the divergence (or in all). */
    public record Result(RecordedRun run, long compared, RunSummary replayed, Divergence divergence) {
        public boolean identical() { return divergence == null; }
    }

    private Replay() {}

    /** Replays on the current code. */
    public static Result run(Simulator sim, RecordedRun run) { return run(sim, run, UnaryOperator.identity()); }

    /** Replays with some components substituted (tests: a changed component variant). */
    public static Result run(Simulator sim, RecordedRun run, UnaryOperator<Wire.ComponentFactory> substitute) {
        TraceHeader h = run.header();
        try (RecordedRun.CloseableIterator<TraceRecord> recorded = run.deliveries()) {
            Forced f = new Forced(recorded, h.getSeed(), run.complete());
            RunSummary s = sim.run(h.getScenario(), h.getSeed(), null, f, substitute, f).summary();
            return new Result(run, f.compared, s, f.divergence);
        }
    }

    /**
     * `vnvdimm show`: the state of every component right after delivery step, replayed to it with
     * the recorded order forced. divergence: the replay did not reproduce the recording up to step
     * (null when it did); then the dumps are of the new run, not the recorded one.
     */
    public record Shown(RecordedRun run, long step, List<org.vnvdimm.proto.StateDump> dumps, Divergence divergence) {}

    /** Replays run to delivery step (1 ≤ step ≤ its deliveries) and collects the state dumps there. */
    public static Shown runTo(Simulator sim, RecordedRun run, long step) {
        TraceHeader h = run.header();
        java.util.concurrent.CompletableFuture<List<org.vnvdimm.proto.StateDump>> dumps = new java.util.concurrent.CompletableFuture<>();
        try (RecordedRun.CloseableIterator<TraceRecord> recorded = run.deliveries()) {
            Forced f = new Forced(recorded, h.getSeed(), run.complete());
            RunSummary s = sim.run(h.getScenario(), h.getSeed(), null, f, UnaryOperator.identity(), f, false, new Wire.StopAt(step, dumps)).summary();
            Divergence d = f.divergence != null && f.divergence.seq() <= step ? f.divergence : null;
            if (!dumps.isDone()) {
                throw new IllegalStateException("the replay ended after " + s.getDeliveries() + " deliveries, before #" + step
                        + (d == null ? "" : "; it diverged at #" + d.seq() + ": " + d.why()));
            }
            return new Shown(run, step, dumps.join(), d);
        }
    }

    /** The forced choice and the comparing recorder share one cursor over the recording. */
    private static final class Forced implements ChoiceSource, Recorder {
        private final RecordedRun.CloseableIterator<TraceRecord> recorded;
        private final ChoiceSource fallback;
        private final boolean complete;
        private final ArrayDeque<TraceRecord> history = new ArrayDeque<>();
        /** The recorded delivery for the seq being chosen (null past the recording's end). */
        private TraceRecord expected;
        private boolean expectedNotQueued;
        /** A message queued where the recording had none (from, to, payload, cause), or null. */
        private Envelope extra;
        private long compared;
        private Divergence divergence;

        Forced(RecordedRun.CloseableIterator<TraceRecord> recorded, long seed, boolean complete) {
            this.recorded = recorded;
            this.fallback = ChoiceSource.seeded(seed);
            this.complete = complete;
        }

        @Override
        public boolean everyDelivery() { return true; }

        @Override
        public int choose(Links links) {
            int n = links.size();
            expected = recorded.hasNext() ? recorded.next() : null;
            expectedNotQueued = false;
            extra = null;
            if (divergence == null && expected != null) {
                Envelope e = expected.getDelivered();
                for (int i = 0; i < n; i++) {
                    Envelope.Builder b = links.head(i);
                    if (b.getFrom().equals(e.getFrom()) && b.getTo().equals(e.getTo())) return i;
                }
                expectedNotQueued = true;
                // The scenario's next step is injected only into an empty queue: what is queued now is extra.
                if (e.getFrom().equals(Wire.ADMIN) && e.getCause() == 0) extra = links.head(0).clone().build();
            }
            // the seeded choice consumes its random numbers only where there is a choice, as in a normal run
            return n == 1 ? 0 : fallback.choose(links);
        }

        @Override
        public void begin(TraceHeader header) {}

        @Override
        public void record(TraceRecord r) {
            if (divergence != null) return;
            long seq = r.getDelivered().getSeq();
            if (expected == null) {
                if (complete) {
                    diverge(seq, Kind.WENT_ON, null, r, r.getDelivered().getFrom(), r.getDelivered().getCause(),
                            "the recorded run ended after #" + (seq - 1) + "; the new run goes on");
                }
                return;
            }
            if (r.equals(expected)) {
                compared++;
                history.addLast(r);
                if (history.size() > CONTEXT) history.removeFirst();
                return;
            }
            Envelope a = expected.getDelivered();
            Envelope b = r.getDelivered();
            String sender = a.getFrom();
            if (expectedNotQueued && extra != null) {
                diverge(seq, Kind.EXTRA_SENT, expected, r, extra.getFrom(), extra.getCause(),
                        extra.getFrom() + " sent a message the recording does not have (to " + extra.getTo() + ", " + extra.getPayloadCase()
                                + ") while handling " + cause(extra) + "; the recording had nothing queued here and went on with the scenario's next step");
            } else if (expectedNotQueued || !a.getFrom().equals(b.getFrom()) || !a.getTo().equals(b.getTo())) {
                diverge(seq, Kind.NOT_SENT, expected, r, sender, a.getCause(),
                        sender + " did not send the recorded message to " + a.getTo() + " (" + a.getPayloadCase() + ") while handling " + cause(a));
            } else if (!a.equals(b)) {
                diverge(seq, Kind.MESSAGE_CHANGED, expected, r, sender, b.getCause(),
                        sender + " sent a different message to " + a.getTo() + " while handling " + cause(b)
                                + (a.getCause() == b.getCause() ? "" : " (recorded: while handling " + cause(a) + ")"));
            } else if (!expected.getObservedList().equals(r.getObservedList())) {
                diverge(seq, Kind.OBSERVATION_CHANGED, expected, r, a.getTo(), seq,
                        a.getTo() + " observed something different while handling #" + seq);
            } else {
                diverge(seq, Kind.VERDICT_CHANGED, expected, r, "oracles", seq, "the oracles judged #" + seq + " differently");
            }
        }

        private static String cause(Envelope e) {
            return e.getCause() == 0 ? "the scenario's next step (#0)" : "#" + e.getCause();
        }

        private void diverge(long seq, Kind kind, TraceRecord rec, TraceRecord neu, String component, long atSeq, String why) {
            String who = Wire.ADMIN.equals(component) ? "admin (the scenario driver)" : component;
            divergence = new Divergence(seq, kind, rec, neu, List.copyOf(history), who, atSeq, why);
        }

        @Override
        public void end(RunSummary summary) {
            if (divergence != null || !recorded.hasNext()) return;
            // The new run ended; the recording has more. The next recorded delivery was never sent.
            TraceRecord next = recorded.next();
            Envelope a = next.getDelivered();
            diverge(a.getSeq(), Kind.ENDED_EARLY, next, null, a.getFrom(), a.getCause(),
                    "the new run ended after #" + summary.getDeliveries() + "; " + a.getFrom() + " did not send the recorded message to "
                            + a.getTo() + " (" + a.getPayloadCase() + ") while handling " + cause(a));
        }
    }

    /** The fields in which two records differ, as protobuf text lines: "- " recorded only, "+ " replayed only. */
    public static List<String> fieldDiff(TraceRecord recorded, TraceRecord replayed) {
        List<String> a = lines(recorded);
        List<String> b = lines(replayed);
        LinkedHashSet<String> inB = new LinkedHashSet<>(b);
        LinkedHashSet<String> inA = new LinkedHashSet<>(a);
        List<String> out = new ArrayList<>();
        for (String l : a) if (!inB.contains(l)) out.add("- " + l);
        for (String l : b) if (!inA.contains(l)) out.add("+ " + l);
        return out;
    }

    private static List<String> lines(TraceRecord r) {
        if (r == null) return List.of();
        List<String> out = new ArrayList<>();
        for (String l : TextFormat.printer().printToString(r).split("\n")) {
            if (!l.isBlank()) out.add(l.strip());
        }
        return out;
    }
}
