package org.vnvdimm.contract.testing;

import static org.junit.jupiter.api.Assertions.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Log;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.StepResult;

/**
 * Drives one component actor as the wire would: deliver an envelope (stamped with a seq), wait for
 * its StepResult, look at what it sent, answer those requests. For component behaviour tests.
 */
public final class Harness {
    private final TestProbe<StepResult> wire;
    private final ActorRef<Envelope> component;
    private final String role;
    private long seq;
    /** Everything the component has sent so far, with the seq each got when "sent". */
    private final List<Envelope> sent = new ArrayList<>();
    private final List<Observation> observed = new ArrayList<>();

    public Harness(ActorTestKit kit, String role, Function<ActorRef<StepResult>, Behavior<Envelope>> factory) {
        this.role = role;
        this.wire = kit.createTestProbe(StepResult.class);
        this.component = kit.spawn(factory.apply(wire.getRef()));
    }

    /** Deliver a message from `from` and return what the component did. */
    public StepResult deliver(String from, Envelope.Builder e) {
        e.setFrom(from).setTo(role).setSeq(++seq);
        component.tell(e.build());
        StepResult r = wire.receiveMessage(Duration.ofSeconds(10));
        assertEquals(seq, r.getHandledSeq(), "StepResult for another delivery");
        assertEquals(role, r.getRole());
        for (Envelope s : r.getSentList()) sent.add(s.toBuilder().setSeq(++seq).build());
        observed.addAll(r.getObservedList());
        return r;
    }

    /** Answer a request the component sent: the reply carries its tag and points at it. */
    public StepResult answer(Envelope request, Envelope.Builder reply) {
        Envelope stamped = stamped(request);
        reply.setTag(request.getTag()).setInReplyTo(stamped.getSeq());
        return deliver(request.getTo(), reply);
    }

    private Envelope stamped(Envelope request) {
        for (Envelope s : sent) if (s.getTag() == request.getTag() && s.getTo().equals(request.getTo()) && s.getPayloadCase() == request.getPayloadCase()) return s;
        return request.toBuilder().setSeq(++seq).build();
    }

    /** The only message in r, failing otherwise. */
    public static Envelope only(StepResult r) {
        assertEquals(1, r.getSentCount(), () -> "expected exactly one message, got " + r.getSentList());
        return r.getSent(0);
    }

    public static Envelope first(StepResult r, Predicate<Envelope> p) {
        return r.getSentList().stream().filter(p).findFirst().orElseThrow(() -> new AssertionError("no such message in " + r.getSentList()));
    }

    public List<Envelope> sent() { return sent; }

    public List<Observation> observed() { return observed; }

    public List<String> logs() {
        List<String> out = new ArrayList<>();
        for (Observation o : observed) if (o.hasLog()) out.add(o.getLog().getText());
        return out;
    }

    public boolean logged(String fragment) {
        for (Observation o : observed) {
            Log l = o.getLog();
            if (o.hasLog() && l.getText().contains(fragment)) return true;
        }
        return false;
    }
}
