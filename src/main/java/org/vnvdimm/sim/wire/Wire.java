package org.vnvdimm.sim.wire;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Log;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.StepResult;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.Recorder;

/**
 * The wire: the only place that sees all traffic. It owns the role -> actor table, stamps every
 * message (seq, Lamport clock, cause, virtual time), records it, lets the oracles look after each
 * delivery, and delivers the next message only when the previous receiver has answered with its
 * StepResult. The next message is chosen by the seeded {@link Scheduler}.
 *
 * <p>The wire's logic is plain Java; a {@link Host} runs the components. {@link WireActor} hosts
 * them as Akka actors (the wire an actor too); {@link DirectExecutor} runs the same behaviours on
 * the calling thread, one delivery at a time. Both give the same trace.
 */
public final class Wire {
    public sealed interface Command {}

    /** Begin the run. */
    public record Start() implements Command {}

    record Stepped(StepResult result) implements Command {}

    /** Creates the component for a role on first delivery; null when no component plays that role. */
    public interface ComponentFactory {
        Behavior<Envelope> create(String role, ActorRef<StepResult> wire);
    }

    /** The scenario: what to inject when the system is quiescent, and the admin's inbox. */
    public interface Driver {
        /** Messages to inject now that nothing is in flight; empty when the scenario is over. */
        List<Envelope.Builder> next();

        /** A message addressed to the admin role (the scenario's operator) was delivered. */
        List<Envelope.Builder> onAdminDelivery(Envelope e);

        /** The number (1-based, as listed under steps:) of the last step injected; 0 before the first. */
        default int lastStep() { return 0; }

        /** When the next step is a power cycle (the plug pulled): consumes it and says so in words; else null. */
        default String powerCycle() { return null; }
    }

    /**
     * The oracles: they see every delivery and what its handling observed and sent. Each call
     * returns the verdicts that are new at this delivery (repeats of a cause are folded by the
     * observer); {@link #verdicts()} gives the folded list at the end.
     */
    public interface Observer {
        List<Verdict> afterDelivery(Envelope delivered, StepResult result);

        List<Verdict> atEnd(long deliveries, boolean stepBoundHit);

        /** A component stopped outside a delivery it was handling (the wire saw it terminate). */
        List<Verdict> stoppedOutsideDelivery(String role, long lastSeq);

        /** Every verdict of the run, repeats folded, in the order they first fired. */
        List<Verdict> verdicts();
    }

    public record Outcome(long deliveries, long vtimeNs, boolean stepBoundHit) {}

    /**
     * What runs the components. A handle stands for one incarnation of a role; the host answers
     * each {@link #deliver} by handing the component's StepResult to {@link Wire#stepped}.
     */
    public interface Host {
        /** The address components answer their StepResults to. */
        ActorRef<StepResult> stepRef();

        /** Start a component under a unique name; returns its handle. */
        Object spawn(Behavior<Envelope> behavior, String name);

        void deliver(Object handle, Envelope e);

        void stop(Object handle);
    }

    /**
     * `vnvdimm show`: stop right after delivery afterSeq, ask every live component for its state
     * (a StateDumpRequest sent directly, outside the scheduler: no seq, no record, no clock tick),
     * hand the answers (in role order) to dumps, and end the run there.
     */
    public record StopAt(long afterSeq, CompletableFuture<List<org.vnvdimm.proto.StateDump>> dumps) {}

    public static final String ADMIN = "admin";

    private final ComponentFactory factory;
    private final Driver driver;
    private final Observer observer;
    private final Recorder recorder;
    private final TraceHeader header;
    private final long maxDeliveries;
    private final CompletableFuture<Outcome> done;
    private final Host host;

