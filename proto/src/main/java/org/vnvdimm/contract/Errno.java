package org.vnvdimm.contract;

/** Xen's errno values (public/errno.h; equal to Linux's for these). Hypercalls return them negated. */
public enum Errno {
    EPERM(1), ENOENT(2), ESRCH(3), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), ENOEXEC(8), EBADF(9),
    EAGAIN(11), ENOMEM(12), EACCES(13), EFAULT(14), EBUSY(16), EEXIST(17), EXDEV(18), ENODEV(19),
    EINVAL(22), ENFILE(23), ETXTBSY(26), ENOSPC(28), EROFS(30), ERANGE(34), EDEADLK(35), ENOSYS(38), ENODATA(61),
    EOVERFLOW(75), EOPNOTSUPP(95), ETIMEDOUT(110), ERESTART(85);

    public final int value;

    Errno(int value) { this.value = value; }

    /** The value a hypercall returns: -errno. */
    public int neg() { return -value; }

    public static String name(long rc) {
        if (rc >= 0) return Long.toString(rc);
        for (Errno e : values()) if (e.value == -rc) return "-" + e.name();
        return Long.toString(rc);
    }

    public static Errno of(long rcOrErrno) {
        long v = Math.abs(rcOrErrno);
        for (Errno e : values()) if (e.value == v) return e;
        throw new IllegalArgumentException("unknown errno " + rcOrErrno);
    }
}
