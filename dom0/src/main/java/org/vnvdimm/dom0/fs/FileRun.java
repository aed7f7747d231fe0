package org.vnvdimm.dom0.fs;

/**
 * Pages [fileOffsetPages, +nrPages) of a file, at blocks [block, +nrPages) or a hole
 * ({@link Invalidation#NO_BLOCK}).
 */
public record FileRun(long fileOffsetPages, long nrPages, long block) {
    public boolean hole() { return block == Invalidation.NO_BLOCK; }
}
