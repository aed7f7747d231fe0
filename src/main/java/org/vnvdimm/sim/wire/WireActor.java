package org.vnvdimm.sim.wire;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.util.function.Function;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.StepResult;

/**
 * The actor executor: the wire as an actor, each component a child actor it spawns and watches.
 * A delivery is a tell to the component; its StepResult comes back through a message adapter.
 */
final class WireActor extends AbstractBehavior<Wire.Command> implements Wire.Host {
    private final Wire wire;
    private final ActorRef<StepResult> stepAdapter;

    static Behavior<Wire.Command> create(Function<Wire.Host, Wire> wire) {
        return Behaviors.setup(ctx -> new WireActor(ctx, wire));
    }

    private WireActor(ActorContext<Wire.Command> ctx, Function<Wire.Host, Wire> wire) {
        super(ctx);
        this.stepAdapter = ctx.messageAdapter(StepResult.class, Wire.Stepped::new);
        this.wire = wire.apply(this);
    }

    @Override
    public Receive<Wire.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Wire.Start.class, s -> { wire.start(); return next(); })
                .onMessage(Wire.Stepped.class, s -> { wire.stepped(s.result()); return next(); })
                .onSignal(Terminated.class, t -> { wire.terminated(t.getRef()); return next(); })
                .build();
    }

    /** A finished wire stops, and with it every component it spawned. */
    private Behavior<Wire.Command> next() { return wire.finished() ? Behaviors.stopped() : this; }

    @Override public ActorRef<StepResult> stepRef() { return stepAdapter; }

    @Override
    public Object spawn(Behavior<Envelope> behavior, String name) {
        ActorRef<Envelope> ref = getContext().spawn(behavior, name);
        getContext().watch(ref);
        return ref;
    }

    @SuppressWarnings("unchecked")
    @Override public void deliver(Object handle, Envelope e) { ((ActorRef<Envelope>) handle).tell(e); }

    @SuppressWarnings("unchecked")
    @Override public void stop(Object handle) { getContext().stop((ActorRef<Envelope>) handle); }
}
