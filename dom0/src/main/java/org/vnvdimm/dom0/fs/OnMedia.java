package org.vnvdimm.dom0.fs;

import java.util.TreeMap;

/**
 * The filesystems' metadata as it stands on the DIMMs, by the SPA of each filesystem's superblock.
 * The model keeps a filesystem's block map (files, extents, unwritten ranges) as this object rather
 * than as bytes on the media; like the media, it outlives Dom0's RAM and a power cycle. Metadata
 * changes are durable when the command that made them returns [inferred: XFS and ext4 on a pmem
 * block device commit their journal with REQ_PREFLUSH/REQ_FUA, which the pmem driver turns into
 * nvdimm_flush; the model commits every command synchronously].
 */
public final class OnMedia {
    private final TreeMap<Long, DaxFilesystem> bySuperblock = new TreeMap<>();

    /** mkfs wrote a superblock at spa: this filesystem is on the media from now on. */
    public void commit(long superblockSpa, DaxFilesystem fs) { bySuperblock.put(superblockSpa, fs); }

    /** The filesystem whose superblock is at spa, or null. */
    public DaxFilesystem at(long superblockSpa) { return bySuperblock.get(superblockSpa); }
}
