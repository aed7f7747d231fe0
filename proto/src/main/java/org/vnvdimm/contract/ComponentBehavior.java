package org.vnvdimm.contract;

import java.util.Locale;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.vnvdimm.proto.DumpSection;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Log;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.StateDump;
import org.vnvdimm.proto.StepResult;

/**
 * The actor protocol every component follows: take one delivered Envelope, handle it, answer the
 * wire with exactly one StepResult listing what was sent and observed. Requests carry a tag chosen
 * here; a reply with that tag runs the continuation registered by {@link #call}.
 *
 * <p>A message the component refuses (ProtocolError) is logged and the step completes. Any other
 * exception is a crash: the StepResult carries it in {@code crash}, and the component stops after
 * answering, so the wire records a `crash` verdict at that delivery and the role stays dead.
 */
public abstract class ComponentBehavior extends AbstractBehavior<Envelope> {
    /** Bound on outstanding requests per component: a runaway loop is a bug, not a memory leak. */
    public static final int MAX_PENDING_CALLS = 1 << 16;

    protected final String role;
    private final ActorRef<StepResult> wire;
    private StepResult.Builder step;
    private Envelope current;
    private long nextTag = 1;
    // Looked up by tag only, never iterated: iteration order cannot leak into the simulation.
    private final Map<Long, Consumer<Envelope>> pending = new HashMap<>();
    // Timers by id, looked up only.
    private final Map<Long, Runnable> timers = new HashMap<>();
    private long nextTimer = 1;
    /** False while nobody will read the run's trace: log() then formats nothing (see {@link #withoutConsoleLines}). */
    private final boolean consoleLines = !QUIET.get()[0];

    protected ComponentBehavior(ActorContext<Envelope> ctx, String role, ActorRef<StepResult> wire) {
        super(ctx);
        this.role = role;
        this.wire = wire;
    }

    private static final ThreadLocal<boolean[]> QUIET = ThreadLocal.withInitial(() -> new boolean[1]);

    /**
     * Runs body with console lines off for the components created on this thread meanwhile (the
     * direct executor creates and runs them on the caller's thread): explore's passing runs keep
     * only a fingerprint of who sent what, never the log text, and formatting it was a twentieth of
     * a run. Everything else a component does (state, messages, observations) is the same.
     */
    public static void withoutConsoleLines(Runnable body) {
        boolean[] q = QUIET.get();
        boolean was = q[0];
        q[0] = true;
        try {
            body.run();
        } finally {
            q[0] = was;
        }
    }

    @Override
    public final Receive<Envelope> createReceive() {
        return newReceiveBuilder().onMessage(Envelope.class, this::onDelivery).build();
    }

    private Behavior<Envelope> onDelivery(Envelope e) {
        if (e.hasStateDumpRequest()) {
            // Outside the run: no step, no tag, no timer; the component only reads its state.
            StateDump.Builder d;
            try {
                d = dumpState();
            } catch (RuntimeException ex) {
                d = StateDump.newBuilder().addSections(DumpSection.newBuilder().setName("dump failed").addFacts("error=" + ex));
            }
            wire.tell(StepResult.newBuilder().setRole(role)
                    .setStateDump(d.setRole(role).setAfterSeq(e.getStateDumpRequest().getAfterSeq())).build());
            return this;
        }
        step = StepResult.newBuilder().setRole(role).setHandledSeq(e.getSeq());
        current = e;
        try {
            Consumer<Envelope> k = e.getInReplyTo() != 0 ? pending.remove(e.getTag()) : null;
            if (e.hasTimerFired() && e.getFrom().equals(role)) {
                Runnable t = timers.remove(e.getTimerFired().getId());
                if (t != null) t.run();
            } else if (k != null) {
                k.accept(e);
            } else {
                handle(e);
            }
        } catch (ProtocolError pe) {
            log("%s: rejected %s from %s: %s", role, e.getPayloadCase(), e.getFrom(), pe.getMessage());
        } catch (RuntimeException | StackOverflowError ex) {
            // What was sent before the throw is not sent: the handler did not finish.
            step = StepResult.newBuilder().setRole(role).setHandledSeq(e.getSeq())
                    .setCrash(role + " threw " + ex + " handling #" + e.getSeq() + " " + e.getPayloadCase());
        }
        StepResult r = step.build();
        step = null;
        current = null;
        wire.tell(r);
        return r.getCrash().isEmpty() ? this : Behaviors.stopped();
    }

