package org.vnvdimm.guest.acpi;

import java.util.Arrays;

/**
 * Hand-built QEMU answers, laid out as docs/specs/acpi_nvdimm.rst documents them: the record is
 * written over the start of the page (RLEN dword counting itself, then the data), the rest of the
 * page keeps what the guest wrote.
 */
final class QemuPages {

    private QemuPages() {
    }

    static byte[] dwords(long... v) {
        byte[] b = new byte[4 * v.length];
        for (int i = 0; i < v.length; i++) {
            DsmPage.putLe32(b, 4 * i, v[i]);
        }
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** {RLEN = 4 + data.length, data} over {@code inputPage}. */
    static byte[] answer(byte[] inputPage, byte[] data) {
        byte[] page = inputPage.clone();
        DsmPage.putLe32(page, 0, 4L + data.length);
        System.arraycopy(data, 0, page, 4, data.length);
        return page;
    }

    /** A status-only answer {8, status}. */
    static byte[] status(byte[] inputPage, long status) {
        return answer(inputPage, dwords(status));
    }

    /**
     * QEMU's documented Read FIT behaviour over a FIT that can change: offset beyond the end is
     * status 3, offset 0 starts a fresh read, any other offset after a change is 0x100, data comes in
     * pieces of at most 4088 bytes.
     */
    static final class FitServer {
        byte[] fit;
        boolean dirty;
        int calls;

        FitServer(byte[] fit) {
            this.fit = fit.clone();
        }

        void plug(byte[] newFit) {
            fit = newFit.clone();
            dirty = true;
        }

        byte[] serve(byte[] inputPage) {
            calls++;
            long handle = DsmPage.le32(inputPage, 0);
            long function = DsmPage.le32(inputPage, 8);
            if (handle != 0x10000 || function != 1 || DsmPage.le32(inputPage, 4) != 1) {
                throw new AssertionError("not a Read FIT page: handle " + handle + " function " + function);
            }
            long offset = DsmPage.le32(inputPage, 12);
            if (offset > fit.length) {
                return status(inputPage, 3);
            }
            if (offset == 0) {
                dirty = false;
            } else if (dirty) {
                return status(inputPage, 0x100);
            }
            int n = (int) Math.min(fit.length - offset, 4088);
            return answer(inputPage, concat(dwords(0), Arrays.copyOfRange(fit, (int) offset, (int) offset + n)));
        }
    }

    /** {@code n} fake 56-byte NFIT structures, content derived from the position. */
    static byte[] fakeFit(int n, int salt) {
        byte[] out = new byte[56 * n];
        for (int i = 0; i < n; i++) {
            int at = 56 * i;
            out[at + 2] = 56;
            out[at + 4] = (byte) (2 * i + 2);
            for (int j = 6; j < 56; j++) {
                out[at + j] = (byte) (i * 31 + j + salt);
            }
        }
        return out;
    }
}
