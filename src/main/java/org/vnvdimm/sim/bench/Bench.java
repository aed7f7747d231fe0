package org.vnvdimm.sim.bench;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.SpawnProtocol;
import akka.actor.typed.javadsl.AskPattern;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.GuestIo;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.DigestRecorder;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.wire.Wire;

/**
 * Measurements (wall-clock time is fine here: it measures the simulator, it is not inside a run).
 * The wire benchmark runs the real Wire, deterministic mode, with the canonical recording on
 * (every delivery serialized and SHA-256 hashed), between echo components.
 */
public final class Bench {
    private Bench() {}

    public record WireResult(long deliveries, double seconds, String sha256) {
        public double perSecond() { return deliveries / seconds; }
    }

    /** `balls` messages bouncing between pairs of echo components until `deliveries` have been made. */
    public static WireResult wire(ActorSystem<SpawnProtocol.Command> system, long deliveries, int pairs, int balls, long seed, int run) throws Exception {
        // Each ball goes admin -> echo-aN -> echo-bN -> echo-aN ...: every hop is a delivery to an actor.
        long perBall = Math.max(1, deliveries / balls);
        Wire.ComponentFactory factory = (role, w) -> role.startsWith("echo-") ? Echo.create(role, w) : null;
        Wire.Observer none = new Wire.Observer() {
            public List<Verdict> afterDelivery(Envelope d, org.vnvdimm.proto.StepResult r) { return List.of(); }

            public List<Verdict> atEnd(long n, boolean hit) { return List.of(); }

            public List<Verdict> stoppedOutsideDelivery(String role, long lastSeq) { return List.of(); }

            public List<Verdict> verdicts() { return List.of(); }
        };
        DigestRecorder digest = new DigestRecorder();
        CompletableFuture<Wire.Outcome> done = new CompletableFuture<>();
        TraceHeader h = TraceHeader.newBuilder().setSeed(seed).setCodeVersion(Simulator.CODE_VERSION).build();
        Wire.Driver pairDriver = new PairDriver(pairs, balls, perBall);
        long t0 = System.nanoTime();
        var ref = AskPattern.<SpawnProtocol.Command, akka.actor.typed.ActorRef<Wire.Command>>ask(system,
                replyTo -> new SpawnProtocol.Spawn<>(Wire.create(h, factory, pairDriver, none, digest, Long.MAX_VALUE, done), "bench-" + run,
                        akka.actor.typed.Props.empty(), replyTo), Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        ref.tell(new Wire.Start());
        Wire.Outcome o = done.get(30, TimeUnit.MINUTES);
        double s = (System.nanoTime() - t0) / 1e9;
        digest.end(org.vnvdimm.proto.RunSummary.getDefaultInstance());
        return new WireResult(o.deliveries(), s, digest.sha256());
    }

    /** Throws each ball once, at echo-aN. */
    static final class PairDriver implements Wire.Driver {
        final int pairs, balls;
        final long perBall;
        boolean started;

        PairDriver(int pairs, int balls, long perBall) {
            this.pairs = pairs;
            this.balls = balls;
            this.perBall = perBall;
        }

        public List<Envelope.Builder> next() {
            if (started) return List.of();
            started = true;
            List<Envelope.Builder> out = new ArrayList<>();
            for (int b = 0; b < balls; b++) {
                out.add(Envelope.newBuilder().setTo("echo-a" + (b % pairs)).setGuestIo(GuestIo.newBuilder().setPort(b).setSize(4).setData(perBall - 1)));
            }
            return out;
        }

        public List<Envelope.Builder> onAdminDelivery(Envelope e) { return List.of(); }
    }

    public record BootResult(int runs, double seconds, long deliveries, boolean allPassed, String sha256) {}

    public static BootResult boots(Simulator sim, Scenario s, int runs) {
        long t0 = System.nanoTime();
        long n = 0;
        boolean ok = true;
        String sha = "";
        for (int i = 0; i < runs; i++) {
            RunResult r = sim.run(s, s.getSeed());
            n += r.summary().getDeliveries();
            ok &= r.passed();
            sha = r.summary().getTraceSha256();
        }
        return new BootResult(runs, (System.nanoTime() - t0) / 1e9, n, ok, sha);
    }

    /** Peak heap use so far (all heap pools), in MiB. */
    public static long peakHeapMiB() {
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
        }
        return peak >> 20;
    }
}
