package org.vnvdimm.sim.view;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.record.TraceReader;
import org.vnvdimm.sim.scenario.FileErrors;

/**
 * A run folder as `run --out DIR` writes it: trace.bin (header and deliveries) and summary.json (how
 * it ended). A folder without summary.json (the .NAME.partial-PID a killed run leaves) is a run that
 * did not end: its deliveries are what was written before it stopped.
 */
public final class RunFolderRun implements RecordedRun {
    /** A folder that holds no readable run, in one line. */
    public static final class NotARun extends Exception {
        private static final long serialVersionUID = 1L;

        public NotARun(String message) { super(message); }
    }

    private final Path dir;
    private final String name;
    private final TraceHeader header;
    private final RunSummary end;

    private RunFolderRun(Path dir, String name, TraceHeader header, RunSummary end) {
        this.dir = dir;
        this.name = name;
        this.header = header;
        this.end = end;
    }

    public static RunFolderRun open(Path dir) throws NotARun {
        String shown = dir.toString();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.exists(dir)) throw new NotARun(shown + ": no such run folder");
        if (!Files.isDirectory(dir)) throw new NotARun(shown + ": is not a run folder (it is a " + FileErrors.kindOf(dir) + ")");
        Path bin = dir.resolve("trace.bin");
        if (!Files.isRegularFile(bin)) throw new NotARun(shown + ": is not a run folder (no trace.bin in it)");
        TraceHeader h;
        try (TraceReader r = new TraceReader(bin)) {
            h = r.header();
        } catch (InvalidProtocolBufferException e) {
            throw new NotARun(bin + ": is not a vnvdimm trace (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new NotARun(bin + ": cannot read it: " + FileErrors.describe(e));
        }
        if (!h.getCodeVersion().startsWith("vnvdimm-sim ")) {
            throw new NotARun(bin + ": is not a vnvdimm trace (its header names no vnvdimm-sim code version)");
        }
        RunSummary end = null;
        Path sum = dir.resolve("summary.json");
        if (Files.isRegularFile(sum)) {
            RunSummary.Builder b = RunSummary.newBuilder();
            try {
                JsonFormat.parser().merge(Files.readString(sum, StandardCharsets.UTF_8), b);
            } catch (InvalidProtocolBufferException e) {
                throw new NotARun(sum + ": is not a run summary (" + e.getMessage() + ")");
            } catch (IOException e) {
                throw new NotARun(sum + ": cannot read it: " + FileErrors.describe(e));
            }
            end = b.build();
        }
        return new RunFolderRun(dir, shown, h, end);
    }

    @Override
    public String name() { return name; }

    @Override
    public TraceHeader header() { return header; }

    @Override
    public Optional<RunSummary> end() { return Optional.ofNullable(end); }

    @Override
    public Deliveries deliveries() throws IOException {
        TraceReader r = new TraceReader(dir.resolve("trace.bin"));
        boolean ended = end != null;
        return new Deliveries() {
            Iterator<TraceRecord> it;
            TraceRecord next = advance();

            private TraceRecord advance() {
                try {
                    if (it == null) it = r.iterator(); // reads the first record
                    return it.hasNext() ? it.next() : null;
                } catch (UncheckedIOException e) {
                    // A run killed mid-write leaves half a record at the end: what came before it stands.
                    if (!ended && e.getCause() instanceof InvalidProtocolBufferException) return null;
                    throw e;
                }
            }

            public boolean hasNext() { return next != null; }

            public TraceRecord next() {
                if (next == null) throw new java.util.NoSuchElementException();
                TraceRecord n = next;
                next = advance();
                return n;
            }

            public void close() throws IOException { r.close(); }
        };
    }
}