    private final Scheduler scheduler;
    private final Faults faults;
    /** Timers and delayed messages, by virtual deadline then order of setting. */
    private final java.util.PriorityQueue<Held> held = new java.util.PriorityQueue<>(
            java.util.Comparator.comparingLong((Held h) -> h.deadline).thenComparingLong(h -> h.order));
    /** Live timers by role and id, for cancelling (looked up only). */
    private final Map<String, Map<Long, Held>> timers = new HashMap<>();
    private long heldOrder;
    /** Trace notes that go with a message when it is delivered (a delayed, reordered or duplicated one); never faulted again. */
    private final java.util.IdentityHashMap<Envelope.Builder, String> notes = new java.util.IdentityHashMap<>();
    /** Fault notes that took effect between deliveries; they go on the next record. */
    private final List<Observation> pendingNotes = new ArrayList<>();
    /** Role of each spawned actor (a restarted role's incarnation has its own actor name). */
    private final Map<Object, String> roleOf = new HashMap<>();
    private final Map<String, Integer> incarnations = new HashMap<>();
    /** A role restarted after dying at this seq: what was sent to it by then was lost with its connections. */
    private final Map<String, Long> lostUpTo = new HashMap<>();
    /** Roles killed by a fault (not a crash verdict: the fault plan asked for it). */
    private final java.util.Set<String> killed = new java.util.HashSet<>();
    /** The sender of the message in flight dies once its delivery is done (crash on a message it sent). */
    private Faults.Action killSenderAfter;
    private boolean hostDown;
    // Lookups by role only; never iterated.
    private final Map<String, Object> actors = new HashMap<>();
    /** Each role's Lamport clock, in a one-element array so a tick is no boxing (looked up only). */
    private final Map<String, long[]> clocks = new HashMap<>();

    private long[] clock(String role) {
        long[] c = clocks.get(role);
        if (c == null) clocks.put(role, c = new long[1]);
        return c;
    }
    /** Roles whose component crashed or stopped: the seq where it happened. */
    private final Map<String, Long> dead = new HashMap<>();
    private long seq;
    private long vtimeNs;
    private Envelope inFlight;
    private boolean finished;
    private final StopAt stopAt;
    /** The state dumps collected so far, by role; null until the wire stops at stopAt. */
    private java.util.TreeMap<String, org.vnvdimm.proto.StateDump> dumps;
    private int dumpsAwaited;

    public static Behavior<Command> create(TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                                           Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done) {
        return create(header, factory, driver, observer, recorder, maxDeliveries, done, ChoiceSource.seeded(header.getSeed()), Faults.NONE);
    }

    /** A wire whose scheduler takes its choices from choices and which applies faults. */
    public static Behavior<Command> create(TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                                           Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done,
                                           ChoiceSource choices, Faults faults) {
        return create(header, factory, driver, observer, recorder, maxDeliveries, done, choices, faults, null);
    }

    /** A wire that stops after stopAt.afterSeq() and collects the components' state dumps (null: run to the end). */
    public static Behavior<Command> create(TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                                           Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done,
                                           ChoiceSource choices, Faults faults, StopAt stopAt) {
        return WireActor.create(host -> new Wire(host, header, factory, driver, observer, recorder, maxDeliveries, done, choices, faults, stopAt));
    }

    private static final class Held {
        final long deadline;
        final long order;
        final Envelope.Builder msg;
        final String role;
        final long timerId;
        boolean cancelled;

        Held(long deadline, long order, Envelope.Builder msg, String role, long timerId) {
            this.deadline = deadline;
            this.order = order;
            this.msg = msg;
            this.role = role;
            this.timerId = timerId;
        }
    }

    /** A wire whose components host runs; drive it with {@link #start}, {@link #stepped} and {@link #terminated}. */
    public Wire(Host host, TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done, ChoiceSource choices, Faults faults) {
        this(host, header, factory, driver, observer, recorder, maxDeliveries, done, choices, faults, null);
    }

    /** As above; stopAt (not null) stops the run after that delivery and collects the state dumps. */
    public Wire(Host host, TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done, ChoiceSource choices, Faults faults,
                StopAt stopAt) {
        this.host = host;
        this.stopAt = stopAt;
        this.header = header;
        this.factory = factory;
        this.driver = driver;
        this.observer = observer;
        this.recorder = recorder;
        this.maxDeliveries = maxDeliveries;
        this.done = done;
        this.scheduler = new Scheduler(choices);
        this.faults = faults;
    }

