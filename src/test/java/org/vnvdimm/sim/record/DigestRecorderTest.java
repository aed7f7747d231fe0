package org.vnvdimm.sim.record;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

/** The trace hash covers header and records, but not the code version; trace.bin keeps everything. */
class DigestRecorderTest {
    static TraceHeader header(String codeVersion, long seed) {
        return TraceHeader.newBuilder().setSeed(seed).setCodeVersion(codeVersion).build();
    }

    static TraceRecord rec(long seq) {
        return TraceRecord.newBuilder().setDelivered(Envelope.newBuilder().setSeq(seq).setFrom("admin").setTo("platform")).build();
    }

    static DigestRecorder record(Path bin, TraceHeader h, int n) {
        DigestRecorder d = new DigestRecorder(bin);
        d.begin(h);
        for (int i = 1; i <= n; i++) d.record(rec(i));
        d.end(RunSummary.getDefaultInstance());
        return d;
    }

    @Test
    void theHashIgnoresTheCodeVersionButTraceBinKeepsIt(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.bin"), b = dir.resolve("b.bin");
        DigestRecorder da = record(a, header("vnvdimm-sim 0.1.0+src.aaaaaaaaaaaa", 7), 3);
        DigestRecorder db = record(b, header("vnvdimm-sim 0.1.0+src.bbbbbbbbbbbb", 7), 3);
        assertEquals(da.sha256(), db.sha256(), "only the code version differs");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)), "trace.bin holds the real code version");
        try (TraceReader r = new TraceReader(a)) {
            assertEquals("vnvdimm-sim 0.1.0+src.aaaaaaaaaaaa", r.header().getCodeVersion());
        }
        assertEquals(3, da.records());
    }

    @Test
    void theHashIsSha256OfTraceBinWithTheHeadersCodeVersionCleared(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.bin");
        DigestRecorder d = record(a, header("vnvdimm-sim 0.1.0+src.0123456789ab", 9), 5);
        // Recompute independently: the header re-serialized without its code version, then the rest verbatim.
        byte[] bytes = Files.readAllBytes(a);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
            TraceHeader h = TraceHeader.parseDelimitedFrom(in);
            h.toBuilder().clearCodeVersion().build().writeDelimitedTo(expected);
            expected.write(in.readAllBytes());
        }
        String want = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(expected.toByteArray()));
        assertEquals(want, d.sha256());
        assertNotEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), d.sha256(),
                "the raw file's hash would include the code version");
    }

    @Test
    void anythingElseInTheHeaderOrRecordsChangesTheHash() {
        String base = record(null, header("x", 1), 3).sha256();
        assertNotEquals(base, record(null, header("x", 2), 3).sha256(), "seed");
        assertNotEquals(base, record(null, header("x", 1), 4).sha256(), "records");
    }

    @Test
    void beginComesFirstAndOnce() {
        DigestRecorder d = new DigestRecorder();
        d.begin(header("x", 1));
        assertThrows(IllegalStateException.class, () -> d.begin(header("x", 1)));
    }
}
