package org.vnvdimm.sim.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.vnvdimm.proto.Fault;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.wire.Wire;

/**
 * Delta debugging (Zeller and Hildebrandt's ddmin) over a failing run's faults and over its
 * schedule's non-default choices: a smaller set is kept when the same oracle still fires (the one
 * behind the run's first unexpected verdict; for a run that failed only by its steps, when it
 * still fails). A choice removed means that decision takes the default order.
 */
public final class Shrinker {
    public record Result(Scenario scenario, Schedule schedule, String target, int faultsBefore, int faultsAfter,
                         int choicesBefore, int choicesAfter, int runs) {
        public String line() {
            return String.format(java.util.Locale.ROOT, "shrink: %s still fails with %d of %d fault(s) (%d removed) and %d of %d non-default choice(s)"
                            + " (%d removed), %d runs", target, faultsAfter, faultsBefore, faultsBefore - faultsAfter, choicesAfter, choicesBefore,
                    choicesBefore - choicesAfter, runs);
        }
    }

    /** Bound on the runs one shrink makes. */
    public static final int MAX_RUNS = 5_000;

    private final Simulator sim;
    private final long seed;
    private final UnaryOperator<Wire.ComponentFactory> substitute;
    private int runs;
    private String target;

    public Shrinker(Simulator sim, long seed, UnaryOperator<Wire.ComponentFactory> substitute) {
        this.sim = sim;
        this.seed = seed;
        this.substitute = substitute == null ? UnaryOperator.identity() : substitute;
    }

    private RunResult run(Scenario s, Schedule sch) {
        runs++;
        return sim.run(s, seed, null, Recorders.none(), substitute, sch.replay());
    }

    /** The oracle of the earliest unexpected verdict, or "" when only the expectations failed. */
    static String primary(Scenario s, RunResult r) {
        TreeSet<String> expected = new TreeSet<>(s.getExpect().getViolationsList());
        Verdict first = null;
        for (Verdict v : r.verdicts()) {
            if (!expected.contains(v.getOracle()) && (first == null || v.getSeq() < first.getSeq())) first = v;
        }
        return first == null ? "" : first.getOracle();
    }

    private boolean stillFails(Scenario s, Schedule sch) {
        if (runs >= MAX_RUNS) return false;
        RunResult r = run(s, sch);
        if (target.isEmpty()) return !r.passed();
        TreeSet<String> fired = new TreeSet<>(r.firedOracles());
        fired.removeAll(s.getExpect().getViolationsList());
        return fired.contains(target);
    }

    public Result shrink(Scenario s, Schedule sch) {
        RunResult r0 = run(s, sch);
        if (r0.passed()) throw new IllegalArgumentException("the run passes: nothing to shrink");
        target = primary(s, r0);
        List<Fault> faults = ddmin(s.getFaultsList(), f -> stillFails(withFaults(s, f), sch));
        Scenario s1 = withFaults(s, faults);
        List<Schedule.Choice> choices = ddmin(sch.choices(), c -> stillFails(s1, new Schedule(c)));
        Schedule sch1 = new Schedule(choices);
        // Fewer choices can make faults unnecessary: one more pass over them.
        faults = ddmin(faults, f -> stillFails(withFaults(s, f), sch1));
        return new Result(withFaults(s, faults), sch1, target.isEmpty() ? "the run" : target, s.getFaultsCount(), faults.size(),
                sch.size(), choices.size(), runs);
    }

    static Scenario withFaults(Scenario s, List<Fault> f) { return s.toBuilder().clearFaults().addAllFaults(f).build(); }

    /** ddmin: a 1-minimal sublist for which fails holds (items itself is assumed to fail). */
    static <T> List<T> ddmin(List<T> items, Predicate<List<T>> fails) {
        List<T> cur = new ArrayList<>(items);
        if (cur.isEmpty()) return cur;
        if (fails.test(List.of())) return new ArrayList<>();
        int n = 2;
        while (cur.size() >= 2) {
            int chunk = (cur.size() + n - 1) / n;
            boolean reduced = false;
            for (int start = 0; start < cur.size(); start += chunk) {
                List<T> sub = cur.subList(start, Math.min(cur.size(), start + chunk));
                if (sub.size() < cur.size() && fails.test(sub)) {
                    cur = new ArrayList<>(sub);
                    n = 2;
                    reduced = true;
                    break;
                }
                List<T> complement = new ArrayList<>(cur.subList(0, start));
                complement.addAll(cur.subList(Math.min(cur.size(), start + chunk), cur.size()));
                if (!complement.isEmpty() && fails.test(complement)) {
                    cur = complement;
                    n = Math.max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced) {
                if (n >= cur.size()) break;
                n = Math.min(cur.size(), 2 * n);
            }
        }
        return cur;
    }
}
