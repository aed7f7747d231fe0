package org.vnvdimm.sim.bench;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.GuestIo;
import org.vnvdimm.proto.StepResult;

/** A benchmark component: returns each ball to its sender with the count lowered, until it reaches 0. */
final class Echo extends ComponentBehavior {
    static Behavior<Envelope> create(String role, ActorRef<StepResult> wire) {
        return Behaviors.setup(ctx -> new Echo(ctx, role, wire));
    }

    private final String partner;

    private Echo(ActorContext<Envelope> ctx, String role, ActorRef<StepResult> wire) {
        super(ctx, role, wire);
        // echo-aN and echo-bN play ball with each other; the admin only throws the first ball.
        this.partner = role.startsWith("echo-a") ? role.replace("echo-a", "echo-b") : role.replace("echo-b", "echo-a");
    }

    @Override
    protected void handle(Envelope e) {
        long left = e.getGuestIo().getData();
        if (left > 0) send(partner, Envelope.newBuilder().setGuestIo(GuestIo.newBuilder().setPort(e.getGuestIo().getPort()).setSize(4).setData(left - 1)));
    }
}
