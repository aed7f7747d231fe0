package org.vnvdimm.sim.junit;

import org.vnvdimm.sim.explore.Explorer;

/** What an {@link Explore} test explored (it has already failed the test if any run failed). */
public record ExploreResult(Explorer.Report report) {
    public int runs() { return report.runs(); }

    public int distinctTraces() { return report.distinctTraces(); }
}
