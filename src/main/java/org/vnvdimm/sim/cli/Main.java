package org.vnvdimm.sim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** vnvdimm: run, list and benchmark scenarios of the Xen virtual-NVDIMM stack; build guest ACPI. */
@Command(name = "vnvdimm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Deterministic simulation of Xen, Dom0, QEMU and an HVM guest with a virtual NVDIMM.",
        subcommands = {RunCommand.class, RunsCommand.class, ReplayCommand.class, DiffCommand.class, ShowCommand.class, TraceCommand.class, ExploreCommand.class, ShrinkCommand.class,
                CompareCommand.class, ScenariosCommand.class, AcpiCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_EXPECTATION_FAILED = 1;
    public static final int EXIT_BAD_INPUT = 2;

    /** The build's code version (a hash of its sources), as the trace header records it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() { return new String[] {org.vnvdimm.sim.run.Simulator.CODE_VERSION}; }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        // Akka logs while logback starts; slf4j would otherwise print a notice about replaying that.
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // Never a stack trace for the user: say what failed and stop.
            cmd.getErr().println("vnvdimm: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return EXIT_BAD_INPUT;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("vnvdimm: " + ex.getMessage());
            return EXIT_BAD_INPUT;
        });
        return cl.execute(args);
    }
}
