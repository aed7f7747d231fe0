package org.vnvdimm.sim.record;

import com.google.protobuf.CodedOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/**
 * The canonical recording: header and records as length-delimited protobuf, hashed with SHA-256
 * as they stream (optionally also to a trace.bin file). Same scenario + seed + code gives the same
 * bytes, hence the same hash.
 */
public final class DigestRecorder implements Recorder {
    private final MessageDigest sha;
    private final OutputStream file;
    private final CodedOutputStream out;
    private final byte[] buf = new byte[1 << 16];
    private String hex;
    private long records;

    public DigestRecorder(Path binFile) {
        try {
            sha = MessageDigest.getInstance("SHA-256");
            file = binFile == null ? null : new BufferedOutputStream(Files.newOutputStream(binFile), 1 << 16);
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException("cannot record trace: " + e.getMessage(), e);
        }
        out = CodedOutputStream.newInstance(new OutputStream() {
            @Override public void write(int b) { write(new byte[] {(byte) b}, 0, 1); }
            @Override public void write(byte[] b, int off, int len) {
                sha.update(b, off, len);
                if (file != null) {
                    try { file.write(b, off, len); } catch (IOException e) { throw new UncheckedIOException(e); }
                }
            }
        }, buf.length);
    }

    public DigestRecorder() { this(null); }

    private void put(com.google.protobuf.MessageLite m) {
        try {
            out.writeUInt32NoTag(m.getSerializedSize());
            m.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void begin(TraceHeader h) { put(h); }

    public void record(TraceRecord r) {
        put(r);
        records++;
    }

    public void end(RunSummary s) {
        try {
            out.flush();
            if (file != null) file.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        hex = HexFormat.of().formatHex(sha.digest());
    }

    /** SHA-256 of the trace (header and records; the summary is derived from them). */
    public String sha256() {
        if (hex == null) throw new IllegalStateException("run not finished");
        return hex;
    }

    public long records() { return records; }
}
