package org.vnvdimm.dom0.fs;

import java.util.List;

/**
 * Optional synchronous hook on a {@link DaxFilesystem}, called in this order for one change:
 * {@link #invalidated} (before the file's map changes and before any block is freed), then
 * {@link #allocated} for blocks newly given to the file, and {@link #released} when freed blocks go
 * back to the allocator (at once, or at {@link DaxFilesystem#acknowledge(long)} when frees are
 * deferred). The same records are also returned in {@link FsResult}, so a caller may ignore this hook.
 */
public interface LayoutListener {
    default void invalidated(long seq, List<Invalidation> batch) {}

    default void allocated(String path, long fileOffsetPages, long nrPages, long block) {}

    default void released(long seq, List<BlockRun> blocks) {}
}
