package org.vnvdimm.sim.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that gets one run of a scenario as its {@link Run} parameter:
 * {@code @ScenarioTest("boot") void t(Run run) { assertTrue(run.passed()); }}.
 * value is a built-in name or a YAML file; faults are added as with `run --fault`.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@ExtendWith(VnvdimmExtension.class)
public @interface ScenarioTest {
    String value();

    /** The scheduler seed; -1 = the scenario's own. */
    long seed() default -1;

    /** Faults in scenario-file YAML, e.g. "hypercall_error: {hypercall: XEN_DOMCTL_memory_mapping, nth: 3, errno: ENOMEM}". */
    String[] faults() default {};
}
