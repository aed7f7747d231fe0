package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Log;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.journal.RecordedRun;
import org.vnvdimm.sim.journal.Replay;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.wire.Wire;

/**
 * Replay against changed code: each test records `boot`, then replays it with a test-only variant
 * of one component (its behaviour changed at one delivery) and checks that the replay names that
 * component, that delivery and the first delivery that differs.
 */
class ReplayTest {
    static Simulator sim;
    static MemoryRecorder recorded;

    @BeforeAll
    static void start() {
        sim = new Simulator();
        recorded = new MemoryRecorder();
        sim.run(Runs.builtin("boot"), 1, recorded);
    }

    @AfterAll
    static void stop() { sim.close(); }

    /** The recording as a RecordedRun, from memory. */
    static RecordedRun inMemory(MemoryRecorder m, boolean complete, int keep) {
        List<TraceRecord> records = m.records().subList(0, keep);
        return new RecordedRun() {
            public String id() { return "memory"; }
            public TraceHeader header() { return m.header(); }
            public String recordedAt() { return ""; }
            public RunSummary summary() { return complete ? m.summary() : null; }
            public long deliveriesRecorded() { return records.size(); }
            public CloseableIterator<TraceRecord> deliveries() {
                var it = records.iterator();
                return new CloseableIterator<>() {
                    public boolean hasNext() { return it.hasNext(); }
                    public TraceRecord next() { return it.next(); }
                    public void close() {}
                };
            }
        };
    }

    static RecordedRun boot() { return inMemory(recorded, true, recorded.records().size()); }

    static Envelope at(long seq) { return recorded.records().get((int) seq - 1).getDelivered(); }

    /** The first recorded delivery sent by `from` while handling a delivery of at least minCause. */
    static Envelope firstSentBy(String from, long minCause) {
        return recorded.records().stream().map(TraceRecord::getDelivered)
                .filter(e -> e.getFrom().equals(from) && e.getCause() >= minCause && at(e.getCause()).getTo().equals(from))
                .findFirst().orElseThrow();
    }

    @Test
    void unchangedCodeReplaysIdentically() {
        Replay.Result r = Replay.run(sim, boot());
        assertTrue(r.identical(), () -> "diverged: " + r.divergence());
        assertEquals(recorded.records().size(), r.compared());
        assertEquals(recorded.summary().getTraceSha256(), r.replayed().getTraceSha256());
    }

    @Test
    void xenAnsweringDifferentlyIsNamed() {
        // Xen's answer to a hypercall in the middle of the run: rc changed to -EINVAL.
        Envelope answer = recorded.records().stream().map(TraceRecord::getDelivered)
                .filter(e -> e.getFrom().equals(Roles.XEN) && e.hasHypercallRet() && e.getSeq() > 200).findFirst().orElseThrow();
        long handled = answer.getCause();
        UnaryOperator<Wire.ComponentFactory> variant = SeededBugsTest.brokenOut(Roles.XEN, (in, out) -> in.getSeq() != handled ? out
                : SeededBugsTest.mapSent(out, e -> e.hasHypercallRet() ? e.toBuilder().setHypercallRet(e.getHypercallRet().toBuilder().setRc(-22)).build() : e));
        Replay.Result r = Replay.run(sim, boot(), variant);
        Replay.Divergence d = r.divergence();
        assertNotNull(d, "a changed Xen must diverge");
        assertEquals(Replay.Kind.MESSAGE_CHANGED, d.kind(), d.why());
        assertEquals(Roles.XEN, d.component());
        assertEquals(handled, d.atSeq());
        assertEquals(answer.getSeq(), d.seq());
        assertEquals(answer.getSeq() - 1, r.compared());
        assertEquals(Replay.CONTEXT, d.before().size());
        assertEquals(answer.getSeq() - 1, d.before().get(Replay.CONTEXT - 1).getDelivered().getSeq());
        assertTrue(Replay.fieldDiff(d.recorded(), d.replayed()).contains("+ rc: -22"), () -> String.join("\n", Replay.fieldDiff(d.recorded(), d.replayed())));
    }

