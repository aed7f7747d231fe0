package org.vnvdimm.sim.wire;

import akka.actor.testkit.typed.javadsl.BehaviorTestKit;
import akka.actor.testkit.typed.internal.ActorSystemStub;
import akka.actor.testkit.typed.internal.BehaviorTestKitImpl;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.Behavior$;
import akka.actor.testkit.typed.internal.EffectfulActorContext;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.StepResult;

/**
 * The direct executor: runs the components' Akka behaviours on the calling thread as Akka's own
 * synchronous {@link BehaviorTestKit} does ({@link DirectActor}), one delivery at a time, instead
 * of through two mailboxes and a dispatcher per delivery. The wire decides the order exactly as under {@link WireActor};
 * a component's StepResult lands in a queue and goes straight back to the wire, so
 * both executors give the same trace.
 */
public final class DirectExecutor implements Wire.Host {
    /**
     * Where the components' StepResults land: a plain queue behind an ActorRef (the testkit's own
     * FunctionRef, as TestInbox uses, without TestInbox's concurrent queue: one thread only here).
     */
    private final java.util.ArrayDeque<StepResult> answers = new java.util.ArrayDeque<>();
    private final ActorRef<StepResult> answerRef = new akka.actor.testkit.typed.internal.FunctionRef<StepResult>(
            STUB.get().path().$div("wire"), (r, self) -> {
                answers.addLast(r);
                return scala.runtime.BoxedUnit.UNIT;
            });
    /** Deliveries the wire asked for, in order: one at a time in a run, one per live role for `show`'s dumps. */
    private final java.util.ArrayDeque<Object[]> pending = new java.util.ArrayDeque<>();

    /** Run the wire built on this executor to its end, on this thread. */
    public static void run(java.util.function.Function<Wire.Host, Wire> build) {
        DirectExecutor x = new DirectExecutor();
        x.drive(build.apply(x));
    }

    private void drive(Wire wire) {
        wire.start();
        while (!pending.isEmpty() && !wire.finished()) {
            Object[] next = pending.pollFirst();
            DirectActor actor = (DirectActor) next[0];
            Envelope e = (Envelope) next[1];
            try {
                actor.run(e);
                adopt(actor.ctx);
                runChildren();
            } catch (RuntimeException | Error ex) {
                // ComponentBehavior turns a handler's exception into a crash answer; what escapes
                // it stops the actor, as under Akka, and the wire sees it stop while handling.
                if (answers.isEmpty()) {
                    wire.terminated(actor);
                    continue;
                }
            }
            if (!answers.isEmpty()) {
                wire.stepped(answers.pollFirst());
            } else if (!actor.isAlive()) {
                wire.terminated(actor);
            } else {
                wire.stepped(StepResult.newBuilder().setHandledSeq(-1).setRole("?").build());
            }
        }
    }

    /**
     * One component: its behaviour and Akka's stubbed actor context, run as BehaviorTestKit runs
     * them (Behavior.start, then interpretMessage and canonicalize per message, on the actor's
     * thread) without the kit's per-message effect interceptor, which the wire does not need:
     * the component's StepResult says everything. A component that spawns children (a test's
     * tap) still gets them run, through the context's own child kits.
     */
    static final class DirectActor {
        final EffectfulActorContext<Envelope> ctx;
        private Behavior<Envelope> current;

        DirectActor(ActorSystemStub stub, akka.actor.ActorPath path, Behavior<Envelope> initial) {
            ctx = new EffectfulActorContext<>(stub, path, () -> current);
            ctx.setCurrentActorThread();
            try {
                current = Behavior$.MODULE$.validateAsInitial(Behavior$.MODULE$.start(initial, ctx));
            } finally {
                ctx.clearCurrentActorThread();
            }
        }

        void run(Envelope e) {
            ctx.setCurrentActorThread();
            try {
                Behavior<Envelope> next = Behavior$.MODULE$.interpretMessage(current, ctx, e);
                current = Behavior$.MODULE$.canonicalize(next, current, ctx);
            } finally {
                ctx.clearCurrentActorThread();
            }
        }

        boolean isAlive() { return Behavior$.MODULE$.isAlive(current); }
    }

    @Override public ActorRef<StepResult> stepRef() { return answerRef; }

    /**
     * BehaviorTestKit.create builds a new stub ActorSystem (settings parsed from config) for every
     * kit; one stub per thread serves all kits of all runs on it (the stub holds no run state).
     */
    private static final ThreadLocal<ActorSystemStub> STUB = ThreadLocal.withInitial(
            () -> new ActorSystemStub("direct", BehaviorTestKit.applicationTestConfig()));

    @Override
    public Object spawn(Behavior<Envelope> behavior, String name) {
        ActorSystemStub stub = STUB.get();
        DirectActor a = new DirectActor(stub, stub.path().$div(name).withUid(1), behavior);
        adopt(a.ctx);
        return a;
    }

    /**
     * Actors a component spawned itself (a test's wrapper that taps a component's answers spawns
     * one): under BehaviorTestKit they do not run on their own, so the executor runs their
     * mailboxes, in the order they were spawned, until nothing is left, before the wire goes on.
     */
    private final java.util.List<BehaviorTestKitImpl<?>> children = new java.util.ArrayList<>();

    private void adopt(EffectfulActorContext<?> ctx) {
        java.util.concurrent.ConcurrentLinkedQueue<akka.actor.testkit.typed.Effect> q = ctx.effectQueue();
        for (akka.actor.testkit.typed.Effect ef; (ef = q.poll()) != null; ) {
            if (ef instanceof akka.actor.testkit.typed.Effect.Spawned<?> sp) children.add(ctx.childTestKit(sp.ref()));
            else if (ef instanceof akka.actor.testkit.typed.Effect.SpawnedAnonymous<?> sp) children.add(ctx.childTestKit(sp.ref()));
        }
    }

    private void runChildren() {
        for (boolean again = !children.isEmpty(); again; ) {
            again = false;
            for (int i = 0; i < children.size(); i++) {
                BehaviorTestKitImpl<?> c = children.get(i);
                while (c.isAlive() && c.selfInbox().hasMessages()) {
                    c.runOne();
                    adopt(c.context());
                    again = true;
                }
            }
        }
    }

    @Override
    public void deliver(Object handle, Envelope e) {
        pending.addLast(new Object[] {handle, e});
    }

    /** A stopped component gets nothing more: the wire never delivers to a stopped handle. */
    @Override public void stop(Object handle) { }
}
