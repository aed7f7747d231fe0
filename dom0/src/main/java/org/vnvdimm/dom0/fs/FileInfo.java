package org.vnvdimm.dom0.fs;

/** stat-like view of a file: size, blocks it maps (shared ones included) and its extent count. */
public record FileInfo(String path, long sizeBytes, long mappedBlocks, int extentCount) {}
