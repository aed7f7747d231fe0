package org.vnvdimm.sim.scenario;

import java.util.List;
import org.vnvdimm.proto.Fault;
import org.vnvdimm.proto.Scenario;

/** Faults given on the command line (`--fault 'YAML'`), checked by the same rule as a file's `faults:`. */
public final class FaultOptions {
    private FaultOptions() {}

    /** The scenario with each --fault appended to its faults; errors point into the option's text. */
    public static Scenario append(Scenario base, List<String> yamls) throws ScenarioException {
        Scenario.Builder b = base.toBuilder();
        for (int i = 0; i < yamls.size(); i++) {
            Fault.Builder f = Fault.newBuilder();
            String name = "--fault" + (yamls.size() > 1 ? " #" + (i + 1) : "");
            SourceMap where = YamlProtoReader.read(yamls.get(i), name, f);
            Scenario alone = base.toBuilder().clearFaults().addFaults(f).build();
            ScenarioValidator.Report r = new ScenarioValidator.Report(where.prefixed("faults[0]"));
            ScenarioValidator.faultsAreWellFormed(alone, r);
            r.throwIfAny();
            b.addFaults(f);
        }
        return b.build();
    }
}
