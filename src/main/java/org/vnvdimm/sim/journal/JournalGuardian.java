package org.vnvdimm.sim.journal;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.vnvdimm.proto.RunStarted;

/**
 * The journal ActorSystem's guardian: starts a {@link RunEntity} per recorded run and tells the
 * recorder whether the run id was its own. An entity whose first write fails (another process wrote
 * that id between our look-up and our write) stops; the guardian sees it and answers "taken".
 */
public final class JournalGuardian {
    public sealed interface Command {}

    public record Open(String runId, RunStarted started, ActorRef<Opened> replyTo) implements Command {}

    /** entity is null when the id was taken; why says how. */
    public record Opened(ActorRef<RunEntity.Command> entity, String why) {}

    private record Answered(String runId, boolean ok, String error) implements Command {}

    private record Died(String runId) implements Command {}

    private JournalGuardian() {}

    public static Behavior<Command> create() {
        return Behaviors.setup(ctx -> {
            // Only looked up by run id; never iterated.
            Map<String, ActorRef<Opened>> pending = new HashMap<>();
            Map<String, ActorRef<RunEntity.Command>> entities = new HashMap<>();
            return Behaviors.receive(Command.class)
                    .onMessage(Open.class, o -> open(ctx, o, pending, entities))
                    .onMessage(Answered.class, a -> {
                        ActorRef<Opened> to = pending.remove(a.runId());
                        ActorRef<RunEntity.Command> e = entities.get(a.runId());
                        if (to != null) {
                            if (a.ok()) {
                                to.tell(new Opened(e, ""));
                            } else {
                                if (e != null) ctx.stop(e);
                                entities.remove(a.runId());
                                to.tell(new Opened(null, a.error()));
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Died.class, d -> {
                        entities.remove(d.runId());
                        ActorRef<Opened> to = pending.remove(d.runId());
                        if (to != null) to.tell(new Opened(null, "its first write failed"));
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static Behavior<Command> open(ActorContext<Command> ctx, Open o, Map<String, ActorRef<Opened>> pending,
                                          Map<String, ActorRef<RunEntity.Command>> entities) {
        if (entities.containsKey(o.runId())) {
            o.replyTo().tell(new Opened(null, "already open in this process"));
            return Behaviors.same();
        }
        ActorRef<RunEntity.Command> e = ctx.spawn(RunEntity.create(o.runId()), URLEncoder.encode(o.runId(), StandardCharsets.UTF_8));
        ctx.watchWith(e, new Died(o.runId()));
        entities.put(o.runId(), e);
        pending.put(o.runId(), o.replyTo());
        ctx.ask(Boolean.class, e, Duration.ofSeconds(60), r -> new RunEntity.Begin(o.started(), r),
                (ok, err) -> new Answered(o.runId(), ok != null && ok, ok != null ? "recorded by another process first" : String.valueOf(err)));
        return Behaviors.same();
    }
}
