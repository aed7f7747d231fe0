package org.vnvdimm.dom0.fs;

import java.util.List;

import org.vnvdimm.contract.Errno;

/**
 * What a filesystem or allocator call returns: a value or an errno with a message naming the argument
 * at fault. Calls that move or free blocks of a file also carry the {@link Invalidation} records of
 * that change and its sequence number (0 when nothing was invalidated); see {@link DaxFilesystem}.
 */
public final class FsResult<T> {
    private final Errno errno;
    private final String message;
    private final T value;
    private final long invalidationSeq;
    private final List<Invalidation> invalidations;

    private FsResult(Errno errno, String message, T value, long invalidationSeq, List<Invalidation> invalidations) {
        this.errno = errno;
        this.message = message;
        this.value = value;
        this.invalidationSeq = invalidationSeq;
        this.invalidations = List.copyOf(invalidations);
    }

    public static <T> FsResult<T> ok(T value) { return new FsResult<>(null, "ok", value, 0, List.of()); }

    public static <T> FsResult<T> ok(T value, long invalidationSeq, List<Invalidation> invalidations) {
        return new FsResult<>(null, "ok", value, invalidationSeq, invalidations);
    }

    public static <T> FsResult<T> error(Errno errno, String message) {
        if (errno == null) throw new IllegalArgumentException("error needs an errno");
        return new FsResult<>(errno, message, null, 0, List.of());
    }

    public boolean isOk() { return errno == null; }

    /** Null when ok. */
    public Errno errno() { return errno; }

    public String message() { return message; }

    /** The value; throws IllegalStateException (with the errno and message) on an error result. */
    public T value() {
        if (errno != null) throw new IllegalStateException(errno + ": " + message);
        return value;
    }

    /** Same as {@link #value()}, reads better in tests and setup code. */
    public T orThrow() { return value(); }

    /** The sequence number to pass to {@link DaxFilesystem#acknowledge(long)}; 0 when none. */
    public long invalidationSeq() { return invalidationSeq; }

    public List<Invalidation> invalidations() { return invalidations; }

    /** Re-types an error result. */
    @SuppressWarnings("unchecked")
    <U> FsResult<U> castError() {
        if (errno == null) throw new IllegalStateException("not an error");
        return (FsResult<U>) this;
    }

    @Override
    public String toString() {
        return errno == null ? "ok(" + value + (invalidations.isEmpty() ? "" : ", " + invalidations.size() + " invalidations") + ")"
                : errno + "(" + message + ")";
    }
}
