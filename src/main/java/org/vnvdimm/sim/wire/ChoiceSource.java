package org.vnvdimm.sim.wire;

/**
 * Where the scheduler's choices come from: which of the links that have a message waiting
 * delivers next. The default is a seeded uniform choice ({@link #seeded}); exploration plugs in
 * PCT priorities, a schedule file forces recorded choices, and a replay forces a recorded run's
 * delivery order. Only called when more than one link has a message waiting, unless
 * {@link #everyDelivery()} says otherwise.
 */
public interface ChoiceSource {
    /** The links with a message waiting, in the scheduler's own (deterministic) order. */
    interface Links {
        int size();

        String from(int i);

        String to(int i);

        /** The enqueue number of link i's oldest message: lower was sent earlier. */
        long age(int i);

        /** The message link i would deliver (read only). */
        org.vnvdimm.proto.Envelope.Builder head(int i);
    }

    /** Index into links of the link that delivers next. */
    int choose(Links links);

    /** True when choose must also be asked when one link alone has a message (a replay follows every delivery). */
    default boolean everyDelivery() { return false; }

    /** Today's scheduler: uniform among the links, from a SplittableRandom of the seed. */
    static ChoiceSource seeded(long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        return links -> rng.nextInt(links.size());
    }

    /** The link whose waiting message was sent first (the "default order" shrinking falls back to). */
    static int oldest(Links links) {
        int best = 0;
        for (int i = 1; i < links.size(); i++) if (links.age(i) < links.age(best)) best = i;
        return best;
    }
}
