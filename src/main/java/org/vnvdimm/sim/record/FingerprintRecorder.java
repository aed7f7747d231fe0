package org.vnvdimm.sim.record;

import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/**
 * A cheap 64-bit fingerprint of a run's deliveries (who sent what kind of message to whom, in
 * which order, with how many verdicts), for explore's passing runs: it tells interleavings apart
 * without serializing the trace. Not the trace hash: a kept run is run again with the full record.
 */
public final class FingerprintRecorder implements Recorder {
    private long h = 0xcbf29ce484222325L;

    private void mix(long v) {
        h ^= v;
        h *= 0x100000001b3L;
    }

    @Override public void begin(TraceHeader header) {}

    @Override
    public void record(TraceRecord t) { mix(t.getDelivered(), t.getVerdictsCount()); }

    /** No TraceRecord is built: the fingerprint needs only the envelope and the verdict count. */
    @Override
    public void delivered(Envelope e, java.util.List<org.vnvdimm.proto.Observation> notes,
                          java.util.List<org.vnvdimm.proto.Observation> observed, java.util.List<org.vnvdimm.proto.Verdict> verdicts) {
        mix(e, verdicts.size());
    }

    private void mix(Envelope e, int verdicts) {
        mix(e.getFrom().hashCode());
        mix(e.getTo().hashCode());
        mix(e.getPayloadCase().getNumber());
        mix(e.getTag());
        mix(e.getCause());
        mix(verdicts);
    }

    @Override public void end(RunSummary summary) {}

    public String fingerprint() { return String.format(java.util.Locale.ROOT, "fp-%016x", h); }
}