    /** The run is over (ended or failed); a finished wire's host stops every component. */
    public boolean finished() { return finished; }

    /** Begin the run. */
    public void start() {
        recorder.begin(header);
        advance();
    }

    /** Enqueue a message sent by `sender` (stamped with the sender's Lamport clock and the cause). */
    private void send(String sender, Envelope.Builder b, long cause) {
        long clock = ++clock(sender)[0];
        scheduler.enqueue(b.setFrom(sender).setLamport(clock).setCause(cause));
    }

    /** The component handling the message in flight answered. */
    public void stepped(StepResult r) {
        if (finished) return;
        if (dumps != null) {
            if (r.hasStateDump()) dumps.put(r.getRole(), r.getStateDump());
            if (--dumpsAwaited == 0) endWithDumps();
            return;
        }
        Envelope e = inFlight;
        if (e == null || r.getHandledSeq() != e.getSeq() || !r.getRole().equals(e.getTo())) {
            fail("wire protocol: unexpected StepResult from " + r.getRole() + " for #" + r.getHandledSeq());
            return;
        }
        inFlight = null;
        if (!r.getCrash().isEmpty()) {
            // Nothing it sent counts: the handler did not finish. The actor stops after answering.
            dead.put(r.getRole(), e.getSeq());
            actors.put(r.getRole(), null);
            finishDelivery(e, r);
            return;
        }
        List<Observation> extra = new ArrayList<>();
        for (long id : r.getCancelledTimersList()) {
            Held h = timers.getOrDefault(r.getRole(), Map.of()).remove(id);
            if (h != null) h.cancelled = true;
        }
        for (org.vnvdimm.proto.TimerSet t : r.getTimersList()) {
            Envelope.Builder fire = Envelope.newBuilder().setTo(r.getRole())
                    .setTimerFired(org.vnvdimm.proto.TimerFired.newBuilder().setId(t.getId()).setWhat(t.getWhat()));
            Held h = new Held(vtimeNs + t.getDelayNs(), heldOrder++, fire, r.getRole(), t.getId());
            held.add(h);
            timers.computeIfAbsent(r.getRole(), k -> new HashMap<>()).put(t.getId(), h);
        }
        for (Envelope out : r.getSentList()) {
            if (!out.getFrom().equals(r.getRole())) {
                // A component cannot speak for another: the wire stamps the true sender.
                extra.add(log("wire: " + r.getRole() + " claimed to be " + out.getFrom() + "; sender corrected"));
            }
            send(r.getRole(), out.toBuilder(), e.getSeq());
        }
        StepResult full = extra.isEmpty() ? r : r.toBuilder().addAllObserved(extra).build();
        finishDelivery(e, full);
    }

    private void finishDelivery(Envelope e, StepResult r) {
        record(e, r.getObservedList(), observer.afterDelivery(e, r));
        if (killSenderAfter != null) {
            Faults.Action k = killSenderAfter;
            killSenderAfter = null;
            kill(k.role(), k.restart(), null);
        }
        advance();
    }

    private void record(Envelope e, List<Observation> observed, List<Verdict> v) {
        if (pendingNotes.isEmpty()) {
            recorder.delivered(e, List.of(), observed, v);
        } else {
            recorder.delivered(e, List.copyOf(pendingNotes), observed, v);
            pendingNotes.clear();
        }
    }

