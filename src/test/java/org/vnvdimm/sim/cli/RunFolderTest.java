package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.sim.record.RunFolder;

/** The temporary run folder and how it is put in place. */
class RunFolderTest {
    @TempDir Path tmp;

    private static void writeAll(Path dir) throws Exception {
        for (String f : RunFolder.FILES) Files.writeString(dir.resolve(f), f);
    }

    @Test
    void theRunIsInvisibleUntilCommitThenRenamedWhole() throws Exception {
        Path target = tmp.resolve("runs/boot-seed1-1");
        RunFolder f = RunFolder.prepare(target, false, false);
        assertEquals(tmp.resolve("runs/.boot-seed1-1.partial-" + ProcessHandle.current().pid()), f.work());
        assertTrue(Files.isDirectory(f.work()));
        assertFalse(Files.exists(target), "nothing at the run folder while the run goes on");
        writeAll(f.work());
        assertEquals(target, f.commit());
        assertEquals(RunFolder.FILES.stream().sorted().toList(), CliTest.entries(target));
        assertEquals(List.of("boot-seed1-1"), CliTest.entries(tmp.resolve("runs")));
    }

    @Test
    void aDefaultNameTakenMeanwhileGetsTheNextNumber() throws Exception {
        Path target = tmp.resolve("runs/boot-seed1-1");
        RunFolder f = RunFolder.prepare(target, false, true);
        writeAll(f.work());
        Files.createDirectories(target);
        Files.writeString(target.resolve("summary.json"), "another run's");
        assertEquals(tmp.resolve("runs/boot-seed1-2"), f.commit());
        assertEquals("another run's", Files.readString(target.resolve("summary.json")));
    }

    @Test
    void forceMovesFilesInOneByOneAndKeepsTheRest() throws Exception {
        Path target = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(target.resolve("notes.txt"), "keep");
        Files.writeString(target.resolve("summary.json"), "old");
        assertThrows(RunFolder.Refused.class, () -> RunFolder.prepare(target, false, false));
        RunFolder f = RunFolder.prepare(target, true, false);
        assertFalse(Files.exists(target.resolve("summary.json")), "--force clears the old summary first: a killed run cannot look complete");
        writeAll(f.work());
        assertEquals(target, f.commit());
        assertEquals("keep", Files.readString(target.resolve("notes.txt")));
        assertEquals("summary.json", Files.readString(target.resolve("summary.json")));
        assertFalse(Files.exists(f.work()));
    }

    @Test
    void aStaleTemporaryFolderWithOurPidIsReplaced() throws Exception {
        Path target = tmp.resolve("x");
        Path stale = Files.createDirectories(tmp.resolve(".x.partial-" + ProcessHandle.current().pid()));
        Files.writeString(stale.resolve("trace.bin"), "old");
        RunFolder f = RunFolder.prepare(target, false, false);
        assertEquals(stale, f.work());
        assertEquals(List.of(), CliTest.entries(f.work()));
    }
}
