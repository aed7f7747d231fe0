package org.vnvdimm.qemu.acpi;

/** A mutable {@link DsmFitSource}: {@link #plug(byte[])} replaces the FIT and marks it dirty. */
public final class DsmFitBuffer implements DsmFitSource {

    private byte[] fit;
    private boolean dirty;

    /** A FIT built at machine start (cold-plugged devices): not dirty. */
    public DsmFitBuffer(byte[] initialFit) {
        this.fit = requireFit(initialFit).clone();
    }

    /** An NVDIMM was plugged: the whole FIT was rebuilt and any Read FIT in progress must restart. */
    public void plug(byte[] rebuiltFit) {
        this.fit = requireFit(rebuiltFit).clone();
        this.dirty = true;
    }

    @Override
    public byte[] currentFit() {
        return fit;
    }

    @Override
    public boolean isDirty() {
        return dirty;
    }

    @Override
    public void clearDirty() {
        dirty = false;
    }

    private static byte[] requireFit(byte[] fit) {
        if (fit == null) {
            throw new IllegalArgumentException("FIT bytes must not be null (use an empty array for no NVDIMM)");
        }
        return fit;
    }
}