    /** Deliver the next message, or inject the scenario's next step, or end the run. */
    private void advance() {
        while (!finished) {
            if (stopAt != null && seq >= stopAt.afterSeq()) {
                requestDumps();
                return;
            }
            releaseDue();
            if (scheduler.isEmpty()) {
                Held h = nextHeld();
                if (h != null) {
                    // Nothing else can happen first: virtual time moves on to the timer.
                    vtimeNs = Math.max(vtimeNs, h.deadline);
                    release(h);
                    continue;
                }
                List<Faults.Kill> kills = faults.atQuiescence(driver.lastStep());
                for (Faults.Kill k : kills) kill(k.role(), k.restart(), k.note());
                if (!kills.isEmpty()) continue;
                String cut = driver.powerCycle();
                if (cut != null) {
                    powerCycle(cut, false);
                    continue;
                }
                List<Envelope.Builder> inject = driver.next();
                if (inject.isEmpty()) {
                    end(false);
                    return;
                }
                for (Envelope.Builder b : inject) send(ADMIN, b, 0);
                continue;
            }
            if (seq >= maxDeliveries) {
                end(true);
                return;
            }
            Faults.Kill cut = faults.beforeDelivery(seq + 1);
            if (cut != null) {
                kill(cut.role(), cut.restart(), cut.note());
                continue;
            }
            Envelope.Builder picked = scheduler.next();
            String note = notes.isEmpty() ? null : notes.remove(picked);
            Faults.Action a = note != null || hostDown ? Faults.Action.DELIVER : faults.onPick(picked);
            switch (a.kind()) {
                case DELAY -> {
                    notes.put(picked, a.note());
                    held.add(new Held(vtimeNs + a.ns(), heldOrder++, picked, null, 0));
                    continue;
                }
                case REORDER -> {
                    // Back of its link's queue: the messages behind it on that link overtake it.
                    int behind = scheduler.waiting(picked.getFrom(), picked.getTo());
                    if (behind == 0) {
                        note = a.note() + " — nothing was queued behind it, so it goes in order";
                    } else {
                        notes.put(picked, a.note() + " (overtaken by " + behind + ")");
                        scheduler.enqueue(picked);
                        continue;
                    }
                }
                default -> { }
            }
            Envelope e = stamp(picked);
            if (note != null) {
                pendingNotes.add(log(note));
                faults.applied(e.getSeq(), note);
            }
            if (a.kind() == Faults.Kind.DUPLICATE) duplicateLater(e, a.note());
            if (a.kind() != Faults.Kind.DELIVER) faults.applied(e.getSeq(), a.note());
            if (a.kind() == Faults.Kind.DROP) {
                StepResult r = StepResult.newBuilder().setRole(e.getTo()).setHandledSeq(e.getSeq()).addObserved(log(a.note())).build();
                record(e, r.getObservedList(), observer.afterDelivery(e, r));
                continue;
            }
            if (a.kind() == Faults.Kind.FAIL_CALL) {
                // Xen answers the call with the errno and changes nothing: the caller's error path runs.
                StepResult r = StepResult.newBuilder().setRole(e.getTo()).setHandledSeq(e.getSeq()).addObserved(log(a.note())).build();
                send(e.getTo(), Envelope.newBuilder().setTo(e.getFrom()).setTag(e.getTag()).setInReplyTo(e.getSeq())
                        .setHypercallRet(org.vnvdimm.proto.HypercallRet.newBuilder().setRc(a.rc())), e.getSeq());
                record(e, r.getObservedList(), observer.afterDelivery(e, r));
                continue;
            }
            if (a.kind() == Faults.Kind.CRASH_RECEIVER) {
                pendingNotes.add(log(a.note()));
                kill(a.role(), a.restart(), null);
                StepResult r = StepResult.newBuilder().setRole(e.getTo()).setHandledSeq(e.getSeq()).build();
                record(e, r.getObservedList(), observer.afterDelivery(e, r));
                continue;
            }
            if (a.kind() == Faults.Kind.CRASH_SENDER) {
                pendingNotes.add(log(a.note()));
                killSenderAfter = a;
            }
            if (e.getTo().equals(ADMIN)) {
                // The scenario's operator is not an actor: its inbox is the driver.
                List<Envelope.Builder> out = driver.onAdminDelivery(e);
                StepResult.Builder r = StepResult.newBuilder().setRole(ADMIN).setHandledSeq(e.getSeq());
                for (Envelope.Builder b : out) {
                    send(ADMIN, b, e.getSeq());
                }
                record(e, List.of(), observer.afterDelivery(e, r.build()));
                continue;
            }
            Long lost = lostUpTo.get(e.getTo());
            if (lost != null && e.getCause() != 0 && e.getCause() <= lost) {
                StepResult r = StepResult.newBuilder().setRole(e.getTo()).setHandledSeq(e.getSeq())
                        .addObserved(log("wire: sent to " + e.getTo() + " before it restarted (#" + lost + "); lost with its connection")).build();
                record(e, r.getObservedList(), observer.afterDelivery(e, r));
                continue;
            }
            Object target = hostDown ? null : actorFor(e.getTo());
            if (target == null) {
                Long diedAt = dead.get(e.getTo());
                String why = hostDown ? "wire: the host is down; message dropped"
                        : diedAt != null ? "wire: " + e.getTo() + (killed.contains(e.getTo()) ? " was killed" : " crashed") + " at #" + diedAt + "; message dropped"
                        : "wire: no component plays role '" + e.getTo() + "'; message dropped";
                StepResult r = StepResult.newBuilder().setRole(e.getTo()).setHandledSeq(e.getSeq()).addObserved(log(why)).build();
                record(e, r.getObservedList(), observer.afterDelivery(e, r));
                continue;
            }
            inFlight = e;
            host.deliver(target, e);
            return;
        }
    }

