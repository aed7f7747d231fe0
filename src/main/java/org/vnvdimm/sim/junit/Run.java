package org.vnvdimm.sim.junit;

import java.util.List;
import java.util.TreeSet;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.StepOutcome;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.run.RunResult;

/** One finished run: its verdicts, step outcomes, summary and trace. */
public final class Run {
    private final Scenario scenario;
    private final long seed;
    private final RunResult result;
    private final Trace trace;

    Run(Scenario scenario, long seed, RunResult result, List<TraceRecord> records) {
        this.scenario = scenario;
        this.seed = seed;
        this.result = result;
        this.trace = new Trace(records);
    }

    public Scenario scenario() { return scenario; }

    public long seed() { return seed; }

    /** The scenario's expectations held (every step as expected, exactly the expected oracles fired). */
    public boolean passed() { return result.passed(); }

    public List<Verdict> verdicts() { return result.verdicts(); }

    /** The oracles that fired. */
    public TreeSet<String> fired() { return result.firedOracles(); }

    public List<StepOutcome> steps() { return result.steps(); }

    public RunSummary summary() { return result.summary(); }

    public Trace trace() { return trace; }

    @Override
    public String toString() {
        return "run of " + scenario.getName() + " seed " + Long.toUnsignedString(seed) + ": " + result.summary().getOutcome();
    }
}
