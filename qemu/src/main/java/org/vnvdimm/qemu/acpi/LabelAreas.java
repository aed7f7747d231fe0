package org.vnvdimm.qemu.acpi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** Ready-made {@link LabelArea}s: none, a byte array, and the tail of a backing file. */
public final class LabelAreas {

    private LabelAreas() {
    }

    /** A device without a label area (QEMU's default {@code label-size=0}). */
    public static LabelArea none() {
        return new ArrayLabelArea(new byte[0], false);
    }

    /**
     * A label area stored in {@code storage} itself (not copied), so a second emulator built over the
     * same array sees what the first one wrote, as a restarted QEMU sees its backend file.
     */
    public static LabelArea over(byte[] storage, boolean readOnly) {
        if (storage == null) {
            throw new IllegalArgumentException("label storage must not be null");
        }
        return new ArrayLabelArea(storage, readOnly);
    }

    /**
     * The last {@code labelSizeBytes} bytes of {@code backingFile}, read and written in place. The
     * file must already be at least that long.
     */
    public static LabelArea fileTail(Path backingFile, long labelSizeBytes, boolean readOnly) {
        long fileSizeBytes;
        try {
            fileSizeBytes = java.nio.file.Files.size(backingFile);
        } catch (IOException e) {
            throw new UncheckedIOException("label area: cannot stat backing file " + backingFile, e);
        }
        if (labelSizeBytes < 0 || labelSizeBytes > fileSizeBytes) {
            throw new IllegalArgumentException("label area of " + labelSizeBytes + " bytes does not fit backing file "
                    + backingFile + " of " + fileSizeBytes + " bytes");
        }
        return new FileTailLabelArea(backingFile, fileSizeBytes - labelSizeBytes, labelSizeBytes, readOnly);
    }

    private static void checkRange(LabelArea area, long offsetBytes, long lengthBytes) {
        if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > area.labelSizeBytes()) {
            throw new IndexOutOfBoundsException("label access [" + offsetBytes + ", " + (offsetBytes + lengthBytes)
                    + ") outside label area of " + area.labelSizeBytes() + " bytes");
        }
    }

    private static final class ArrayLabelArea implements LabelArea {
        private final byte[] storage;
        private final boolean readOnly;

        ArrayLabelArea(byte[] storage, boolean readOnly) {
            this.storage = storage;
            this.readOnly = readOnly;
        }

        @Override
        public long labelSizeBytes() {
            return storage.length;
        }

        @Override
        public byte[] read(long offsetBytes, int lengthBytes) {
            checkRange(this, offsetBytes, lengthBytes);
            return Arrays.copyOfRange(storage, (int) offsetBytes, (int) offsetBytes + lengthBytes);
        }

        @Override
        public void write(long offsetBytes, byte[] data) {
            if (readOnly) {
                throw new IllegalStateException("label area is read-only");
            }
            checkRange(this, offsetBytes, data.length);
            System.arraycopy(data, 0, storage, (int) offsetBytes, data.length);
        }

        @Override
        public boolean readOnly() {
            return readOnly;
        }
    }

    private static final class FileTailLabelArea implements LabelArea {
        private final Path file;
        private final long startBytes;
        private final long sizeBytes;
        private final boolean readOnly;

        FileTailLabelArea(Path file, long startBytes, long sizeBytes, boolean readOnly) {
            this.file = file;
            this.startBytes = startBytes;
            this.sizeBytes = sizeBytes;
            this.readOnly = readOnly;
        }

        @Override
        public long labelSizeBytes() {
            return sizeBytes;
        }

        @Override
        public byte[] read(long offsetBytes, int lengthBytes) {
            checkRange(this, offsetBytes, lengthBytes);
            ByteBuffer buf = ByteBuffer.allocate(lengthBytes);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                while (buf.hasRemaining()) {
                    if (ch.read(buf, startBytes + offsetBytes + buf.position()) < 0) {
                        throw new IOException("unexpected end of file");
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("label area: read of " + lengthBytes + " bytes at label offset "
                        + offsetBytes + " in " + file + " failed", e);
            }
            return buf.array();
        }

        @Override
        public void write(long offsetBytes, byte[] data) {
            if (readOnly) {
                throw new IllegalStateException("label area in " + file + " is read-only");
            }
            checkRange(this, offsetBytes, data.length);
            ByteBuffer buf = ByteBuffer.wrap(data);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                while (buf.hasRemaining()) {
                    ch.write(buf, startBytes + offsetBytes + buf.position());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("label area: write of " + data.length + " bytes at label offset "
                        + offsetBytes + " in " + file + " failed", e);
            }
        }

        @Override
        public boolean readOnly() {
            return readOnly;
        }
    }
}
