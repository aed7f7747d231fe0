package org.vnvdimm.sim.record;

import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/**
 * Where a run's trace goes. The wire calls begin once, record once per delivery (in delivery
 * order, from one thread), end once. Implementations: in memory, streamed binary + SHA-256, and
 * (later) an Akka Persistence journal; they compose with {@link Recorders#all}.
 */
public interface Recorder {
    void begin(TraceHeader header);

    void record(TraceRecord record);

    void end(RunSummary summary);
}
