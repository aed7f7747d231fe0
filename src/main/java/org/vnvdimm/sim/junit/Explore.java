package org.vnvdimm.sim.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.vnvdimm.sim.explore.Explorer;

/**
 * A test that explores a scenario (as `./vnvdimm explore`) and fails with the failing runs and
 * a command that reproduces each. The method body runs afterwards with the {@link ExploreResult}
 * if it takes one.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@ExtendWith(VnvdimmExtension.class)
public @interface Explore {
    String scenario();

    int runs() default 100;

    Explorer.Strategy strategy() default Explorer.Strategy.RANDOM;

    int depth() default 2;

    /** Up to this many random faults per run (explore --faults random:K); 0 = none. */
    int randomFaults() default 0;

    int parallel() default 2;

    long seed() default 1;
}
