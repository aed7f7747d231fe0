package org.vnvdimm.sim.record;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/** Streams a trace.bin back: the header, then records one at a time (constant memory). */
public final class TraceReader implements Iterable<TraceRecord>, AutoCloseable {
    private final InputStream in;
    private final TraceHeader header;

    public TraceReader(Path file) throws IOException {
        in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        TraceHeader h = TraceHeader.parseDelimitedFrom(in);
        if (h == null) throw new IOException(file + ": empty trace");
        header = h;
    }

    public TraceHeader header() { return header; }

    @Override
    public Iterator<TraceRecord> iterator() {
        return new Iterator<>() {
            TraceRecord next = read();

            public boolean hasNext() { return next != null; }

            public TraceRecord next() {
                if (next == null) throw new NoSuchElementException();
                TraceRecord r = next;
                next = read();
                return r;
            }
        };
    }

    private TraceRecord read() {
        try {
            return TraceRecord.parseDelimitedFrom(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException { in.close(); }
}
