package org.vnvdimm.sim.record;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.vnvdimm.sim.scenario.FileErrors;

/**
 * A run folder that never looks complete before the run has ended. The run writes into a
 * temporary folder beside the target, {@code .NAME.partial-PID}, with summary.json last; when the
 * run has ended the temporary folder is renamed into place (one rename(2)), or, when the target is
 * a non-empty folder given with --force, the trace files are moved in one by one, summary.json last.
 * A run killed before that leaves only the temporary folder (and, with --force, a target whose old
 * trace files were already cleared).
 */
public final class RunFolder {
    /** Every file a run writes, in the order they are moved into place: summary.json last. */
    public static final List<String> FILES = List.of("trace.bin", "trace.jsonl", "trace.txt", "trace.mmd", "summary.json");

    /** A folder that cannot be used, in one line: {@code runs/x: is not empty (...)}. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }

    private final Path target;
    private final Path work;
    private final boolean renumber;

    private RunFolder(Path target, Path work, boolean renumber) {
        this.target = target;
        this.work = work;
        this.renumber = renumber;
    }

    /**
     * Checks the target and makes the temporary folder. {@code force} lets a non-empty target be
     * used: only the files in {@link #FILES} are removed from it, now, so that an old summary.json
     * cannot make this run look complete. {@code renumber}: the target is a default name
     * ({@code runs/NAME-seedS-K}); if another run takes it first, the next K is used.
     */
    public static RunFolder prepare(Path target, boolean force, boolean renumber) throws Refused {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            throw new Refused(target + ": is the root folder; give a folder below it");
        }
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new Refused(target + ": is not a directory (it is a " + FileErrors.kindOf(abs) + ")");
            }
            List<String> entries = entries(target, abs);
            if (!entries.isEmpty()) {
                if (!force) {
                    throw new Refused(target + ": is not empty (" + entries.size() + " entr" + (entries.size() == 1 ? "y" : "ies")
                            + ", e.g. " + entries.get(0) + "); give --force to replace the trace files in it, or another --out");
                }
                for (String f : FILES) {
                    Path p = abs.resolve(f);
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        throw new Refused(target + ": --force removes only the simulator's files, but " + p + " is a directory");
                    }
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        throw new Refused(target + ": cannot remove the old " + f + ": " + FileErrors.describe(e));
                    }
                }
            }
        }
        for (Path up = parent; up != null; up = up.getParent()) {
            // createDirectories says "File exists" for a file in the way; mkdir(2) says what it means.
            if (Files.exists(up)) {
                if (!Files.isDirectory(up)) {
                    throw new Refused(target + ": cannot create the folder it goes in: " + up + ": Not a directory");
                }
                break;
            }
        }
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new Refused(target + ": cannot create the folder it goes in: " + FileErrors.describe(e));
        }
        Path work = parent.resolve("." + abs.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            removeStale(work);
            Files.createDirectory(work);
        } catch (IOException e) {
            throw new Refused(target + ": cannot create the temporary run folder: " + FileErrors.describe(e));
        }
        return new RunFolder(abs, work, renumber);
    }

    private static List<String> entries(Path shown, Path abs) throws Refused {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(abs)) {
            s.map(p -> p.getFileName().toString()).sorted().forEach(names::add);
        } catch (IOException e) {
            throw new Refused(shown + ": cannot list the folder: " + FileErrors.reason(e));
        }
        return names;
    }

    /** A temporary folder left by a killed process that had our pid: only the simulator's files go. */
    private static void removeStale(Path work) throws IOException {
        if (!Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)) return;
        for (String f : FILES) Files.deleteIfExists(work.resolve(f));
        Files.delete(work);
    }

    /** Where the run writes while it runs. */
    public Path work() {
        return work;
    }

    /** The folder the run ends up in (absolute). */
    public Path target() {
        return target;
    }

    /**
     * Puts the finished run in place and returns where it is. Call only once everything, summary.json
     * last, is written into {@link #work()}.
     */
    public Path commit() throws IOException {
        Path dest = target;
        for (int attempt = 0; ; attempt++) {
            if (!Files.exists(dest, LinkOption.NOFOLLOW_LINKS) || isEmptyDir(dest)) {
                try {
                    // rename(2): atomic, and replaces an empty folder.
                    Files.move(work, dest, StandardCopyOption.ATOMIC_MOVE);
                    return dest;
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                    if (renumber && attempt < 1000) {
                        dest = next(dest);
                        continue;
                    }
                } catch (AtomicMoveNotSupportedException e) {
                    // fall through to file by file
                }
            } else if (renumber && attempt < 1000) {
                dest = next(dest);
                continue;
            }
            // A folder given with --force that holds other files: the run's files go in one by one, summary.json last.
            Files.createDirectories(dest);
            for (String f : FILES) {
                Path from = work.resolve(f);
                if (Files.exists(from)) {
                    Files.move(from, dest.resolve(f), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.delete(work);
            return dest;
        }
    }

    private static boolean isEmptyDir(Path p) throws IOException {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }

    /** runs/NAME-seedS-K to runs/NAME-seedS-(K+1). */
    private static Path next(Path p) {
        String name = p.getFileName().toString();
        int dash = name.lastIndexOf('-');
        long k = 1;
        try {
            k = Long.parseLong(name.substring(dash + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            dash = name.length();
        }
        return p.resolveSibling(name.substring(0, dash) + "-" + (k + 1));
    }
}
