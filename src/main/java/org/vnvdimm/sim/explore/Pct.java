package org.vnvdimm.sim.explore;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.vnvdimm.sim.wire.ChoiceSource;

/**
 * Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010):
 * every thread gets a random priority of at least d, the highest-priority enabled thread always
 * runs, and at d-1 change points drawn uniformly from the first k steps the running thread's
 * priority drops to the change point's index (below every initial one). A bug of depth d is found
 * with probability at least 1/(n k^(d-1)) per run.
 *
 * <p>Here a thread is a link (sender, receiver): the wire keeps each link's messages in order, so
 * a link is a sequential stream of work like a thread's. Links appear as the run goes; each gets
 * its random priority when first seen. Steps are the scheduler's decisions among several links.
 */
public final class Pct implements ChoiceSource {
    private final SplittableRandom rng;
    private final int depth;
    /** The d-1 change points: decision numbers, ascending. */
    private final long[] changePoints;
    private final Map<String, Double> priority = new HashMap<>();
    private long decision;
    private int nextChange;

    /** depth d >= 1; k the expected number of decisions (from a default run of the scenario). */
    public Pct(long seed, int depth, long k) {
        this.rng = new SplittableRandom(seed);
        this.depth = Math.max(1, depth);
        this.changePoints = new long[this.depth - 1];
        for (int i = 0; i < changePoints.length; i++) changePoints[i] = 1 + rng.nextLong(Math.max(1, k));
        java.util.Arrays.sort(changePoints);
    }

    private double priorityOf(String link) {
        // Initial priorities lie in [depth, depth + 1): above every lowered one (1 .. depth-1).
        return priority.computeIfAbsent(link, l -> depth + rng.nextDouble());
    }

    @Override
    public int choose(Links links) {
        decision++;
        int best = highest(links);
        while (nextChange < changePoints.length && changePoints[nextChange] == decision) {
            // The i-th change point (1-based) lowers the thread about to run to priority d - i.
            nextChange++;
            priority.put(links.from(best) + ">" + links.to(best), (double) (depth - nextChange));
            best = highest(links);
        }
        return best;
    }

    private int highest(Links links) {
        int best = 0;
        double bp = -1;
        for (int i = 0; i < links.size(); i++) {
            double p = priorityOf(links.from(i) + ">" + links.to(i));
            if (p > bp) { bp = p; best = i; }
        }
        return best;
    }
}