    /** The one build of a message: at delivery, once seq and virtual time are known. */
    private Envelope stamp(Envelope.Builder b) {
        seq++;
        vtimeNs += Latency.of(b.getPayloadCase());
        long[] c = clock(b.getTo());
        c[0] = Math.max(c[0], b.getLamport()) + 1;
        return b.setSeq(seq).setVtimeNs(vtimeNs).build();
    }

    private Object actorFor(String role) {
        Object ref = actors.get(role);
        if (ref != null || actors.containsKey(role)) return ref;
        Behavior<Envelope> b = factory.create(role, host.stepRef());
        if (b != null) {
            int n = incarnations.merge(role, 1, Integer::sum);
            ref = host.spawn(b, n == 1 ? role : role + "~" + n);
            roleOf.put(ref, role);
        }
        actors.put(role, ref);
        return ref;
    }

    /** A component terminated: after its crash answer (already dead), or on its own. */
    public void terminated(Object handle) {
        if (finished) return;
        String role = roleOf.remove(handle);
        if (role == null || dead.containsKey(role) || actors.get(role) == null || !actors.get(role).equals(handle)) return;
        dead.put(role, seq);
        actors.put(role, null);
        if (inFlight != null && inFlight.getTo().equals(role)) {
            Envelope e = inFlight;
            inFlight = null;
            finishDelivery(e, StepResult.newBuilder().setRole(role).setHandledSeq(e.getSeq())
                    .setCrash(role + " stopped while handling #" + e.getSeq() + " " + e.getPayloadCase()).build());
            return;
        }
        // Not reachable through ComponentBehavior (it stops only after a crash answer); kept so a
        // component stopping by any other route still fails the run.
        observer.stoppedOutsideDelivery(role, seq);
    }

    /** Timers and delayed messages whose virtual deadline has come go to the scheduler. */
    private void releaseDue() {
        while (!held.isEmpty() && (held.peek().cancelled || held.peek().deadline <= vtimeNs)) {
            Held h = held.poll();
            if (!h.cancelled) release(h);
        }
    }

    private Held nextHeld() {
        while (!held.isEmpty() && held.peek().cancelled) held.poll();
        return held.poll();
    }

    private void release(Held h) {
        if (h.role != null) {
            Map<Long, Held> m = timers.get(h.role);
            if (m != null) m.remove(h.timerId);
            send(h.role, h.msg, 0);
        } else {
            scheduler.enqueue(h.msg);
        }
    }

    /** The copy of a duplicated message goes behind it on its link, sent as the original was. */
    private void duplicateLater(Envelope e, String note) {
        Envelope.Builder copy = e.toBuilder().clearSeq().clearVtimeNs();
        notes.put(copy, note + " (the copy of #" + e.getSeq() + ")");
        scheduler.enqueue(copy);
    }

