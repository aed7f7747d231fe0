package org.vnvdimm.dom0.fs;

/** A run of device blocks [startBlock, startBlock + nrBlocks), 4 KiB each. */
public record BlockRun(long startBlock, long nrBlocks) {
    public BlockRun {
        if (startBlock < 0 || nrBlocks <= 0 || startBlock > Long.MAX_VALUE - nrBlocks) {
            throw new IllegalArgumentException("bad block run start=" + startBlock + " nrBlocks=" + nrBlocks);
        }
    }

    public long endBlock() { return startBlock + nrBlocks; }
}
