package org.vnvdimm.sim.wire;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        /** When each queued message was enqueued (a ring of longs beside the queue, a power of two long: no boxing, no division). */
        long[] ages = new long[4];
        int agesHead;
        final String from;
        final String to;
        int activeIndex = -1;

        Pair(String from, String to) {
            this.from = from;
            this.to = to;
        }
    }

    // Looked up by sender, then receiver; the order of choice comes from `active`, never from the maps.
    private final Map<String, Map<String, Pair>> pairs = new HashMap<>();
    private final List<Pair> active = new ArrayList<>();
    private final ChoiceSource choices;
    private final ChoiceSource.Links links = new ChoiceSource.Links() {
        @Override public int size() { return active.size(); }
        @Override public String from(int i) { return active.get(i).from; }
        @Override public String to(int i) { return active.get(i).to; }
        @Override public long age(int i) { Pair p = active.get(i); return p.ages[p.agesHead]; }
        @Override public Envelope.Builder head(int i) { return active.get(i).queue.peekFirst(); }
    };
    private int queued;
    private long enqueued;

    public Scheduler(long seed) { this(ChoiceSource.seeded(seed)); }

    public Scheduler(ChoiceSource choices) { this.choices = choices; }

    /** Queue a message; the builder is the scheduler's until {@link #next()} hands it back. */
    public void enqueue(Envelope.Builder e) {
        if (queued >= MAX_QUEUED) throw new IllegalStateException("more than " + MAX_QUEUED + " messages queued");
        Pair p = pairs.computeIfAbsent(e.getFrom(), k -> new HashMap<>()).computeIfAbsent(e.getTo(), k -> new Pair(e.getFrom(), k));
        int n = p.queue.size();
        if (n == p.ages.length) {
            long[] grown = new long[n * 2];
            for (int k = 0; k < n; k++) grown[k] = p.ages[(p.agesHead + k) & (n - 1)];
            p.ages = grown;
            p.agesHead = 0;
        }
        p.ages[(p.agesHead + n) & (p.ages.length - 1)] = enqueued++;
        p.queue.addLast(e);
        if (p.activeIndex < 0) {
            p.activeIndex = active.size();
            active.add(p);
        }
        queued++;
    }

    public boolean isEmpty() { return queued == 0; }

    /** Messages waiting on the link from → to. */
    public int waiting(String from, String to) {
        Map<String, Pair> m = pairs.get(from);
        Pair p = m == null ? null : m.get(to);
        return p == null ? 0 : p.queue.size();
    }

    public int size() { return queued; }

    /** The power went: every queued message is lost. Returns how many. */
    public int clear() {
        int n = queued;
        for (Pair p : active) {
            p.queue.clear();
            p.agesHead = 0;
            p.activeIndex = -1;
        }
        active.clear();
        queued = 0;
        return n;
    }

    public Envelope.Builder next() {
        if (queued == 0) throw new IllegalStateException("nothing to deliver");
        int n = active.size();
        int i = n == 1 && !choices.everyDelivery() ? 0 : choices.choose(links);
        if (i < 0 || i >= n) throw new IllegalStateException("scheduler choice " + i + " out of 0.." + (n - 1));
        Pair p = active.get(i);
        Envelope.Builder e = p.queue.pollFirst();
        p.agesHead = (p.agesHead + 1) & (p.ages.length - 1);
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