    /**
     * A fault kills a role: its actor stops and what is sent to it is dropped, or (restart) a new
     * incarnation starts with empty state and what was sent to the old one is lost. dom0 takes the
     * host down with it. note (when not null) goes on the next delivery's record.
     */
    private void kill(String role, boolean restart, String note) {
        if (role.equals(Faults.POWER)) {
            faults.applied(seq, "after it: " + note);
            powerCycle(note, true);
            return;
        }
        if (note != null) {
            pendingNotes.add(log(note));
            faults.applied(seq, "after it: " + note);
        }
        if (role.equals(org.vnvdimm.contract.Roles.DOM0)) {
            hostDown = true;
            for (Map.Entry<String, Object> a : actors.entrySet()) {
                if (a.getValue() == null) continue;
                killed.add(a.getKey());
                dead.put(a.getKey(), seq);
                host.stop(a.getValue());
            }
            for (String r : new ArrayList<>(actors.keySet())) actors.put(r, null);
            for (Held h : held) h.cancelled = true;
            return;
        }
        Object ref = actors.get(role);
        if (ref != null) host.stop(ref);
        Map<Long, Held> ts = timers.remove(role);
        if (ts != null) for (Held h : ts.values()) h.cancelled = true;
        killed.add(role);
        if (restart) {
            actors.remove(role);
            dead.remove(role);
            lostUpTo.put(role, seq);
        } else {
            actors.put(role, null);
            dead.put(role, seq);
        }
    }

    /** Stopped after stopAt.afterSeq(): every live component is asked for its state, in role order. */
    private void requestDumps() {
        dumps = new java.util.TreeMap<>();
        java.util.TreeSet<String> live = new java.util.TreeSet<>();
        for (Map.Entry<String, Object> a : actors.entrySet()) if (a.getValue() != null) live.add(a.getKey());
        dumpsAwaited = live.size();
        if (live.isEmpty()) {
            endWithDumps();
            return;
        }
        for (String role : live) {
            host.deliver(actors.get(role), Envelope.newBuilder().setFrom("wire").setTo(role)
                    .setStateDumpRequest(org.vnvdimm.proto.StateDumpRequest.newBuilder().setAfterSeq(seq)).build());
        }
    }

    private void endWithDumps() {
        stopAt.dumps().complete(List.copyOf(dumps.values()));
        end(false);
    }

    /**
     * The platform loses power: every component stops and forgets everything (it starts from
     * scratch on its next delivery), queued messages, timers and delayed messages are lost. What
     * the DIMMs hold stays with the platform's media, which decides at the next power on what the
     * caches had written back. A fault's cut boots the machine again at once (power_on).
     */
    private void powerCycle(String note, boolean bootAgain) {
        for (Object ref : actors.values()) if (ref != null) host.stop(ref);
        actors.clear();
        dead.clear();
        killed.clear();
        lostUpTo.clear();
        hostDown = false;
        killSenderAfter = null;
        for (Held h : held) h.cancelled = true;
        held.clear();
        timers.clear();
        notes.clear();
        int lost = scheduler.clear();
        pendingNotes.add(log(note + " — every component stops and its RAM is gone" + (lost > 0 ? "; " + lost + " message(s) in flight lost" : "")));
        if (bootAgain) {
            send(ADMIN, Envelope.newBuilder().setTo(org.vnvdimm.contract.Roles.PLATFORM).setPowerOn(org.vnvdimm.proto.PowerOn.getDefaultInstance()), 0);
        }
    }

    private void end(boolean stepBoundHit) {
        finished = true;
        observer.atEnd(seq, stepBoundHit);
        done.complete(new Outcome(seq, vtimeNs, stepBoundHit));
    }

    private void fail(String why) {
        finished = true;
        done.completeExceptionally(new IllegalStateException(why));
    }

    private static Observation log(String text) {
        return Observation.newBuilder().setLog(Log.newBuilder().setText(text)).build();
    }
}
