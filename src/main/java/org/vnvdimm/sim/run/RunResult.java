package org.vnvdimm.sim.run;

import java.util.List;
import java.util.TreeSet;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.StepOutcome;
import org.vnvdimm.proto.Verdict;

/** What a run produced: its summary (deliveries, verdicts, whether expectations held) and step results. */
public record RunResult(RunSummary summary, List<StepOutcome> steps) {
    public boolean passed() { return summary.getExpectationsMet(); }

    public List<Verdict> verdicts() { return summary.getVerdictsList(); }

    public TreeSet<String> firedOracles() {
        TreeSet<String> s = new TreeSet<>();
        for (Verdict v : summary.getVerdictsList()) s.add(v.getOracle());
        return s;
    }
}
