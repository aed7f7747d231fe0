package org.vnvdimm.sim.wire;

import java.util.List;
import org.vnvdimm.proto.Envelope;

/**
 * The fault hook of the wire: consulted for each message the scheduler picks and whenever the
 * system is quiet. {@link #NONE} injects nothing (and costs nothing).
 */
public interface Faults {
    enum Kind { DELIVER, DROP, DELAY, REORDER, DUPLICATE, FAIL_CALL, CRASH_RECEIVER, CRASH_SENDER }

    /**
     * What to do with a picked message. note is the trace line ("fault: ..."); ns the delay; rc
     * Xen's answer for FAIL_CALL; role/restart the component that dies.
     */
    record Action(Kind kind, String note, long ns, long rc, String role, boolean restart) {
        public static final Action DELIVER = new Action(Kind.DELIVER, "", 0, 0, "", false);
    }

    /** A component killed between deliveries (crash after_step), or the power cut ({@link #POWER}). */
    record Kill(String role, boolean restart, String note) {}

    /** The "role" of a power cycle: every component dies and the platform boots again from its DIMMs. */
    String POWER = "power";

    /** Right before delivery number nextSeq (nothing in flight): a power cycle to apply now, or null. */
    default Kill beforeDelivery(long nextSeq) { return null; }

    Action onPick(Envelope.Builder picked);

    /** Nothing is in flight and lastStep (1-based, 0 = none) has been injected: components to kill now. */
    List<Kill> atQuiescence(int lastStep);

    /** A fault took effect at delivery seq (for the summary). */
    void applied(long seq, String note);

    Faults NONE = new Faults() {
        @Override public Action onPick(Envelope.Builder picked) { return Action.DELIVER; }
        @Override public List<Kill> atQuiescence(int lastStep) { return List.of(); }
        @Override public void applied(long seq, String note) {}
    };
}
