package org.vnvdimm.sim.view;

import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/**
 * A recorded run as the trace views read it, whatever holds it: a run folder today
 * ({@link RunFolderRun}), the persistence journal later. Each delivery is a {@link TraceRecord}: the
 * stamped envelope (seq, from, to, in_reply_to, vtime, the message and its fields), what handling it
 * observed, and the verdicts that fired at it.
 */
public interface RecordedRun {
    /** How the user named the run (a folder, a journal id), for titles and errors. */
    String name();

    /** Scenario as loaded, seed, code version. */
    TraceHeader header();

    /** How the run ended; empty when it did not (killed mid-way, or still being recorded). */
    Optional<RunSummary> end();

    /** A new pass over the deliveries in seq order, from the first; views may make several passes. */
    Deliveries deliveries() throws IOException;

    /** An iterator over deliveries that holds a file or a connection until closed. */
    interface Deliveries extends Iterator<TraceRecord>, AutoCloseable {
        @Override
        void close() throws IOException;
    }
}
