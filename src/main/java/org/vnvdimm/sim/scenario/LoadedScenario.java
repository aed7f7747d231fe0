package org.vnvdimm.sim.scenario;

import org.vnvdimm.proto.Scenario;

/**
 * A valid scenario together with where each of its values was written, so that later stages (the
 * run itself) can still point at the file when a value turns out to be unusable.
 */
public record LoadedScenario(Scenario scenario, SourceMap source) {
}
