package org.vnvdimm.sim.record;

import java.util.List;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.Verdict;

import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/**
 * Where a run's trace goes. The wire calls begin once, {@link #delivered} once per delivery (in
 * delivery order, from one thread; by default it builds the TraceRecord and calls record), end
 * once. Implementations: in memory, streamed binary + SHA-256, the Akka Persistence journal, and
 * explore's fingerprint; they compose with {@link Recorders#all}.
 */
public interface Recorder {
    void begin(TraceHeader header);

    void record(TraceRecord record);

    /**
     * One delivery, as the wire has it: the record is built here, so a recorder that needs less
     * than the record (a fingerprint) can skip building it. notes and observed may be empty.
     */
    default void delivered(Envelope delivered, List<Observation> notes, List<Observation> observed, List<Verdict> verdicts) {
        TraceRecord.Builder t = TraceRecord.newBuilder().setDelivered(delivered);
        // addAll on protobuf lists walks and null-checks; most deliveries observe nothing
        if (!notes.isEmpty()) t.addAllObserved(notes);
        if (!observed.isEmpty()) t.addAllObserved(observed);
        if (!verdicts.isEmpty()) t.addAllVerdicts(verdicts);
        record(t.build());
    }

    /** True for a recorder that keeps nothing: the wire need not build records for it. */
    default boolean discards() { return false; }

    void end(RunSummary summary);
}
