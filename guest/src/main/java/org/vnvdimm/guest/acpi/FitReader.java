package org.vnvdimm.guest.acpi;

import java.io.ByteArrayOutputStream;

/**
 * The SSDT's _FIT method (with its helper RFIT) as a resumable state machine, because every Read FIT
 * call is an asynchronous round trip to QEMU in the simulation.
 *
 * <p>Use: send {@link #nextRequest()} (Read FIT at {@link #nextOffset()}) through NCAL, then pass
 * NCAL's result to {@link #accept(byte[])}; repeat while it answers {@link Step.Continue} or
 * {@link Step.Restarted}.
 *
 * <p>Mirrors the AML: status 0x100 restarts from offset 0 with an empty buffer; status 0 with no
 * data ends the read; any other status also ends it, and the AML then returns what it had collected
 * as if the FIT were complete, which this class reports as {@link Step.Failed} with that partial
 * buffer so the caller can choose between fidelity and strictness.
 */
public final class FitReader {

    /** QEMU's Read FIT function on handle 0x10000. */
    public static final long FUNC_READ_FIT = 1;
    public static final long STATUS_SUCCESS = 0;
    public static final long STATUS_FIT_CHANGED = 0x100;

    /** The outcome of one Read FIT round trip. */
    public sealed interface Step {
        /** Data appended; read again at {@link FitReader#nextOffset()}. */
        record Continue() implements Step {
        }

        /** The FIT changed under the reader: buffer emptied, read again from offset 0. */
        record Restarted() implements Step {
        }

        /** The complete FIT. */
        record Done(byte[] fit) implements Step {
            public Done {
                fit = fit.clone();
            }

            @Override
            public byte[] fit() {
                return fit.clone();
            }
        }

        /** QEMU answered {@code status}; the AML would return {@code partialFit} as the _FIT result. */
        record Failed(long status, byte[] partialFit) implements Step {
            public Failed {
                partialFit = partialFit.clone();
            }

            @Override
            public byte[] partialFit() {
                return partialFit.clone();
            }
        }
    }

    private final ByteArrayOutputStream fit = new ByteArrayOutputStream();
    private long offset;
    private int restarts;
    private int calls;
    private boolean finished;

    /** The offset the next Read FIT asks for (RFIT's Arg0). */
    public int nextOffset() {
        return (int) offset;
    }

    /** The next NCAL request: QEMU UUID, revision 1, function 1, Package{offset}, handle 0x10000. */
    public DsmRequest nextRequest() {
        requireRunning();
        return new DsmRequest(DsmPage.uuidBytes(DsmPage.QEMU_UUID), 1, FUNC_READ_FIT,
                DsmPage.integerArg(offset), DsmPage.QEMU_ROOT_HANDLE);
    }

    /**
     * Takes NCAL's result for the last request.
     *
     * @throws AmlFaultException if the result is shorter than the status dword (RFIT's
     *                           CreateDWordField would fault, e.g. when MEMA was never patched)
     */
    public Step accept(byte[] ncalResult) {
        requireRunning();
        calls++;
        if (ncalResult.length < 4) {
            finished = true;
            throw new AmlFaultException("RFIT: CreateDWordField STAU needs 4 bytes, NCAL returned "
                    + ncalResult.length + " (call " + calls + ", offset " + offset + ")");
        }
        long status = DsmPage.le32(ncalResult, 0);
        int dataBytes = ncalResult.length - 4;
        if (status == STATUS_FIT_CHANGED) {
            fit.reset();
            offset = 0;
            restarts++;
            return new Step.Restarted();
        }
        if (status != STATUS_SUCCESS) {
            finished = true;
            return new Step.Failed(status, fit.toByteArray());
        }
        if (dataBytes == 0) {
            finished = true;
            return new Step.Done(fit.toByteArray());
        }
        fit.write(ncalResult, 4, dataBytes);
        offset = (offset + dataBytes) & 0xFFFF_FFFFL;
        return new Step.Continue();
    }

    /** How often the FIT changed during this read. The AML has no limit; callers may impose one. */
    public int restarts() {
        return restarts;
    }

    /** Read FIT round trips accepted so far. */
    public int calls() {
        return calls;
    }

    /** True after Done, Failed or a fault. */
    public boolean finished() {
        return finished;
    }

    /** Bytes collected so far in the current pass. */
    public byte[] collected() {
        return fit.toByteArray();
    }

    private void requireRunning() {
        if (finished) {
            throw new IllegalStateException("FitReader already finished after " + calls + " calls; start a new one");
        }
    }
}
