package org.vnvdimm.sim.view;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Finds the run a user named on the command line. Today a run folder; a journal's run ids resolve here too. */
public final class RecordedRuns {
    private RecordedRuns() {}

    /** @throws RunFolderRun.NotARun with one line saying why nothing readable is there */
    public static RecordedRun open(String run) throws RunFolderRun.NotARun {
        Path dir;
        try {
            dir = Path.of(run);
        } catch (InvalidPathException e) {
            throw new RunFolderRun.NotARun(run + ": not a run folder name (" + e.getReason() + ")");
        }
        return RunFolderRun.open(dir);
    }
}
