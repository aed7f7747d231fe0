package org.vnvdimm.sim.scenario;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * File-system failures in the words the C library uses ({@code Permission denied}, {@code Not a
 * directory}, {@code Read-only file system} ...), for one-line error messages, and what kind of
 * file a path is when it is not the regular file or folder wanted.
 */
public final class FileErrors {
    private FileErrors() {
    }

    /** Why an I/O operation failed, as strerror(3) says it (Java's exception types first, then the OS's reason). */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "Not a directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "File exists";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "Directory not empty";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null && !fs.getReason().isBlank()) {
            return YamlSyntax.oneLine(fs.getReason());
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : YamlSyntax.oneLine(m);
    }

    /**
     * The failure with the file it happened on, when that is known: {@code /proc/x: No such file or
     * directory}; just the reason otherwise.
     */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException fs && fs.getFile() != null) {
            return fs.getFile() + ": " + reason(e) + (fs.getOtherFile() != null ? " (" + fs.getOtherFile() + ")" : "");
        }
        return reason(e);
    }

    /** "directory", "character device", "block device", "FIFO", "socket", "regular file", or "special file". */
    public static String kindOf(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            if (mode instanceof Integer m) {
                switch (m & 0170000) {
                    case 0040000: return "directory";
                    case 0020000: return "character device";
                    case 0060000: return "block device";
                    case 0010000: return "FIFO";
                    case 0140000: return "socket";
                    case 0100000: return "regular file";
                    default: return "special file";
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // no unix view: fall through to what the portable API can tell
        }
        if (Files.isDirectory(p)) {
            return "directory";
        }
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? "regular file" : "special file";
    }
}
