package org.vnvdimm.sim.fault;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.CrashFault;
import org.vnvdimm.proto.DelayFault;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Fault;
import org.vnvdimm.proto.HypercallError;
import org.vnvdimm.proto.LinkFault;
import org.vnvdimm.sim.wire.Faults;

/**
 * A scenario's `faults:` applied on the wire. Triggers count messages as the scheduler picks them
 * (after earlier faults: a dropped message still counts, a delayed one counts once). Probabilities
 * draw from their own seeded stream, so adding a fault does not change the scheduler's choices up
 * to its first effect.
 */
public final class FaultPlan implements Faults {
    /** Where the probability stream's seed departs from the scheduler's. */
    static final long PROBABILITY_STREAM = 0x6a09e667f3bcc909L;

    private static final class Armed {
        final int index;
        final Fault fault;
        final String what;
        long seen;
        boolean fired;

        Armed(int index, Fault fault) {
            this.index = index;
            this.fault = fault;
            this.what = describe(fault);
        }
    }

    private final List<Armed> armed = new ArrayList<>();
    private final SplittableRandom rng;
    private final List<String> applied = new ArrayList<>();
    private final boolean needsNames;

    public FaultPlan(List<Fault> faults, long seed) {
        for (int i = 0; i < faults.size(); i++) armed.add(new Armed(i, faults.get(i)));
        this.rng = new SplittableRandom(seed ^ PROBABILITY_STREAM);
        boolean n = false;
        for (Fault f : faults) n |= !f.hasCrash() || !f.getCrash().getOnMessage().isEmpty();
        this.needsNames = n;
    }

    /** A fault in the words the trace and the summary use. */
    public static String describe(Fault f) {
        return switch (f.getKindCase()) {
            case HYPERCALL_ERROR -> {
                HypercallError h = f.getHypercallError();
                yield "hypercall_error " + h.getHypercall() + " nth " + Math.max(1, h.getNth()) + " -" + h.getErrno()
                        + (h.getCaller().isEmpty() ? "" : " from " + h.getCaller());
            }
            case CRASH -> {
                CrashFault c = f.getCrash();
                yield "crash " + c.getRole() + (c.getAfterStep() > 0 ? " after step " + c.getAfterStep()
                        : " on " + c.getOnMessage() + " nth " + Math.max(1, c.getNth())) + (c.getRestart() ? ", restart" : "");
            }
            case DROP -> "drop " + link(f.getDrop());
            case DUPLICATE -> "duplicate " + link(f.getDuplicate());
            case REORDER -> "reorder " + link(f.getReorder());
            case DELAY -> {
                DelayFault d = f.getDelay();
                yield "delay " + d.getNs() + " ns " + link(LinkFault.newBuilder().setFrom(d.getFrom()).setTo(d.getTo())
                        .setMessage(d.getMessage()).setNth(d.getNth()).setProbability(d.getProbability()).build());
            }
            case POWER_CYCLE -> "power_cycle " + (f.getPowerCycle().getAfterStep() > 0 ? "after step " + f.getPowerCycle().getAfterStep()
                    : "at #" + f.getPowerCycle().getAtSeq());
            case KIND_NOT_SET -> "(no fault)";
        };
    }

    private static String link(LinkFault l) {
        return l.getFrom() + "→" + l.getTo() + (l.getMessage().isEmpty() ? "" : " " + l.getMessage())
                + (l.getProbability() > 0 ? String.format(Locale.ROOT, " p=%s", l.getProbability()) : " nth " + Math.max(1, l.getNth()));
    }

    private static boolean roleMatches(String pattern, String role) {
        if (pattern.equals("*")) return true;
        if (pattern.endsWith("*")) return role.startsWith(pattern.substring(0, pattern.length() - 1));
        return pattern.equals(role);
    }

