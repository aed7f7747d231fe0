package org.vnvdimm.sim.wire;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.vnvdimm.proto.Envelope;

/**
 * Chooses the next delivery. Messages between one sender and one receiver stay in order (a FIFO per
 * pair, like a socket or a ring); across pairs a seeded random choice picks which pair goes next,
 * so different seeds give different interleavings and the same seed gives the same one.
 */
public final class Scheduler {
    /** Bound on queued messages: a component flooding the wire is a bug the run must report. */
    public static final int MAX_QUEUED = 1 << 22;

    private static final class Pair {
        final ArrayDeque<Envelope.Builder> queue = new ArrayDeque<>();
        int activeIndex = -1;
    }

    // Looked up by sender, then receiver; the order of choice comes from `active`, never from the maps.
    private final Map<String, Map<String, Pair>> pairs = new HashMap<>();
    private final List<Pair> active = new ArrayList<>();
    private final Choice choice;
    private final IntFunction<Envelope.Builder> headOf = k -> active.get(k).queue.peekFirst();
    private int queued;

    /**
     * Which sender/receiver pair delivers next, among n that have something queued; head(i) is the
     * message pair i would deliver. Seeded by default; a replay forces the recorded order.
     */
    public interface Choice {
        int choose(int n, IntFunction<Envelope.Builder> head);
    }

    /** The seeded choice every run uses: a pure function of the seed and of n. */
    public static Choice seeded(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return (n, head) -> n == 1 ? 0 : rng.nextInt(n);
    }

    public Scheduler(long seed) { this(seeded(seed)); }

    public Scheduler(Choice choice) { this.choice = choice; }

    /** Queue a message; the builder is the scheduler's until {@link #next()} hands it back. */
    public void enqueue(Envelope.Builder e) {
        if (queued >= MAX_QUEUED) throw new IllegalStateException("more than " + MAX_QUEUED + " messages queued");
        Pair p = pairs.computeIfAbsent(e.getFrom(), k -> new HashMap<>()).computeIfAbsent(e.getTo(), k -> new Pair());
        p.queue.addLast(e);
        if (p.activeIndex < 0) {
            p.activeIndex = active.size();
            active.add(p);
        }
        queued++;
    }

    public boolean isEmpty() { return queued == 0; }

    public int size() { return queued; }

    public Envelope.Builder next() {
        if (queued == 0) throw new IllegalStateException("nothing to deliver");
        int n = active.size();
        int i = choice.choose(n, headOf);
        if (i < 0 || i >= n) throw new IllegalStateException("scheduler choice " + i + " out of 0.." + (n - 1));
        Pair p = active.get(i);
        Envelope.Builder e = p.queue.pollFirst();
        queued--;
        if (p.queue.isEmpty()) {
            // swap-remove keeps choice O(1); the resulting order is still a pure function of the seed
            Pair last = active.remove(active.size() - 1);
            if (last != p) {
                active.set(p.activeIndex, last);
                last.activeIndex = p.activeIndex;
            }
            p.activeIndex = -1;
        }
        return e;
    }
}
