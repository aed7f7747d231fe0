package org.vnvdimm.sim.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "bench", description = "Measure the wire (deliveries/s with recording on) and boot runs/s.")
final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("bench: see Bench (not wired yet)");
        return Main.EXIT_BAD_INPUT;
    }
}
