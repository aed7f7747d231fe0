package org.vnvdimm.sim.view;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.JournalSettings;

/**
 * Finds the run a user named on the command line: a run folder, or a run id in the journal
 * (`run-<scenario>-<seed>-<n>`, as `vnvdimm runs` lists them) when no file of that name exists.
 */
public final class RecordedRuns {
    private RecordedRuns() {}

    /** A run folder only. @throws RunFolderRun.NotARun with one line saying why nothing readable is there */
    public static RecordedRun open(String run) throws RunFolderRun.NotARun {
        return open(run, null, false);
    }

    /**
     * A run folder, or a journal run id (journalUrl: null for the default journal). A run from the
     * journal holds it open: close it ({@link JournalRun#close}) when done.
     */
    public static RecordedRun open(String run, String journalUrl) throws RunFolderRun.NotARun {
        return open(run, journalUrl, true);
    }

    private static RecordedRun open(String run, String journalUrl, boolean journalToo) throws RunFolderRun.NotARun {
        Path dir;
        try {
            dir = Path.of(run);
        } catch (InvalidPathException e) {
            throw new RunFolderRun.NotARun(run + ": not a run folder name (" + e.getReason() + ")");
        }
        // A name that is not a file and reads as a run id is looked up in the journal.
        if (!journalToo || Files.exists(dir) || !run.startsWith("run-") || run.contains("/")) return RunFolderRun.open(dir);
        Journal j;
        try {
            j = Journal.open(JournalSettings.resolve(journalUrl));
        } catch (JournalSettings.Unusable e) {
            throw new RunFolderRun.NotARun(e.getMessage());
        }
        org.vnvdimm.sim.journal.RecordedRun r = j.read(run);
        if (r == null) {
            String shown = j.settings().shown();
            j.close();
            throw new RunFolderRun.NotARun(run + ": no such run in the journal " + shown + " (`vnvdimm runs` lists them) and no such run folder");
        }
        return new JournalRun(r, j);
    }
}
