package org.vnvdimm.sim.record;

import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/** Keeps the whole trace in memory, for rendering and for tests. */
public final class MemoryRecorder implements Recorder {
    /** A run that records more than this in memory should stream instead. */
    public static final int MAX_RECORDS = 5_000_000;

    private TraceHeader header;
    private final List<TraceRecord> records = new ArrayList<>();
    private RunSummary summary;

    public void begin(TraceHeader h) { header = h; }

    public void record(TraceRecord r) {
        if (records.size() >= MAX_RECORDS) throw new IllegalStateException("trace exceeds " + MAX_RECORDS + " records in memory");
        records.add(r);
    }

    public void end(RunSummary s) { summary = s; }

    public TraceHeader header() { return header; }

    public List<TraceRecord> records() { return records; }

    public RunSummary summary() { return summary; }
}
