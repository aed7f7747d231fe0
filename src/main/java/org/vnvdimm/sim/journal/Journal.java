package org.vnvdimm.sim.journal;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.EventEnvelope;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.StreamConverters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.vnvdimm.proto.DeliveriesRecorded;
import org.vnvdimm.proto.RunEnded;
import org.vnvdimm.proto.RunStarted;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/**
 * The run journal: its own ActorSystem (so a recorder waiting for a write never holds the
 * simulator's single dispatcher thread), the guardian that starts run entities, and the read
 * journal that lists and reads runs back. Run ids are {@code run-<scenario>-<seed>-<n>}, n counting
 * from 1 per scenario and seed across every process writing to the journal.
 */
public final class Journal implements AutoCloseable {
    static final Duration WRITE_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern ID = Pattern.compile("run-(.+)-([0-9]+)-([0-9]+)");

    private final JournalSettings settings;
    private final ActorSystem<JournalGuardian.Command> system;
    private final JdbcReadJournal read;
    /** Held open while the journal is in use (see {@link JournalSettings#prepare}). */
    private final java.sql.Connection held;

    private Journal(JournalSettings settings, java.sql.Connection held) {
        this.settings = settings;
        this.held = held;
        this.system = ActorSystem.create(JournalGuardian.create(), "vnvdimm-journal", settings.akkaConfig());
        this.read = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    }

    /** Creates the schema if missing and starts the journal's ActorSystem. */
    public static Journal open(JournalSettings settings) throws JournalSettings.Unusable {
        java.sql.Connection c = settings.prepare();
        try {
            return new Journal(settings, c);
        } catch (RuntimeException e) {
            try { c.close(); } catch (java.sql.SQLException ignored) { /* already failing */ }
            throw e;
        }
    }

    public JournalSettings settings() { return settings; }

    /** A run open for writing. */
    public record OpenRun(String runId, ActorRef<RunEntity.Command> entity) {}

    /** Takes the next free run-<scenario>-<seed>-<n> and writes RunStarted under it. */
    public OpenRun begin(RunStarted.Builder started) {
        TraceHeader h = started.getHeader();
        String prefix = "run-" + h.getScenario().getName() + "-" + Long.toUnsignedString(h.getSeed()) + "-";
        long n = 0;
        for (String id : idsStartingWith(prefix)) {
            Matcher m = ID.matcher(id);
            if (m.matches() && id.equals(prefix + m.group(3))) n = Math.max(n, Long.parseLong(m.group(3)));
        }
        String lastWhy = "";
        for (int attempt = 0; attempt < 100; attempt++) {
            String id = prefix + (n + 1 + attempt);
            RunStarted s = started.setRunId(id).build();
            JournalGuardian.Opened o = await(AskPattern.ask(system, r -> new JournalGuardian.Open(id, s, r), WRITE_TIMEOUT, system.scheduler()));
            if (o.entity() != null) return new OpenRun(id, o.entity());
            lastWhy = o.why();
        }
        throw new IllegalStateException("journal " + settings.shown() + ": no free run id after " + prefix + (n + 100) + " (" + lastWhy + ")");
    }

