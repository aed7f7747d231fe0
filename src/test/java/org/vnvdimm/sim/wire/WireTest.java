package org.vnvdimm.sim.wire;

import static org.junit.jupiter.api.Assertions.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.*;
import org.vnvdimm.sim.record.MemoryRecorder;

/** The wire's own rules: stamping, per-pair order, spoofing, unknown roles, step bounds, crashes. */
class WireTest {
    static ActorTestKit kit;

    @BeforeAll static void up() { kit = ActorTestKit.create("WireTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    /** A component that, on each GuestIo it receives, sends what `reaction` says. */
    static Behavior<Envelope> scripted(String role, ActorRef<StepResult> wire, java.util.function.Function<Envelope, List<Envelope.Builder>> reaction) {
        return Behaviors.receiveMessage(e -> {
            StepResult.Builder r = StepResult.newBuilder().setRole(role).setHandledSeq(e.getSeq());
            for (Envelope.Builder b : reaction.apply(e)) r.addSent(b.setFrom(b.getFrom().isEmpty() ? role : b.getFrom()));
            wire.tell(r.build());
            return Behaviors.same();
        });
    }

    static Envelope.Builder io(String to, long data) { return Envelope.newBuilder().setTo(to).setGuestIo(GuestIo.newBuilder().setData(data)); }

    record Result(Wire.Outcome outcome, MemoryRecorder rec, List<Verdict> verdicts) {}

    Result run(Wire.ComponentFactory f, List<Envelope.Builder> inject, long max, long seed) throws Exception {
        MemoryRecorder rec = new MemoryRecorder();
        CompletableFuture<Wire.Outcome> done = new CompletableFuture<>();
        Wire.Driver d = new Wire.Driver() {
            boolean once;
            public List<Envelope.Builder> next() {
                if (once) return List.of();
                once = true;
                return inject;
            }
            public List<Envelope.Builder> onAdminDelivery(Envelope e) { return List.of(); }
        };
        Wire.Observer none = new Wire.Observer() {
            final List<Verdict> all = new ArrayList<>();
            public List<Verdict> afterDelivery(Envelope e, StepResult r) {
                if (r.getCrash().isEmpty()) return List.of();
                Verdict v = Verdict.newBuilder().setOracle("crash").setSeq(e.getSeq()).setDetail(r.getCrash()).build();
                all.add(v);
                return List.of(v);
            }
            public List<Verdict> atEnd(long n, boolean hit) {
                if (hit) all.add(Verdict.newBuilder().setOracle("liveness").setSeq(n).build());
                return List.copyOf(all);
            }
            public List<Verdict> stoppedOutsideDelivery(String role, long seq) {
                all.add(Verdict.newBuilder().setOracle("crash").setSeq(seq).build());
                return List.of();
            }
            public List<Verdict> verdicts() { return all; }
        };
        kit.spawn(Wire.create(TraceHeader.newBuilder().setSeed(seed).build(), f, d, none, rec, max, done)).tell(new Wire.Start());
        return new Result(done.get(30, TimeUnit.SECONDS), rec, none.verdicts());
    }

    @Test
    void stampsSeqCauseAndLamportAndKeepsPairOrder() throws Exception {
        // a sends 5 numbered messages to b at once; b must see them in order whatever the seed
        Wire.ComponentFactory f = (role, w) -> switch (role) {
            case "a" -> scripted("a", w, e -> {
                List<Envelope.Builder> out = new ArrayList<>();
                for (int i = 1; i <= 5; i++) out.add(io("b", i));
                for (int i = 1; i <= 5; i++) out.add(io("c", i));
                return out;
            });
            case "b", "c" -> scripted(role, w, e -> List.of());
            default -> null;
        };
        for (long seed = 1; seed <= 5; seed++) {
            Result r = run(f, List.of(io("a", 0)), 1000, seed);
            assertEquals(11, r.outcome().deliveries());
            List<Long> toB = new ArrayList<>();
            long prevSeq = 0;
            for (TraceRecord t : r.rec().records()) {
                Envelope e = t.getDelivered();
                assertEquals(prevSeq + 1, e.getSeq(), "seq numbers deliveries");
                prevSeq = e.getSeq();
                if (e.getTo().equals("b")) {
                    toB.add(e.getGuestIo().getData());
                    assertEquals(1, e.getCause(), "caused by the delivery to a");
                    assertTrue(e.getLamport() > 1);
                }
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), toB, "FIFO per sender->receiver pair, seed " + seed);
        }
    }

    @Test
    void aComponentCannotSpeakForAnotherAndUnknownRolesAreDropped() throws Exception {
        Wire.ComponentFactory f = (role, w) -> role.equals("a")
                ? scripted("a", w, e -> List.of(io("nobody", 1), io("b", 2).setFrom("xen")))
                : role.equals("b") ? scripted("b", w, e -> List.of()) : null;
        Result r = run(f, List.of(io("a", 0)), 100, 1);
        TraceRecord atA = r.rec().records().get(0);
        assertTrue(atA.getObservedList().stream().anyMatch(o -> o.getLog().getText().contains("claimed to be xen")));
        Envelope toB = r.rec().records().stream().map(TraceRecord::getDelivered).filter(e -> e.getTo().equals("b")).findFirst().orElseThrow();
        assertEquals("a", toB.getFrom(), "the wire stamps the true sender");
        assertTrue(r.rec().records().stream().anyMatch(t -> t.getDelivered().getTo().equals("nobody")
                && t.getObserved(0).getLog().getText().contains("no component plays role 'nobody'")));
    }

    @Test
    void theStepBoundEndsARunawayRunAsALivenessFailure() throws Exception {
        Wire.ComponentFactory f = (role, w) -> scripted(role, w, e -> List.of(io(role.equals("a") ? "b" : "a", 0)));
        Result r = run(f, List.of(io("a", 0)), 50, 1);
        assertTrue(r.outcome().stepBoundHit());
        assertEquals(50, r.outcome().deliveries());
        assertEquals("liveness", r.verdicts().get(0).getOracle());
        assertEquals(50, r.verdicts().get(0).getSeq());
    }

    @Test
    void aComponentThatDiesIsRecordedAndTheRunGoesOn() throws Exception {
        Wire.ComponentFactory f = (role, w) -> role.equals("a")
                ? Behaviors.<Envelope>receiveMessage(e -> { throw new IllegalStateException("boom"); })
                : scripted(role, w, e -> List.of());
        Result r = run(f, List.of(io("a", 0), io("b", 0)), 100, 1);
        assertEquals(2, r.outcome().deliveries());
        TraceRecord atA = r.rec().records().stream().filter(t -> t.getDelivered().getTo().equals("a")).findFirst().orElseThrow();
        assertTrue(atA.getVerdictsList().stream().anyMatch(v -> v.getOracle().equals("crash") && v.getSeq() == atA.getDelivered().getSeq()
                && v.getDetail().contains("stopped while handling")), atA.toString());
    }

    @Test
    void schedulerIsDeterministicPerSeed() {
        List<String> a = order(7), b = order(7), c = order(8);
        assertEquals(a, b);
        assertEquals(12, a.size());
        assertNotEquals(a, c, "another seed, another interleaving");
    }

    static List<String> order(long seed) {
        Scheduler s = new Scheduler(seed);
        for (int i = 0; i < 4; i++) for (String p : List.of("x", "y", "z")) s.enqueue(Envelope.newBuilder().setFrom(p).setTo("t").setTag(i));
        List<String> out = new ArrayList<>();
        while (!s.isEmpty()) {
            Envelope.Builder e = s.next();
            out.add(e.getFrom() + e.getTag());
        }
        return out;
    }
}
