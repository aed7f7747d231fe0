package org.vnvdimm.sim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.JournalSettings;
import org.vnvdimm.sim.journal.RecordedRun;

/** Opening the journal and finding a run in it (or in a run folder), with the error printed in one line. */
final class JournalAccess {
    private JournalAccess() {}

    /** The journal, or null with the reason printed. */
    static Journal open(String url, String command) {
        try {
            return Journal.open(JournalSettings.resolve(url));
        } catch (JournalSettings.Unusable e) {
            System.err.println("vnvdimm " + command + ": " + e.getMessage());
            return null;
        }
    }

    /** A run folder (a directory holding trace.bin) or a run id in the journal, opened lazily; null with the reason printed. */
    static RecordedRun find(String run, String url, Journal[] opened, String command) {
        Path p = Path.of(run);
        if (Files.isDirectory(p)) {
            try {
                return RecordedRun.fromFolder(p);
            } catch (IOException e) {
                System.err.println("vnvdimm " + command + ": " + e.getMessage());
                return null;
            }
        }
        if (opened[0] == null) opened[0] = open(url, command);
        if (opened[0] == null) return null;
        RecordedRun r = opened[0].read(run);
        if (r == null) {
            System.err.println("vnvdimm " + command + ": " + run + ": no such run in the journal " + opened[0].settings().shown()
                    + " (`vnvdimm runs` lists them) and no such run folder");
        }
        return r;
    }
}
