package org.vnvdimm.sim.journal;

import akka.Done;
import com.google.protobuf.Message;
import java.net.InetAddress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import org.vnvdimm.proto.DeliveriesRecorded;
import org.vnvdimm.proto.RunEnded;
import org.vnvdimm.proto.RunStarted;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.record.Recorder;

/**
 * Records a run into the journal. The wire's thread only groups records into batches and hands
 * them to a writer thread through a small bounded queue (it waits only when the journal falls that
 * far behind); the writer opens the run once the journal is up (it may still be starting when the
 * run begins) and keeps a few writes in flight. Recording never changes what the run does.
 */
public final class JournalRecorder implements Recorder {
    /** A batch closes at this many records or this many serialized bytes, whichever comes first. */
    static final int BATCH_RECORDS = 2048;
    static final int BATCH_BYTES = 1 << 20;
    /** Batches waiting for the writer, and writes in flight: what bounds the recorder's memory. */
    static final int QUEUED = 8;
    static final int IN_FLIGHT = 4;

    private static final Object DONE = new Object();

    private final Future<Journal> journal;
    private final int batchRecords;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUED);
    private final CompletableFuture<String> recorded = new CompletableFuture<>();
    private final Thread writer;
    private DeliveriesRecorded.Builder batch;
    private long batchBytes;
    private long nextSeq = 1;

    /** journal: the journal, possibly still opening (it is waited for on the writer thread). */
    public JournalRecorder(Future<Journal> journal) { this(journal, BATCH_RECORDS); }

    /** batchRecords: records per batch (tests use small batches to get many). */
    public JournalRecorder(Future<Journal> journal, int batchRecords) {
        this.journal = journal;
        this.batchRecords = batchRecords;
        this.writer = new Thread(this::write, "vnvdimm-journal-writer");
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void begin(TraceHeader header) {
        put(RunStarted.newBuilder().setHeader(header).setRecordedAt(now()));
    }

    @Override
    public void record(TraceRecord r) {
        if (batch == null) batch = DeliveriesRecorded.newBuilder().setFirstSeq(nextSeq);
        batch.addRecords(r);
        nextSeq++;
        // Already computed (and cached) by the trace digest, which serialized the record first.
        batchBytes += r.getSerializedSize();
        if (batch.getRecordsCount() >= batchRecords || batchBytes >= BATCH_BYTES) flush();
    }

    private void flush() {
        if (batch == null) return;
        put(batch.build());
        batch = null;
        batchBytes = 0;
    }

    @Override
    public void end(RunSummary summary) {
        flush();
        put(RunEnded.newBuilder().setSummary(summary).setRecordedAt(now()).build());
        put(DONE);
    }

    /** The run id once everything is written; throws with the reason when it could not be recorded. */
    public String runId() {
        return Journal.await(recorded);
    }

    private void put(Object o) {
        if (recorded.isCompletedExceptionally()) return;   // the journal failed: the run goes on unrecorded
        try {
            queue.put(o);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording", e);
        }
    }

    private void write() {
        try {
            Journal j = journal.get();
            Journal.OpenRun run = null;
            ArrayDeque<CompletionStage<Done>> inFlight = new ArrayDeque<>();
            while (true) {
                Object o = queue.take();
                if (o == DONE) break;
                if (o instanceof RunStarted.Builder s) {
                    run = j.begin(s.setHost(host()));
                } else if (o instanceof DeliveriesRecorded d) {
                    if (inFlight.size() >= IN_FLIGHT) Journal.await(inFlight.poll());
                    inFlight.add(j.append(run, d));
                } else if (o instanceof RunEnded x) {
                    while (!inFlight.isEmpty()) Journal.await(inFlight.poll());
                    Journal.await(j.end(run, x));
                } else if (o instanceof Message m) {
                    throw new IllegalStateException("unexpected " + m.getClass().getSimpleName());
                }
            }
            recorded.complete(run == null ? "" : run.runId());
        } catch (Throwable t) {
            Throwable c = t instanceof java.util.concurrent.ExecutionException && t.getCause() != null ? t.getCause() : t;
            recorded.completeExceptionally(c);
            // Keep the wire from blocking on a full queue: drop what is left.
            queue.clear();
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String host() {
        String h;
        try {
            h = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            h = "localhost";
        }
        return h + " pid " + ProcessHandle.current().pid();
    }
}