    /**
     * The persistence ids with this prefix, over the held JDBC connection: a range scan of the
     * journal's primary key, where the read journal's currentPersistenceIds would read every id.
     */
    private synchronized List<String> idsStartingWith(String prefix) {
        String q = settings.kind() == JournalSettings.Kind.H2 ? "\"" : "";
        String like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        List<String> ids = new ArrayList<>();
        try (java.sql.PreparedStatement st = held.prepareStatement("SELECT DISTINCT " + q + "persistence_id" + q + " FROM " + q + "event_journal" + q
                + " WHERE " + q + "persistence_id" + q + " LIKE ? ESCAPE '\\'")) {
            st.setString(1, like);
            try (java.sql.ResultSet rs = st.executeQuery()) {
                while (rs.next()) ids.add(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("journal " + settings.shown() + ": cannot list run ids: " + e.getMessage(), e);
        }
        return ids;
    }

    public CompletionStage<Done> append(OpenRun run, DeliveriesRecorded batch) {
        return AskPattern.ask(run.entity(), r -> new RunEntity.Append(batch, r), WRITE_TIMEOUT, system.scheduler());
    }

    public CompletionStage<Done> end(OpenRun run, RunEnded ended) {
        return AskPattern.ask(run.entity(), r -> new RunEntity.End(ended, r), WRITE_TIMEOUT, system.scheduler());
    }

    /** One run as `runs` lists it: its start, its end (null while running or when it was killed) and deliveries recorded. */
    public record RunInfo(String runId, RunStarted started, RunEnded ended, long deliveries) {
        public boolean complete() { return ended != null; }
    }

    /** Every run in the journal, in the order they started; incomplete runs have their deliveries counted from the batches. */
    public List<RunInfo> list() {
        Map<String, RunStarted> starts = new LinkedHashMap<>();
        Map<String, RunEnded> ends = new LinkedHashMap<>();
        for (EventEnvelope e : await(read.currentEventsByTag(RunEntity.TAG, Offset.noOffset()).runWith(Sink.seq(), system))) {
            if (e.event() instanceof RunStarted s) starts.put(e.persistenceId(), s);
            else if (e.event() instanceof RunEnded x) ends.put(e.persistenceId(), x);
        }
        List<RunInfo> out = new ArrayList<>();
        for (Map.Entry<String, RunStarted> s : starts.entrySet()) {
            RunEnded x = ends.get(s.getKey());
            long n = x != null ? x.getSummary().getDeliveries() : countDeliveries(s.getKey());
            out.add(new RunInfo(s.getKey(), s.getValue(), x, n));
        }
        return out;
    }

    private long countDeliveries(String runId) {
        long n = 0;
        try (Stream<EventEnvelope> s = events(runId)) {
            for (Iterator<EventEnvelope> it = s.iterator(); it.hasNext(); ) {
                if (it.next().event() instanceof DeliveriesRecorded d) n += d.getRecordsCount();
            }
        }
        return n;
    }

    /** The run with this id, or null when the journal has none. */
    public RecordedRun read(String runId) {
        RunStarted started = null;
        RunEnded ended = null;
        long deliveries = 0;
        try (Stream<EventEnvelope> s = events(runId)) {
            for (Iterator<EventEnvelope> it = s.iterator(); it.hasNext(); ) {
                Object e = it.next().event();
                if (e instanceof RunStarted x) started = x;
                else if (e instanceof RunEnded x) ended = x;
                else if (e instanceof DeliveriesRecorded d) deliveries += d.getRecordsCount();
            }
        }
        if (started == null) return null;
        RunStarted st = started;
        RunEnded en = ended;
        long n = deliveries;
        return new RecordedRun() {
            public String id() { return runId; }
            public TraceHeader header() { return st.getHeader(); }
            public String recordedAt() { return st.getRecordedAt(); }
            public org.vnvdimm.proto.RunSummary summary() { return en == null ? null : en.getSummary(); }
            public long deliveriesRecorded() { return n; }
            public CloseableIterator<TraceRecord> deliveries() { return records(runId); }
        };
    }

    private Stream<EventEnvelope> events(String runId) {
        return read.currentEventsByPersistenceId(runId, 0L, Long.MAX_VALUE).runWith(StreamConverters.asJavaStream(), system);
    }

    /** The run's deliveries streamed batch by batch (constant memory). */
    private RecordedRun.CloseableIterator<TraceRecord> records(String runId) {
        Stream<EventEnvelope> s = events(runId);
        Iterator<EventEnvelope> events = s.iterator();
        return new RecordedRun.CloseableIterator<>() {
            Iterator<TraceRecord> batch = java.util.Collections.emptyIterator();

            public boolean hasNext() {
                while (!batch.hasNext()) {
                    if (!events.hasNext()) return false;
                    if (events.next().event() instanceof DeliveriesRecorded d) batch = d.getRecordsList().iterator();
                }
                return true;
            }

            public TraceRecord next() {
                if (!hasNext()) throw new NoSuchElementException();
                return batch.next();
            }

            public void close() { s.close(); }
        };
    }

    static <T> T await(CompletionStage<T> cs) {
        try {
            return cs.toCompletableFuture().get(WRITE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new IllegalStateException("journal: " + (c.getMessage() == null ? c.toString() : c.getMessage()), c);
        } catch (TimeoutException e) {
            throw new IllegalStateException("journal: no answer within " + WRITE_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("journal: interrupted", e);
        }
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            Thread.currentThread().interrupt();
        }
        try {
            held.close();
        } catch (java.sql.SQLException e) {
            // closing: nothing left to do with it
        }
    }
}