    @Test
    void dom0NotSendingIsNamed() {
        // Dom0 forgets one message it sent while handling a delivery in the middle of the run.
        Envelope lost = firstSentBy(Roles.DOM0, 1);
        long handled = lost.getCause();
        UnaryOperator<Wire.ComponentFactory> variant = SeededBugsTest.brokenOut(Roles.DOM0, (in, out) -> in.getSeq() != handled ? out
                : SeededBugsTest.mapSent(out, e -> e.getTo().equals(lost.getTo()) && e.getPayloadCase() == lost.getPayloadCase() ? null : e));
        Replay.Divergence d = Replay.run(sim, boot(), variant).divergence();
        assertNotNull(d);
        assertEquals(Replay.Kind.NOT_SENT, d.kind(), d.why());
        assertEquals(Roles.DOM0, d.component());
        assertEquals(handled, d.atSeq());
        assertEquals(lost.getSeq(), d.seq());
    }

    @Test
    void aReceiverObservingDifferentlyIsNamed() {
        Envelope toXen = recorded.records().stream().map(TraceRecord::getDelivered).filter(e -> e.getTo().equals(Roles.XEN) && e.getSeq() > 100)
                .findFirst().orElseThrow();
        UnaryOperator<Wire.ComponentFactory> variant = SeededBugsTest.brokenOut(Roles.XEN, (in, out) -> in.getSeq() != toXen.getSeq() ? out
                : out.toBuilder().addObserved(Observation.newBuilder().setLog(Log.newBuilder().setText("changed"))).build());
        Replay.Divergence d = Replay.run(sim, boot(), variant).divergence();
        assertNotNull(d);
        assertEquals(Replay.Kind.OBSERVATION_CHANGED, d.kind(), d.why());
        assertEquals(Roles.XEN, d.component());
        assertEquals(toXen.getSeq(), d.seq());
    }

    @Test
    void theRecordedOrderIsForcedPastAnExtraMessage() {
        // Xen sends one extra message to a role nobody plays. A seeded run of this variant picks its
        // deliveries differently at once (one more queue to choose from); the replay keeps to the
        // recorded order to its end, then delivers the extra message and blames Xen for it.
        Envelope fromXen = firstSentBy(Roles.XEN, 100);
        long handled = fromXen.getCause();
        UnaryOperator<Wire.ComponentFactory> variant = SeededBugsTest.brokenOut(Roles.XEN, (in, out) -> in.getSeq() != handled ? out
                : out.toBuilder().addSent(Envelope.newBuilder().setFrom(Roles.XEN).setTo("nobody").setTag(7)).build());
        Replay.Result r = Replay.run(sim, boot(), variant);
        Replay.Divergence d = r.divergence();
        assertNotNull(d);
        assertEquals(Replay.Kind.WENT_ON, d.kind(), d.why());
        assertEquals(Roles.XEN, d.component());
        assertEquals(handled, d.atSeq());
        assertEquals(recorded.records().size() + 1, d.seq());
        assertEquals("nobody", d.replayed().getDelivered().getTo());

        MemoryRecorder seeded = new MemoryRecorder();
        sim.run(recorded.header().getScenario(), 1, null, seeded, variant);
        long firstDiff = 1;
        while (firstDiff <= seeded.records().size() && seeded.records().get((int) firstDiff - 1).equals(recorded.records().get((int) firstDiff - 1))) firstDiff++;
        assertTrue(firstDiff < d.seq(), "the seeded run of the variant differs at #" + firstDiff + ", the forced replay only at #" + d.seq());
        assertEquals(d.seq() - 1, r.compared());
    }

    @Test
    void anIncompleteRecordingReplaysUpToWhereItStops() {
        Replay.Result r = Replay.run(sim, inMemory(recorded, false, 300));
        assertTrue(r.identical(), () -> "diverged: " + r.divergence());
        assertEquals(300, r.compared());
        assertEquals(recorded.records().size(), r.replayed().getDeliveries());
    }

    @Test
    void aRecordingLongerThanTheNewRunNamesWhoStoppedSending() {
        // The last message the recording has: the variant never sends it, and the new run ends early.
        Envelope last = recorded.records().get(recorded.records().size() - 1).getDelivered();
        UnaryOperator<Wire.ComponentFactory> variant = SeededBugsTest.brokenOut(last.getFrom(), (in, out) -> in.getSeq() != last.getCause() ? out
                : SeededBugsTest.mapSent(out, e -> e.getTo().equals(last.getTo()) && e.getPayloadCase() == last.getPayloadCase() ? null : e));
        Replay.Divergence d = Replay.run(sim, boot(), variant).divergence();
        assertNotNull(d);
        assertEquals(last.getSeq(), d.seq());
        assertEquals(last.getFrom(), d.component());
        assertEquals(last.getCause(), d.atSeq());
    }
}