    /**
     * This component's state for `vnvdimm show RUN --step N` (dump.proto): its structures as ranges,
     * never per page. Must only read: it runs between deliveries, outside the run. A component that
     * keeps no state worth showing answers with no sections.
     */
    protected StateDump.Builder dumpState() { return StateDump.newBuilder(); }

    /** Handle a delivery that is not the reply to one of this component's calls. */
    protected abstract void handle(Envelope e);

    /** The delivery being handled. */
    protected Envelope current() { return current; }

    /** Send a one-way message (or a request whose reply arrives in handle()). Returns its tag. */
    protected long send(String to, Envelope.Builder msg) {
        long tag = nextTag++;
        step.addSent(msg.setFrom(role).setTo(to).setTag(tag));
        return tag;
    }

    /** Send a request; onReply runs when the reply (same tag) is delivered. */
    protected void call(String to, Envelope.Builder msg, Consumer<Envelope> onReply) {
        if (pending.size() >= MAX_PENDING_CALLS) {
            throw new IllegalStateException(role + ": more than " + MAX_PENDING_CALLS + " outstanding calls");
        }
        pending.put(send(to, msg), onReply);
    }

    /**
     * Send a request whose answer comes back from a third party carrying the tag inside the payload
     * (a memory access Xen or the bus answers to reply_to/reply_tag): build receives the tag.
     */
    protected void call(String to, java.util.function.LongFunction<Envelope.Builder> build, Consumer<Envelope> onReply) {
        if (pending.size() >= MAX_PENDING_CALLS) {
            throw new IllegalStateException(role + ": more than " + MAX_PENDING_CALLS + " outstanding calls");
        }
        long tag = nextTag++;
        step.addSent(build.apply(tag).setFrom(role).setTo(to).setTag(tag));
        pending.put(tag, onReply);
    }

    /** Make a hypercall; k gets Xen's answer (rc and whatever Xen copied back). */
    protected void hypercall(Envelope.Builder msg, Consumer<org.vnvdimm.proto.HypercallRet> k) {
        call(Roles.XEN, msg, r -> {
            if (!r.hasHypercallRet()) throw new ProtocolError("hypercall answered with " + r.getPayloadCase());
            k.accept(r.getHypercallRet());
        });
    }

    /** Answer the delivery being handled. */
    protected void reply(Envelope.Builder msg) { replyTo(current, msg); }

    /** Answer an earlier request (kept by the component while it worked on it). */
    protected void replyTo(Envelope request, Envelope.Builder msg) {
        step.addSent(msg.setFrom(role).setTo(request.getFrom()).setTag(request.getTag()).setInReplyTo(request.getSeq()));
    }

    /**
     * Answer a request that reached this component through a third party (Xen forwarding a vCPU's
     * load to the memory bus): the answer goes to the original requester with its tag.
     */
    protected void replyOnBehalf(String requester, long requesterTag, Envelope.Builder msg) {
        step.addSent(msg.setFrom(role).setTo(requester).setTag(requesterTag).setInReplyTo(current.getSeq()));
    }

    /**
     * Set a virtual-time timer: onFire runs when it goes off, delayNs of virtual time from now
     * (when nothing else is in flight the wire moves virtual time on to the next timer). For the
     * timeouts the real component has (libxl's wait for the device model); {@link #cancelTimer}
     * when the awaited thing came, so a run without faults never sees the timer.
     */
    protected long setTimer(long delayNs, String what, Runnable onFire) {
        long id = nextTimer++;
        timers.put(id, onFire);
        step.addTimers(org.vnvdimm.proto.TimerSet.newBuilder().setId(id).setDelayNs(delayNs).setWhat(what));
        return id;
    }

