package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.JournalSettings;

/**
 * `run`, `runs` and `replay` as a user runs them, in child JVMs: the default journal is created on
 * first use under the working directory; two processes recording at once into one journal (H2 file
 * and PostgreSQL) are both recorded, under different ids; a run killed with kill -9 is listed as
 * incomplete with what it had recorded.
 */
class JournalCliTest {
    static final Pattern RECORDED = Pattern.compile("recorded as (run-boot-1-[0-9]+) in the journal (.*)");

    @TempDir Path tmp;

    static String recordedId(ChildJvm.Result r) {
        Matcher m = RECORDED.matcher(r.out());
        assertTrue(m.find(), "no 'recorded as' line in:\n" + r.out() + r.err());
        return m.group(1);
    }

    @Test
    void theDefaultJournalIsCreatedOnFirstUseAndListed() throws Exception {
        Path cwd = tmp.resolve("cwd");
        ChildJvm.Result run = ChildJvm.start(cwd, List.of(), "run", "-q").await();
        assertEquals(0, run.exit(), run.err());
        assertEquals("run-boot-1-1", recordedId(run));
        assertTrue(run.out().contains("in the journal runs/journal.mv.db"), run.out());
        assertTrue(Files.isRegularFile(cwd.resolve("runs/journal.mv.db")));

        ChildJvm.Result runs = ChildJvm.start(cwd, List.of(), "runs").await();
        assertEquals(0, runs.exit(), runs.err());
        List<String> lines = runs.out().lines().toList();
        assertTrue(lines.get(0).startsWith("RUN "), runs.out());
        assertTrue(lines.get(1).matches("run-boot-1-1 +boot +1 +profile=seeds +src\\.[0-9a-f]{12} +756 +complete +20[0-9-]+T[0-9:]+Z +PASS"), lines.get(1));
        assertEquals("1 run(s) in runs/journal.mv.db", lines.get(2));

        ChildJvm.Result replay = ChildJvm.start(cwd, List.of(), "replay", "run-boot-1-1").await();
        assertEquals(0, replay.exit(), replay.out() + replay.err());
        assertTrue(replay.out().contains("identical (756 deliveries, trace sha256 "), replay.out());

        ChildJvm.Result none = ChildJvm.start(cwd, List.of(), "replay", "run-boot-1-9").await();
        assertEquals(2, none.exit());
        assertEquals("vnvdimm replay: run-boot-1-9: no such run in the journal runs/journal.mv.db (`vnvdimm runs` lists them) and no such run folder",
                none.err().strip());
    }

    void twoProcessesAtOnce(String url) throws Exception {
        ChildJvm.Running a = ChildJvm.start(tmp.resolve("a"), List.of(), "run", "-q", "--journal", url);
        ChildJvm.Running b = ChildJvm.start(tmp.resolve("b"), List.of(), "run", "-q", "--journal", url);
        ChildJvm.Result ra = a.await(), rb = b.await();
        assertEquals(0, ra.exit(), ra.err());
        assertEquals(0, rb.exit(), rb.err());
        String ida = recordedId(ra), idb = recordedId(rb);
        assertNotEquals(ida, idb, "same scenario and seed from two processes: two run ids");
        try (Journal j = Journal.open(JournalSettings.resolve(url))) {
            for (String id : List.of(ida, idb)) {
                Journal.RunInfo i = j.list().stream().filter(x -> x.runId().equals(id)).findFirst().orElseThrow(() -> new AssertionError(id + " not listed"));
                assertTrue(i.complete());
                assertEquals(756, i.deliveries());
            }
        }
    }

    @Test
    void twoProcessesRecordIntoOneH2File() throws Exception {
        twoProcessesAtOnce("jdbc:h2:file:" + tmp.resolve("shared/journal"));
    }

    @Test
    void twoProcessesRecordIntoOnePostgres() throws Exception {
        twoProcessesAtOnce("jdbc:postgresql://127.0.0.1:5432/test");
    }

    @Test
    void aRunKilledMidwayIsListedAsIncompleteWithWhatItRecorded() throws Exception {
        Path cwd = tmp.resolve("kill");
        String url = "jdbc:h2:file:" + cwd.resolve("runs/journal");
        // A finished run first: nothing recorded before the kill may be lost.
        ChildJvm.Result first = ChildJvm.start(cwd, List.of(), "run", "-q", "--journal", url).await();
        assertEquals(0, first.exit(), first.err());
        ChildJvm.Running big = ChildJvm.start(cwd, List.of(), "run", "scale-1000-guests", "-q", "--journal", url);
        long recorded = 0;
        try (Journal j = Journal.open(JournalSettings.resolve(url))) {
            long deadline = System.nanoTime() + 240_000_000_000L;
            while (recorded < 10_000 && System.nanoTime() < deadline && big.process().isAlive()) {
                Thread.sleep(200);
                recorded = j.list().stream().filter(i -> i.runId().startsWith("run-scale-1000-guests-")).mapToLong(Journal.RunInfo::deliveries).sum();
            }
            assertTrue(big.process().isAlive(), "the run ended before it could be killed");
            big.process().destroyForcibly().waitFor();   // SIGKILL
            assertTrue(recorded >= 10_000, "recorded only " + recorded + " deliveries");
            List<Journal.RunInfo> runs = j.list();
            Journal.RunInfo killed = runs.stream().filter(i -> i.runId().startsWith("run-scale-1000-guests-")).findFirst().orElseThrow();
            assertFalse(killed.complete());
            assertTrue(killed.deliveries() >= recorded, killed.deliveries() + " < " + recorded);
            assertTrue(runs.stream().anyMatch(i -> i.runId().equals("run-boot-1-1") && i.complete() && i.deliveries() == 756));
        }
        ChildJvm.Result list = ChildJvm.start(cwd, List.of(), "runs", "--journal", url).await();
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("run-scale-1000-guests-") && l.contains(" incomplete ") && l.endsWith(" -")), list.out());
        ChildJvm.Result failed = ChildJvm.start(cwd, List.of(), "runs", "--journal", url, "--failed").await();
        assertFalse(failed.out().contains("run-boot-1-1"), failed.out());
        assertTrue(failed.out().contains("run-scale-1000-guests-"), failed.out());
    }

    @Test
    void badJournalOptionsAreRefusedBeforeAnythingRuns() throws Exception {
        Path cwd = tmp.resolve("opts");
        ChildJvm.Result both = ChildJvm.start(cwd, List.of(), "run", "-q", "--no-journal", "--journal", "jdbc:h2:file:x").await();
        assertEquals(2, both.exit());
        assertEquals("vnvdimm run: --journal and --no-journal exclude each other; give one", both.err().strip());
        ChildJvm.Result bad = ChildJvm.start(cwd, List.of(), "run", "-q", "--journal", "mysql://x").await();
        assertEquals(2, bad.exit());
        assertEquals("vnvdimm run: --journal mysql://x: expected jdbc:postgresql://HOST:PORT/DB or jdbc:h2:file:PATH", bad.err().strip());
        try (var s = Files.list(cwd)) {
            assertEquals(List.of(), s.toList(), "nothing is made for bad input");
        }
    }

    @Test
    void aCorruptJournalIsOneLineAndExit2() throws Exception {
        Path cwd = tmp.resolve("corrupt");
        Files.createDirectories(cwd.resolve("runs"));
        Files.writeString(cwd.resolve("runs/journal.mv.db"), "not a database\n".repeat(500));
        ChildJvm.Result r = ChildJvm.start(cwd, List.of(), "runs").await();
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("vnvdimm runs: runs/journal.mv.db: not a usable run journal"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }
}