    @Override
    public Action onPick(Envelope.Builder m) {
        String name = null;
        for (Armed a : armed) {
            if (a.fired) continue;
            Fault f = a.fault;
            switch (f.getKindCase()) {
                case HYPERCALL_ERROR -> {
                    HypercallError h = f.getHypercallError();
                    if (!m.getTo().equals(org.vnvdimm.contract.Roles.XEN) || !MessageNames.isHypercall(m)) continue;
                    if (!h.getCaller().isEmpty() && !roleMatches(h.getCaller(), m.getFrom())) continue;
                    if (name == null) name = MessageNames.of(m);
                    if (!name.equals(h.getHypercall())) continue;
                    if (++a.seen < Math.max(1, h.getNth())) continue;
                    a.fired = true;
                    int rc = Errno.valueOf(h.getErrno()).neg();
                    return new Action(Kind.FAIL_CALL, "fault: " + a.what + ": Xen answers " + h.getHypercall() + " with -" + h.getErrno()
                            + " and changes nothing", 0, rc, "", false);
                }
                case CRASH -> {
                    CrashFault c = f.getCrash();
                    if (c.getOnMessage().isEmpty()) continue;
                    boolean receives = roleMatches(c.getRole(), m.getTo()), sends = roleMatches(c.getRole(), m.getFrom());
                    if (!receives && !sends) continue;
                    if (name == null) name = MessageNames.of(m);
                    if (!name.equals(c.getOnMessage())) continue;
                    if (++a.seen < Math.max(1, c.getNth())) continue;
                    a.fired = true;
                    String role = receives ? m.getTo() : m.getFrom();
                    String note = "fault: " + a.what + ": " + (receives ? "instead of handling this, " : "after this delivery, ")
                            + deathOf(role, c.getRestart());
                    return new Action(receives ? Kind.CRASH_RECEIVER : Kind.CRASH_SENDER, note, 0, 0, role, c.getRestart());
                }
                case DROP, DUPLICATE, REORDER, DELAY -> {
                    LinkFault l = switch (f.getKindCase()) {
                        case DROP -> f.getDrop();
                        case DUPLICATE -> f.getDuplicate();
                        case REORDER -> f.getReorder();
                        default -> { DelayFault d = f.getDelay(); yield LinkFault.newBuilder().setFrom(d.getFrom()).setTo(d.getTo())
                                .setMessage(d.getMessage()).setNth(d.getNth()).setProbability(d.getProbability()).build(); }
                    };
                    if (!roleMatches(l.getFrom(), m.getFrom()) || !roleMatches(l.getTo(), m.getTo())) continue;
                    if (!l.getMessage().isEmpty()) {
                        if (name == null) name = MessageNames.of(m);
                        if (!name.equals(l.getMessage())) continue;
                    }
                    if (l.getProbability() > 0) {
                        a.seen++;
                        if (rng.nextDouble() >= l.getProbability()) continue;
                        markSeenOnce(a);   // probabilistic faults stay armed
                    } else {
                        if (++a.seen < Math.max(1, l.getNth())) continue;
                        a.fired = true;
                    }
                    String note = "fault: " + a.what;
                    return switch (f.getKindCase()) {
                        case DROP -> new Action(Kind.DROP, note + ": dropped, never delivered", 0, 0, "", false);
                        case DUPLICATE -> new Action(Kind.DUPLICATE, note + ": delivered twice", 0, 0, "", false);
                        case REORDER -> new Action(Kind.REORDER, note + ": held back behind the messages after it on " + m.getFrom() + "→" + m.getTo(), 0, 0, "", false);
                        default -> new Action(Kind.DELAY, note + ": delivered " + f.getDelay().getNs() + " ns late", f.getDelay().getNs(), 0, "", false);
                    };
                }
                default -> { }
            }
        }
        return Action.DELIVER;
    }

    /** Probabilistic faults that took effect at least once are not "never triggered". */
    private final java.util.BitSet tookEffect = new java.util.BitSet();

    private void markSeenOnce(Armed a) { tookEffect.set(a.index); }

    /** What a death means, in Xen 4.10's terms (README "Fault injection"). */
    static String deathOf(String role, boolean restart) {
        if (role.equals(org.vnvdimm.contract.Roles.DOM0)) {
            return "Dom0 crashes; (XEN) Hardware Dom0 crashed: rebooting machine — the host is down";
        }
        if (role.equals(org.vnvdimm.contract.Roles.XENSTORED)) {
            return restart ? "xenstored dies and is started again: an empty store, every connection and watch lost [inferred: 4.10 had no live update]"
                    : "xenstored dies: every xenstore request from now on goes unanswered";
        }
        if (org.vnvdimm.contract.Roles.isQemu(role)) {
            return role + " (QEMU) dies: ioreqs for d" + org.vnvdimm.contract.Roles.servedDomain(role)
                    + " go unanswered, its vCPU stays blocked";
        }
        if (org.vnvdimm.contract.Roles.isGuest(role)) {
            return "d" + org.vnvdimm.contract.Roles.servedDomain(role) + "'s kernel panics: the guest runs no more";
        }
        return role + " dies";
    }

    @Override
    public List<Kill> atQuiescence(int lastStep) {
        List<Kill> out = new ArrayList<>();
        for (Armed a : armed) {
            if (!a.fired && a.fault.hasPowerCycle() && a.fault.getPowerCycle().getAfterStep() > 0
                    && lastStep >= a.fault.getPowerCycle().getAfterStep()) {
                a.fired = true;
                out.add(new Kill(POWER, false, "fault: " + a.what + ": " + POWER_LOST));
            }
            if (a.fired || !a.fault.hasCrash()) continue;
            CrashFault c = a.fault.getCrash();
            // Nothing is in flight and step N (or a later one) has been injected: step N is over.
            if (c.getAfterStep() == 0 || lastStep < c.getAfterStep()) continue;
            a.fired = true;
            out.add(new Kill(c.getRole(), c.getRestart(), "fault: " + a.what + ": " + deathOf(c.getRole(), c.getRestart())));
        }
        return out;
    }

    /** What the trace says when the plug is pulled. */
    public static final String POWER_LOST = "the platform loses power and boots again from the same DIMMs";

    @Override
    public Kill beforeDelivery(long nextSeq) {
        for (Armed a : armed) {
            if (a.fired || !a.fault.hasPowerCycle() || a.fault.getPowerCycle().getAtSeq() == 0) continue;
            if (nextSeq < a.fault.getPowerCycle().getAtSeq()) continue;
            a.fired = true;
            return new Kill(POWER, false, "fault: " + a.what + ": " + POWER_LOST);
        }
        return null;
    }

    @Override
    public void applied(long seq, String note) {
        applied.add("#" + seq + ": " + note.replaceFirst("^(after it: )?fault: ", "$1"));
    }

    /** What took effect, "#seq: note", in order. */
    public List<String> appliedList() { return applied; }

    /** Faults whose trigger never came. */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (Armed a : armed) {
            if (a.fired || tookEffect.get(a.index)) continue;
            out.add("fault " + (a.index + 1) + " (" + a.what + ") never took effect: " + (a.seen == 0 ? "its trigger never came"
                    : "only " + a.seen + " matching message(s) came"));
        }
        return out;
    }
}
