package org.vnvdimm.sim.junit;

import java.util.List;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.FaultOptions;

/**
 * Runs what {@link ScenarioTest} and {@link Explore} ask for and hands the test its {@link Run} or
 * {@link ExploreResult}. One simulator (one ActorSystem) serves every test of a JUnit run.
 */
public final class VnvdimmExtension implements ParameterResolver, BeforeTestExecutionCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(VnvdimmExtension.class);

    /** The shared simulator, closed when the JUnit run ends. */
    static final class SharedSimulator implements ExtensionContext.Store.CloseableResource {
        final Simulator sim = new Simulator();

        @Override public void close() { sim.close(); }
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        Class<?> t = p.getParameter().getType();
        return (t == Run.class && c.getRequiredTestMethod().isAnnotationPresent(ScenarioTest.class))
                || (t == ExploreResult.class && c.getRequiredTestMethod().isAnnotationPresent(Explore.class));
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        ScenarioTest st = c.getRequiredTestMethod().getAnnotation(ScenarioTest.class);
        if (st != null) {
            Scenario s = load(st.value(), List.of(st.faults()));
            Simulator sim = c.getRoot().getStore(NS).getOrComputeIfAbsent(SharedSimulator.class, k -> new SharedSimulator(), SharedSimulator.class).sim;
            return Vnvdimm.run(sim, s, st.seed() >= 0 ? st.seed() : s.getSeed());
        }
        Explore ex = c.getRequiredTestMethod().getAnnotation(Explore.class);
        Scenario s = load(ex.scenario(), List.of());
        return Vnvdimm.explore(s, ex.runs(), ex.strategy(), ex.depth(), ex.randomFaults(), ex.parallel(), ex.seed());
    }

    /** An @Explore method that takes no ExploreResult still explores (and fails on a failing run). */
    @Override
    public void beforeTestExecution(ExtensionContext c) {
        Explore ex = c.getRequiredTestMethod().getAnnotation(Explore.class);
        if (ex == null) return;
        for (Class<?> t : c.getRequiredTestMethod().getParameterTypes()) if (t == ExploreResult.class) return;
        Vnvdimm.explore(load(ex.scenario(), List.of()), ex.runs(), ex.strategy(), ex.depth(), ex.randomFaults(), ex.parallel(), ex.seed());
    }

    private static Scenario load(String nameOrFile, List<String> faults) {
        try {
            Scenario s = BuiltinScenarios.resolve(nameOrFile);
            return faults.isEmpty() ? s : FaultOptions.append(s, faults);
        } catch (Exception e) {
            throw new ParameterResolutionException(e.getMessage(), e);
        }
    }
}
