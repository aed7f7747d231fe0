package org.vnvdimm.sim.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceReader;

/**
 * A recorded run, read back: from the journal ({@link Journal#read}) or from a run folder
 * ({@link #fromFolder}). The one reader `replay`, `diff`, `show` (and trace renderers) use.
 */
public interface RecordedRun {
    /** An iterator over a stream that must be closed when not read to its end. */
    interface CloseableIterator<T> extends Iterator<T>, AutoCloseable {
        @Override
        void close();
    }

    /** The run id in the journal, or the run folder. */
    String id();

    TraceHeader header();

    /** Wall-clock UTC when the run started (ISO-8601); empty for a run folder. */
    String recordedAt();

    /** The run's summary; null when the run never ended (killed mid-way). */
    RunSummary summary();

    default boolean complete() { return summary() != null; }

    long deliveriesRecorded();

    /** The recorded deliveries, in delivery order, streamed. */
    CloseableIterator<TraceRecord> deliveries();

    /** The run's verdicts: the summary's when complete, else those the recorded deliveries carry. */
    default List<Verdict> verdicts() {
        if (summary() != null) return summary().getVerdictsList();
        List<Verdict> v = new ArrayList<>();
        try (CloseableIterator<TraceRecord> it = deliveries()) {
            while (it.hasNext()) v.addAll(it.next().getVerdictsList());
        }
        return v;
    }

    /** A run folder written by `run --out` (trace.bin and summary.json). */
    static RecordedRun fromFolder(Path dir) throws IOException {
        Path bin = dir.resolve("trace.bin");
        if (!Files.isRegularFile(bin)) throw new IOException(dir + ": not a run folder (no trace.bin)");
        TraceHeader header;
        long n = 0;
        try (TraceReader r = new TraceReader(bin)) {
            header = r.header();
            for (Iterator<TraceRecord> it = r.iterator(); it.hasNext(); it.next()) n++;
        } catch (UncheckedIOException e) {
            throw new IOException(bin + ": not a readable trace: " + e.getCause().getMessage(), e.getCause());
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(bin + ": not a readable trace: " + e.getMessage(), e);
        }
        RunSummary summary = null;
        Path json = dir.resolve("summary.json");
        if (Files.isRegularFile(json)) {
            RunSummary.Builder b = RunSummary.newBuilder();
            try {
                JsonFormat.parser().ignoringUnknownFields().merge(Files.readString(json, StandardCharsets.UTF_8), b);
            } catch (InvalidProtocolBufferException e) {
                throw new IOException(json + ": not a run summary: " + e.getMessage(), e);
            }
            summary = b.build();
        }
        RunSummary s = summary;
        long count = n;
        return new RecordedRun() {
            public String id() { return dir.toString(); }
            public TraceHeader header() { return header; }
            public String recordedAt() { return ""; }
            public RunSummary summary() { return s; }
            public long deliveriesRecorded() { return count; }

            public CloseableIterator<TraceRecord> deliveries() {
                TraceReader r;
                try {
                    r = new TraceReader(bin);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                Iterator<TraceRecord> it = r.iterator();
                return new CloseableIterator<>() {
                    public boolean hasNext() { return it.hasNext(); }
                    public TraceRecord next() { return it.next(); }
                    public void close() {
                        try { r.close(); } catch (IOException e) { throw new UncheckedIOException(e); }
                    }
                };
            }
        };
    }
}
