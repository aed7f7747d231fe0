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
 *
 * <p>The hash covers the header with its {@code code_version} cleared; trace.bin keeps the real
 * one. The code version ({@link CodeVersion}) changes with every source edit, so a hash over it
 * would change with every edit too, even one that changes nothing a run does. Cleared, the trace
 * hash says whether the behaviour changed: same scenario, seed and behaviour, same hash.
 */
public final class DigestRecorder implements Recorder {
    private final MessageDigest sha;
    private final OutputStream file;
    private final CodedOutputStream out;
    private final byte[] buf = new byte[1 << 16];
    private String hex;
    private long records;
    private boolean begun;

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

    /** Must come first: trace.bin gets the header as given, the hash the header without its code version. */
    public void begin(TraceHeader h) {
        if (begun || records > 0) throw new IllegalStateException("begin must be called once, first");
        begun = true;
        sha.update(delimited(h.toBuilder().clearCodeVersion().build()));
        if (file != null) {
            try { file.write(delimited(h)); } catch (IOException e) { throw new UncheckedIOException(e); }
        }
    }

    private static byte[] delimited(TraceHeader h) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(h.getSerializedSize() + 5);
        try {
            h.writeDelimitedTo(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

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

    /**
     * SHA-256 of the trace: the header without its code version, then the records, exactly as
     * trace.bin holds them (the summary is derived from them).
     */
    public String sha256() {
        if (hex == null) throw new IllegalStateException("run not finished");
        return hex;
    }

    public long records() { return records; }
}
