package org.vnvdimm.sim.journal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.DeliveriesRecorded;
import org.vnvdimm.proto.RunStarted;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;

/**
 * The journal for real: an H2 file in a temporary folder, and the PostgreSQL server this machine
 * runs at 127.0.0.1:5432 (database `test`; the schema is created by the journal itself). No mocks:
 * a run is recorded, listed, read back record by record and replayed from the journal.
 */
class JournalTest {
    static final String POSTGRES = "jdbc:postgresql://127.0.0.1:5432/test";
    static Simulator sim;
    static Scenario boot;
    static MemoryRecorder unrecorded;

    @TempDir Path tmp;

    @BeforeAll
    static void start() throws Exception {
        sim = new Simulator();
        boot = BuiltinScenarios.resolve("boot");
        unrecorded = new MemoryRecorder();
        sim.run(boot, 1, unrecorded);
    }

    @AfterAll
    static void stop() { sim.close(); }

    /** Records boot (seed 1) in batches of 100 deliveries, then checks what the journal gives back. */
    void recordsListsAndReadsBack(String url) throws Exception {
        try (Journal j = Journal.open(JournalSettings.resolve(url))) {
            JournalRecorder jr = new JournalRecorder(CompletableFuture.completedFuture(j), 100);
            MemoryRecorder mem = new MemoryRecorder();
            RunResult r = sim.run(boot, 1, Recorders.all(mem, jr));
            String id = jr.runId();
            assertTrue(id.matches("run-boot-1-[0-9]+"), id);
            // Recording does not change the run: same trace hash as an unrecorded run of the same seed.
            assertEquals(unrecorded.summary().getTraceSha256(), r.summary().getTraceSha256());

            Journal.RunInfo info = j.list().stream().filter(i -> i.runId().equals(id)).findFirst().orElseThrow();
            assertTrue(info.complete());
            assertEquals(r.summary().getDeliveries(), info.deliveries());
            assertEquals(boot, info.started().getHeader().getScenario());
            assertFalse(info.started().getRecordedAt().isEmpty());

            RecordedRun back = j.read(id);
            assertNotNull(back);
            assertEquals(mem.header(), back.header());
            assertEquals(r.summary(), back.summary());
            assertEquals(mem.records().size(), back.deliveriesRecorded());
            List<TraceRecord> records = new ArrayList<>();
            try (RecordedRun.CloseableIterator<TraceRecord> it = back.deliveries()) {
                it.forEachRemaining(records::add);
            }
            assertEquals(mem.records(), records, "the journal gives back every delivery, in order");
            assertNull(j.read(id + "0"), "an id the journal does not hold reads as null");

            Replay.Result replay = Replay.run(sim, back);
            assertTrue(replay.identical(), () -> String.valueOf(replay.divergence()));
            assertEquals(records.size(), replay.compared());
        }
    }

    @Test
    void h2RecordsListsAndReadsBack() throws Exception {
        Path file = tmp.resolve("j/journal");
        recordsListsAndReadsBack("jdbc:h2:file:" + file);
        assertTrue(Files.isRegularFile(tmp.resolve("j/journal.mv.db")), "the journal file is created on first use");
    }

    @Test
    void postgresRecordsListsAndReadsBack() throws Exception {
        recordsListsAndReadsBack(POSTGRES);
    }

    /** A run that never ended (its process was killed): listed as incomplete, with what it recorded; replayed up to there. */
    void incompleteRun(String url) throws Exception {
        try (Journal j = Journal.open(JournalSettings.resolve(url))) {
            Journal.OpenRun run = j.begin(RunStarted.newBuilder().setHeader(unrecorded.header()).setRecordedAt("2026-12-02T00:00:00Z"));
            Journal.await(j.append(run, DeliveriesRecorded.newBuilder().setFirstSeq(1).addAllRecords(unrecorded.records().subList(0, 250)).build()));
            Journal.await(j.append(run, DeliveriesRecorded.newBuilder().setFirstSeq(251).addAllRecords(unrecorded.records().subList(250, 300)).build()));
            Journal.RunInfo info = j.list().stream().filter(i -> i.runId().equals(run.runId())).findFirst().orElseThrow();
            assertFalse(info.complete());
            assertEquals(300, info.deliveries());
            RecordedRun back = j.read(run.runId());
            assertFalse(back.complete());
            assertEquals(300, back.deliveriesRecorded());
            Replay.Result r = Replay.run(sim, back);
            assertTrue(r.identical(), () -> String.valueOf(r.divergence()));
            assertEquals(300, r.compared());
            assertEquals(unrecorded.records().size(), r.replayed().getDeliveries());
        }
    }

    @Test
    void h2IncompleteRun() throws Exception { incompleteRun("jdbc:h2:file:" + tmp.resolve("journal")); }

    @Test
    void postgresIncompleteRun() throws Exception { incompleteRun(POSTGRES); }

    @Test
    void aCorruptOrForeignFileIsOneClearError() throws Exception {
        Path bad = tmp.resolve("bad.mv.db");
        Files.write(bad, "this is not an H2 database\n".repeat(200).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        JournalSettings.Unusable e = assertThrows(JournalSettings.Unusable.class, () -> Journal.open(JournalSettings.resolve("jdbc:h2:file:" + bad)));
        assertEquals(bad + ": not a usable run journal: not an H2 2.x database file, or a corrupt one (H2 error 90028)", e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());

        JournalSettings.Unusable url = assertThrows(JournalSettings.Unusable.class, () -> JournalSettings.resolve("mysql://x"));
        assertEquals("--journal mysql://x: expected jdbc:postgresql://HOST:PORT/DB or jdbc:h2:file:PATH", url.getMessage());

        JournalSettings.Unusable down = assertThrows(JournalSettings.Unusable.class,
                () -> Journal.open(JournalSettings.resolve("jdbc:postgresql://127.0.0.1:1/test?connectTimeout=2")));
        assertTrue(down.getMessage().contains("Connection to 127.0.0.1:1 refused"), down.getMessage());
    }
}
