package org.vnvdimm.dom0.fs;

/**
 * One piece of a file whose blocks moved or were freed: pages [fileOffsetPages, +nrPages) of
 * {@code path} were at blocks [oldBlock, +nrPages) and are now at [newBlock, +nrPages), or nowhere
 * ({@link #NO_BLOCK}) when freed. MFNs are the device's SPA base / 4 KiB + block. Whoever mapped the
 * old blocks (QEMU's VMA, a guest p2m through Xen) must unmap them before they are reused.
 *
 * @param seq the change this record belongs to; {@link DaxFilesystem#acknowledge(long)} takes it
 */
public record Invalidation(long seq, Cause cause, String path, long fileOffsetPages, long nrPages, long oldBlock,
                           long newBlock, long oldMfn, long newMfn) {
    public static final long NO_BLOCK = -1;

    public enum Cause {
        /** ftruncate shrinking the file. */
        TRUNCATE,
        /** fallocate(PUNCH_HOLE). */
        PUNCH_HOLE,
        /** Last link removed. */
        UNLINK,
        /** A write to a shared (reflinked) extent got new blocks. */
        COW,
        /** Online defragmentation moved the blocks (XFS_IOC_SWAPEXT). */
        DEFRAG
    }

    /** True when the file no longer has blocks for these pages. */
    public boolean freed() { return newBlock == NO_BLOCK; }
}
