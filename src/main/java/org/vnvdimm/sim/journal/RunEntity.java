package org.vnvdimm.sim.journal;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandler;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehavior;
import com.google.protobuf.Message;
import java.util.Set;
import org.vnvdimm.proto.DeliveriesRecorded;
import org.vnvdimm.proto.RunEnded;
import org.vnvdimm.proto.RunStarted;

/**
 * One recorded run: an event-sourced entity whose events are protobuf messages (RunStarted,
 * DeliveriesRecorded batches, RunEnded), serialized by Akka's protobuf serializer. Its state is only
 * what a writer needs (started, ended, deliveries so far); readers go through the read journal.
 */
public final class RunEntity extends EventSourcedBehavior<RunEntity.Command, Message, RunEntity.State> {
    /** Tag on RunStarted and RunEnded: `runs` lists the journal from these alone, never the deliveries. */
    public static final String TAG = "vnvdimm-run";

    public sealed interface Command {}

    /** Start the run; answers false when the id is already taken (another process recorded it first). */
    public record Begin(RunStarted started, ActorRef<Boolean> replyTo) implements Command {}

    public record Append(DeliveriesRecorded batch, ActorRef<Done> replyTo) implements Command {}

    /** End the run; the entity stops once RunEnded is written. */
    public record End(RunEnded ended, ActorRef<Done> replyTo) implements Command {}

    public record State(boolean started, boolean ended, long deliveries) {}

    public static Behavior<Command> create(String runId) {
        return new RunEntity(PersistenceId.ofUniqueId(runId));
    }

    private RunEntity(PersistenceId id) {
        super(id);
    }

    @Override
    public State emptyState() {
        return new State(false, false, 0);
    }

    @Override
    public CommandHandler<Command, Message, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Begin.class, (s, c) -> s.started()
                        ? Effect().none().thenRun(st -> c.replyTo().tell(false))
                        : Effect().persist(c.started()).thenRun(st -> c.replyTo().tell(true)))
                .onCommand(Append.class, (s, c) -> Effect().persist(c.batch()).thenRun(st -> c.replyTo().tell(Done.getInstance())))
                .onCommand(End.class, (s, c) -> Effect().persist(c.ended()).thenRun(st -> c.replyTo().tell(Done.getInstance())).thenStop())
                .build();
    }

    @Override
    public EventHandler<State, Message> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(RunStarted.class, (s, e) -> new State(true, false, 0))
                .onEvent(DeliveriesRecorded.class, (s, e) -> new State(s.started(), s.ended(), s.deliveries() + e.getRecordsCount()))
                .onEvent(RunEnded.class, (s, e) -> new State(s.started(), true, s.deliveries()))
                .build();
    }

    @Override
    public Set<String> tagsFor(Message event) {
        return event instanceof DeliveriesRecorded ? Set.of() : Set.of(TAG);
    }
}
