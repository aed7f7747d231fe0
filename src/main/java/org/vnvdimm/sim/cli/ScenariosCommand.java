package org.vnvdimm.sim.cli;

import java.util.concurrent.Callable;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.scenario.ScenarioException;
import picocli.CommandLine.Command;

@Command(name = "scenarios", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "List the built-in scenarios.")
final class ScenariosCommand implements Callable<Integer> {
    @Override
    public Integer call() throws ScenarioException {
        for (String n : BuiltinScenarios.names()) {
            Scenario s = BuiltinScenarios.resolve(n);
            String expect = s.getExpect().getViolationsCount() == 0 ? "expects no violation" : "expects " + String.join(", ", s.getExpect().getViolationsList());
            java.util.List<String> fails = new java.util.ArrayList<>();
            for (org.vnvdimm.proto.ExpectedStepFailure f : s.getExpect().getStepFailuresList()) fails.add("step " + f.getStep() + " " + f.getErrno());
            if (!fails.isEmpty()) expect += "; " + String.join(", ", fails);
            System.out.printf(java.util.Locale.ROOT, "%-24s %s (%s)%n", n, s.getDescription().strip().replaceAll("\\s+", " "), expect);
        }
        return Main.EXIT_OK;
    }
}
