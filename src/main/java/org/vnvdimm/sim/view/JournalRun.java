package org.vnvdimm.sim.view;

import java.util.Optional;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.journal.Journal;

/**
 * A run in the journal as the trace views read it: the journal's reader
 * ({@link org.vnvdimm.sim.journal.RecordedRun}) seen through this package's {@link RecordedRun}.
 * Holds the journal open until closed.
 */
public final class JournalRun implements RecordedRun, AutoCloseable {
    private final org.vnvdimm.sim.journal.RecordedRun run;
    private final Journal journal;

    public JournalRun(org.vnvdimm.sim.journal.RecordedRun run, Journal journal) {
        this.run = run;
        this.journal = journal;
    }

    @Override
    public String name() { return run.id(); }

    @Override
    public TraceHeader header() { return run.header(); }

    @Override
    public Optional<RunSummary> end() { return Optional.ofNullable(run.summary()); }

    @Override
    public Deliveries deliveries() {
        org.vnvdimm.sim.journal.RecordedRun.CloseableIterator<TraceRecord> it = run.deliveries();
        return new Deliveries() {
            @Override
            public boolean hasNext() { return it.hasNext(); }

            @Override
            public TraceRecord next() { return it.next(); }

            @Override
            public void close() { it.close(); }
        };
    }

    @Override
    public void close() {
        if (journal != null) journal.close();
    }
}
