package org.vnvdimm.sim.wire;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
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
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.Recorder;

/**
 * The wire: the only place that sees all traffic. It owns the role -> actor table, stamps every
 * message (seq, Lamport clock, cause, virtual time), records it, lets the oracles look after each
 * delivery, and delivers the next message only when the previous receiver has answered with its
 * StepResult. The next message is chosen by the seeded {@link Scheduler}.
 */
public final class Wire extends AbstractBehavior<Wire.Command> {
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

    public static final String ADMIN = "admin";

    private final ComponentFactory factory;
    private final Driver driver;
    private final Observer observer;
    private final Recorder recorder;
    private final TraceHeader header;
    private final long maxDeliveries;
    private final CompletableFuture<Outcome> done;
    private final ActorRef<StepResult> stepAdapter;

    private final Scheduler scheduler;
    // Lookups by role only; never iterated.
    private final Map<String, ActorRef<Envelope>> actors = new HashMap<>();
    private final Map<String, Long> clocks = new HashMap<>();
    /** Roles whose component crashed or stopped: the seq where it happened. */
    private final Map<String, Long> dead = new HashMap<>();
    private long seq;
    private long vtimeNs;
    private Envelope inFlight;
    private boolean finished;

    public static Behavior<Command> create(TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                                           Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done) {
        return create(header, factory, driver, observer, recorder, maxDeliveries, done, null);
    }

    /** choice: which queued message goes next; null for the seeded choice (a replay passes the recorded order). */
    public static Behavior<Command> create(TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                                           Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done, Scheduler.Choice choice) {
        return Behaviors.setup(ctx -> new Wire(ctx, header, factory, driver, observer, recorder, maxDeliveries, done, choice));
    }

    private Wire(ActorContext<Command> ctx, TraceHeader header, ComponentFactory factory, Driver driver, Observer observer,
                 Recorder recorder, long maxDeliveries, CompletableFuture<Outcome> done, Scheduler.Choice choice) {
        super(ctx);
        this.header = header;
        this.factory = factory;
        this.driver = driver;
        this.observer = observer;
        this.recorder = recorder;
        this.maxDeliveries = maxDeliveries;
        this.done = done;
        this.scheduler = choice == null ? new Scheduler(header.getSeed()) : new Scheduler(choice);
        this.stepAdapter = ctx.messageAdapter(StepResult.class, Stepped::new);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Start.class, s -> { start(); return next(); })
                .onMessage(Stepped.class, s -> { stepped(s.result()); return next(); })
                .onSignal(Terminated.class, t -> { crashed(t); return next(); })
                .build();
    }

    /** A finished wire stops, and with it every component it spawned. */
    private Behavior<Command> next() { return finished ? Behaviors.stopped() : this; }

    private void start() {
        recorder.begin(header);
        advance();
    }

    /** Enqueue a message sent by `sender` (stamped with the sender's Lamport clock and the cause). */
    private void send(String sender, Envelope.Builder b, long cause) {
        long clock = clocks.getOrDefault(sender, 0L) + 1;
        clocks.put(sender, clock);
        scheduler.enqueue(b.setFrom(sender).setLamport(clock).setCause(cause));
    }

    private void stepped(StepResult r) {
        if (finished) return;
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
        advance();
    }

    private void record(Envelope e, List<Observation> observed, List<Verdict> v) {
        TraceRecord.Builder t = TraceRecord.newBuilder().setDelivered(e);
        // addAll on protobuf lists walks and null-checks; most deliveries observe nothing
        if (!observed.isEmpty()) t.addAllObserved(observed);
        if (!v.isEmpty()) t.addAllVerdicts(v);
        recorder.record(t.build());
    }

    /** Deliver the next message, or inject the scenario's next step, or end the run. */
    private void advance() {
        while (!finished) {
            if (scheduler.isEmpty()) {
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
            Envelope e = stamp(scheduler.next());
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
            ActorRef<Envelope> target = actorFor(e.getTo());
            if (target == null) {
                Long diedAt = dead.get(e.getTo());
                String why = diedAt != null ? "wire: " + e.getTo() + " crashed at #" + diedAt + "; message dropped"
                        : "wire: no component plays role '" + e.getTo() + "'; message dropped";
                StepResult r = StepResult.newBuilder().setRole(e.getTo()).setHandledSeq(e.getSeq()).addObserved(log(why)).build();
                record(e, r.getObservedList(), observer.afterDelivery(e, r));
                continue;
            }
            inFlight = e;
            target.tell(e);
            return;
        }
    }

    /** The one build of a message: at delivery, once seq and virtual time are known. */
    private Envelope stamp(Envelope.Builder b) {
        seq++;
        vtimeNs += Latency.of(b.getPayloadCase());
        long recv = Math.max(clocks.getOrDefault(b.getTo(), 0L), b.getLamport()) + 1;
        clocks.put(b.getTo(), recv);
        return b.setSeq(seq).setVtimeNs(vtimeNs).build();
    }

    private ActorRef<Envelope> actorFor(String role) {
        ActorRef<Envelope> ref = actors.get(role);
        if (ref != null || actors.containsKey(role)) return ref;
        Behavior<Envelope> b = factory.create(role, stepAdapter);
        if (b != null) {
            ref = getContext().spawn(b, role);
            getContext().watch(ref);
        }
        actors.put(role, ref);
        return ref;
    }

    /** A component actor terminated: after its crash answer (already dead), or on its own. */
    private void crashed(Terminated t) {
        if (finished) return;
        String role = t.getRef().path().name();
        if (dead.containsKey(role)) return;
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