    protected void cancelTimer(long id) {
        if (timers.remove(id) != null) step.addCancelledTimers(id);
    }

    protected void observe(Observation o) { step.addObserved(o); }

    protected void log(String fmt, Object... args) {
        if (!consoleLines) return;
        observe(Observation.newBuilder().setLog(Log.newBuilder().setText(format(fmt, args))).build());
    }

    // String.format builds a Formatter, and with it Locale.ROOT's DecimalFormatSymbols, per call:
    // a few percent of a run. One Formatter per thread, same Locale.ROOT output.
    private static final class Fmt {
        final StringBuilder out = new StringBuilder();
        final java.util.Formatter formatter = new java.util.Formatter(out, Locale.ROOT);
        boolean busy;
    }

    private static final ThreadLocal<Fmt> FORMATTER = ThreadLocal.withInitial(Fmt::new);

    /** String.format(Locale.ROOT, fmt, args), without a new Formatter per call. */
    public static String format(String fmt, Object... args) {
        String quick = quickFormat(fmt, args);
        if (quick != null) return quick;
        Fmt f = FORMATTER.get();
        // an argument whose toString formats again gets its own Formatter
        if (f.busy) return String.format(Locale.ROOT, fmt, args);
        f.busy = true;
        try {
            f.out.setLength(0);
            f.formatter.format(fmt, args);
            return f.out.toString();
        } finally {
            f.busy = false;
            if (f.out.capacity() > 1 << 16) FORMATTER.remove();
        }
    }

    /**
     * The conversions the components' console lines use (%d, %s, %x, %#x, %0Nx, %%, %n) on ints,
     * longs and plain objects, written as Formatter writes them under Locale.ROOT; null for
     * anything else (other flags, widths or types, a missing argument), which Formatter then does.
     * Formatter parses the format with a regex on every call: most of a console line's cost.
     */
    static String quickFormat(String fmt, Object[] args) {
        StringBuilder out = new StringBuilder(fmt.length() + 32);
        int arg = 0;
        int n = fmt.length();
        for (int i = 0; i < n; i++) {
            char c = fmt.charAt(i);
            if (c != '%') { out.append(c); continue; }
            if (++i >= n) return null;
            c = fmt.charAt(i);
            boolean alt = false;
            int zeroWidth = 0;
            if (c == '%') { out.append('%'); continue; }
            if (c == 'n') { out.append(System.lineSeparator()); continue; }
            if (c == '#') { alt = true; if (++i >= n) return null; c = fmt.charAt(i); }
            if (c == '0') {
                while (++i < n && fmt.charAt(i) >= '0' && fmt.charAt(i) <= '9') zeroWidth = zeroWidth * 10 + (fmt.charAt(i) - '0');
                if (i >= n || zeroWidth == 0) return null;
                c = fmt.charAt(i);
                if (c != 'x') return null;
            }
            if (args == null || arg >= args.length) return null;
            Object v = args[arg++];
            switch (c) {
                case 'd' -> {
                    if (alt || !(v instanceof Integer || v instanceof Long)) return null;
                    out.append(((Number) v).longValue());
                }
                case 'x' -> {
                    String hex;
                    if (v instanceof Integer iv) hex = Integer.toHexString(iv);
                    else if (v instanceof Long lv) hex = Long.toHexString(lv);
                    else return null;
                    if (alt) out.append("0x");
                    // Formatter's width counts the "0x" of %#0Nx; the zeros go between it and the digits
                    for (int pad = zeroWidth - hex.length() - (alt ? 2 : 0); pad > 0; pad--) out.append('0');
                    out.append(hex);
                }
                case 's' -> {
                    if (alt || v instanceof java.util.Formattable) return null;
                    out.append(v);
                }
                default -> { return null; }
            }
        }
        return out.toString();
    }

    /** A message this component refuses (malformed, out of protocol); logged, never thrown at the wire. */
    public static final class ProtocolError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ProtocolError(String message) { super(message, null, false, false); }
    }
}
