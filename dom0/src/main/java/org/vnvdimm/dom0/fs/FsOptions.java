package org.vnvdimm.dom0.fs;

/**
 * mkfs + mount options of a {@link DaxFilesystem}.
 *
 * @param dax               mounted with -o dax
 * @param allowDaxReflink   lets reflink run on a DAX mount (XFS refused the combination at the time,
 *                          so the default is false and reflink returns EINVAL on DAX)
 * @param deferFreeUntilAck freed blocks wait in quarantine until {@link DaxFilesystem#acknowledge(long)}
 *                          (models xfs_break_dax_layouts waiting for the pages to go idle); when
 *                          false they go back to the allocator right after the change
 * @param maxFiles          inode limit (ENOSPC beyond it)
 * @param maxExtentsPerFile extent-count limit per file (EOVERFLOW beyond it)
 * @param metadataBlocks    blocks at the start of the device held by the filesystem itself
 */
public record FsOptions(FsType type, String mountPoint, boolean dax, boolean allowDaxReflink, boolean deferFreeUntilAck,
                        int maxFiles, int maxExtentsPerFile, long metadataBlocks) {
    public static final int DEFAULT_MAX_FILES = 1 << 20;
    public static final int DEFAULT_MAX_EXTENTS_PER_FILE = 1 << 20;
    /** 1 MiB for superblocks, log and inode tables: keeps file data off device offset 0. */
    public static final long DEFAULT_METADATA_BLOCKS = 256;

    public FsOptions {
        if (type == null) throw new IllegalArgumentException("type: missing (xfs|ext4)");
        if (mountPoint == null || !mountPoint.startsWith("/") || (mountPoint.length() > 1 && mountPoint.endsWith("/"))) {
            throw new IllegalArgumentException("mountPoint: '" + mountPoint + "' must be an absolute path without a trailing '/'");
        }
        if (maxFiles <= 0) throw new IllegalArgumentException("maxFiles: must be > 0, got " + maxFiles);
        if (maxExtentsPerFile <= 0) throw new IllegalArgumentException("maxExtentsPerFile: must be > 0, got " + maxExtentsPerFile);
        if (metadataBlocks < 0) throw new IllegalArgumentException("metadataBlocks: must be >= 0, got " + metadataBlocks);
    }

    /** DAX mount, reflink refused on DAX, deferred frees, default limits. */
    public static FsOptions of(FsType type, String mountPoint) {
        return new FsOptions(type, mountPoint, true, false, true, DEFAULT_MAX_FILES, DEFAULT_MAX_EXTENTS_PER_FILE,
                DEFAULT_METADATA_BLOCKS);
    }

    public FsOptions withDax(boolean v) {
        return new FsOptions(type, mountPoint, v, allowDaxReflink, deferFreeUntilAck, maxFiles, maxExtentsPerFile, metadataBlocks);
    }

    public FsOptions withAllowDaxReflink(boolean v) {
        return new FsOptions(type, mountPoint, dax, v, deferFreeUntilAck, maxFiles, maxExtentsPerFile, metadataBlocks);
    }

    public FsOptions withDeferFreeUntilAck(boolean v) {
        return new FsOptions(type, mountPoint, dax, allowDaxReflink, v, maxFiles, maxExtentsPerFile, metadataBlocks);
    }

    public FsOptions withMaxFiles(int v) {
        return new FsOptions(type, mountPoint, dax, allowDaxReflink, deferFreeUntilAck, v, maxExtentsPerFile, metadataBlocks);
    }

    public FsOptions withMaxExtentsPerFile(int v) {
        return new FsOptions(type, mountPoint, dax, allowDaxReflink, deferFreeUntilAck, maxFiles, v, metadataBlocks);
    }

    public FsOptions withMetadataBlocks(long v) {
        return new FsOptions(type, mountPoint, dax, allowDaxReflink, deferFreeUntilAck, maxFiles, maxExtentsPerFile, v);
    }
}
