package org.vnvdimm.sim.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.InvalidPathException;
import java.util.Locale;
import org.vnvdimm.sim.oracle.Oracles;
import org.vnvdimm.sim.record.RunFolder;
import org.vnvdimm.sim.scenario.FileErrors;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.vnvdimm.sim.journal.Journal;
import org.vnvdimm.sim.journal.JournalRecorder;
import org.vnvdimm.sim.journal.JournalSettings;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceReader;
import org.vnvdimm.sim.record.Recorders;
import org.vnvdimm.sim.record.TraceFiles;
import org.vnvdimm.sim.record.TraceText;
import org.vnvdimm.sim.run.RunResult;
import org.vnvdimm.proto.StepOutcome;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.ScenarioException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Run a scenario (a built-in name or a YAML file; default: boot) and print its trace.",
                "Exit 0: the scenario's expectations hold; 1: they do not; 2: bad input (nothing runs, no folder is made).",
                "The run writes into .NAME.partial-PID beside its folder and renames it into place when it has ended."})
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME|FILE", description = "Built-in scenario or YAML file (default: boot).")
    String scenario = "boot";

    @Option(names = "--seed", paramLabel = "N",
            description = "Scheduler seed, an unsigned 64-bit integer (0 to 18446744073709551615, decimal or 0x hex; default: the scenario's seed).")
    String seed;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Run folder (default: a new folder runs/NAME-seedN-K). Must not exist or be empty, unless --force.")
    String out;

    @Option(names = "--force",
            description = "Use a non-empty --out folder: remove only the simulator's files in it (" + "trace.bin, trace.jsonl, trace.txt, trace.mmd, summary.json"
                    + "), keep everything else.")
    boolean force;

    @Option(names = "--fault", paramLabel = "YAML",
            description = "Add a fault to the scenario's faults, written as in a scenario file, e.g. "
                    + "'hypercall_error: {hypercall: XEN_DOMCTL_memory_mapping, nth: 3, errno: ENOMEM}'. Repeatable.")
    List<String> faultOptions = new java.util.ArrayList<>();

    @Option(names = "--schedule", paramLabel = "FILE",
            description = "Force the scheduler's choices recorded in FILE (written by explore and shrink); other choices take the default order.")
    String schedule;

    @Option(names = "--journal", paramLabel = "URL",
            description = "Record the run in this journal: jdbc:postgresql://HOST:PORT/DB or jdbc:h2:file:PATH (default: application.conf's "
                    + "vnvdimm.journal.url, else the H2 file runs/journal.mv.db).")
    String journal;

    @Option(names = "--no-journal", description = "Do not record the run in the journal (the run folder is still written).")
    boolean noJournal;

    @Option(names = {"-q", "--quiet"}, description = "Print only the summary, not the trace.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Print every observation (p2m changes, extents) under each line.")
    boolean verbose;

    static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** An unsigned 64-bit seed, decimal or 0x hex with '_' between digits; null with the reason printed if not. */
    static Long parseSeed(String text) {
        String t = text.strip().replace("_", "");
        BigInteger v = null;
        try {
            if (!text.contains("__") && !text.startsWith("_") && !text.endsWith("_") && !t.isEmpty()) {
                String lower = t.toLowerCase(Locale.ROOT);
                if (lower.startsWith("0x") && lower.length() > 2 && lower.substring(2).matches("[0-9a-f]+")) {
                    v = new BigInteger(lower.substring(2), 16);
                } else if (t.matches("[0-9]+")) {
                    v = new BigInteger(t);
                } else if (t.matches("-[0-9]+")) {
                    v = new BigInteger(t); // negative: refused below, with its own words
                }
            }
        } catch (NumberFormatException e) {
            v = null;
        }
        String expected = "vnvdimm run: --seed: expected an unsigned 64-bit integer from 0 to " + U64_MAX + " (decimal or 0x hex)";
        if (v == null) {
            System.err.println(expected + ", got '" + text + "'");
            return null;
        }
        if (v.signum() < 0) {
            System.err.println(expected + ", got '" + text + "', which is negative");
            return null;
        }
        if (v.compareTo(U64_MAX) > 0) {
            System.err.println(expected + ", got '" + text + "', which is above 2^64 - 1");
            return null;
        }
        return v.longValue();
    }

    @Override
    public Integer call() throws IOException {
        Long seedValue = null;
        if (seed != null && (seedValue = parseSeed(seed)) == null) {
            return Main.EXIT_BAD_INPUT;
        }
        if (out != null && out.isBlank()) {
            System.err.println("vnvdimm run: --out: expected a folder name, got '" + out + "'");
            return Main.EXIT_BAD_INPUT;
        }
        JournalSettings js = null;
        if (noJournal && journal != null) {
            System.err.println("vnvdimm run: --journal and --no-journal exclude each other; give one");
            return Main.EXIT_BAD_INPUT;
        }
        if (!noJournal) {
            try {
                js = JournalSettings.resolve(journal);
            } catch (JournalSettings.Unusable e) {
                System.err.println("vnvdimm run: " + e.getMessage());
                return Main.EXIT_BAD_INPUT;
            }
        }
        Scenario sc;
        try {
            sc = BuiltinScenarios.resolve(scenario);
            if (!faultOptions.isEmpty()) sc = org.vnvdimm.sim.scenario.FaultOptions.append(sc, faultOptions);
        } catch (ScenarioException e) {
            System.err.println(e.getMessage());
            for (ScenarioException more : e.additional()) System.err.println(more.getMessage());
            return Main.EXIT_BAD_INPUT;
        } catch (IllegalArgumentException e) {
            System.err.println("vnvdimm: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        long s = seedValue != null ? seedValue : sc.getSeed();
        org.vnvdimm.sim.explore.Schedule forced = null;
        if (schedule != null) {
            try {
                forced = org.vnvdimm.sim.explore.Schedule.read(Path.of(schedule));
            } catch (org.vnvdimm.sim.explore.Schedule.BadSchedule | InvalidPathException e) {
                System.err.println("vnvdimm run: --schedule " + e.getMessage());
                return Main.EXIT_BAD_INPUT;
            }
        }
        Path target;
        try {
            target = out != null ? Path.of(out) : newRunDir(sc.getName(), s);
        } catch (InvalidPathException e) {
            System.err.println("vnvdimm run: --out: expected a folder name, got '" + out + "' (" + e.getReason() + ")");
            return Main.EXIT_BAD_INPUT;
        }
        RunFolder folder;
        try {
            folder = RunFolder.prepare(target, force, out == null);
        } catch (RunFolder.Refused e) {
            System.err.println("vnvdimm run: " + (out != null ? "--out " : "") + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        Path bin = folder.work().resolve("trace.bin");
        RunResult result;
        // The journal starts beside the run (its ActorSystem and database take a moment); the recorder waits for it.
        JournalSettings jsFinal = js;
        CompletableFuture<Journal> opening = js == null ? null : CompletableFuture.supplyAsync(() -> {
            try {
                return Journal.open(jsFinal);
            } catch (JournalSettings.Unusable e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, r -> { Thread t = new Thread(r, "vnvdimm-journal-open"); t.setDaemon(true); t.start(); });
        JournalRecorder jr = opening == null ? null : new JournalRecorder(opening);
        String recordedAs = null;
        String notRecorded = null;
        // Wall-clock time is measured around the run, for the user; nothing inside the run sees it.
        long t0 = System.nanoTime();
        try (Simulator sim = new Simulator()) {
            result = sim.run(sc, s, bin, jr == null ? Recorders.none() : jr, java.util.function.UnaryOperator.identity(), forced == null ? null : forced.replay());
            if (jr != null) {
                try {
                    recordedAs = jr.runId();
                } catch (IllegalStateException e) {
                    notRecorded = e.getMessage();
                }
            }
        } catch (UncheckedIOException e) {
            // trace.bin could not be written (disk full, folder removed ...): say why, and where the partial run is.
            System.err.println("vnvdimm run: cannot write " + bin + ": " + FileErrors.describe(e.getCause())
                    + " (the run is not complete; nothing was put at " + target + ")");
            return Main.EXIT_BAD_INPUT;
        }
        long t1 = System.nanoTime();
        PrintStream o = new PrintStream(new java.io.BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
        TraceFiles.Written w;
        Path dir;
        try {
            // summary.json is the last file TraceFiles writes; the folder is put in place after it.
            w = TraceFiles.write(folder.work(), bin, result.summary());
            dir = folder.commit();
        } catch (IOException | UncheckedIOException e) {
            IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            System.err.println("vnvdimm run: cannot write the run folder " + folder.work() + ": " + FileErrors.describe(io)
                    + " (the run is not complete; nothing was put at " + target + ")");
            return Main.EXIT_BAD_INPUT;
        }
        Path shown = out != null ? target : Path.of("runs").resolve(dir.getFileName());
        long t2 = System.nanoTime();
        if (!quiet) {
            try (TraceReader r = new TraceReader(dir.resolve("trace.bin"))) {
                w.shape().text(verbose ? TraceText.Detail.VERBOSE : TraceText.Detail.NORMAL).render(r.iterator(), o::println);
            }
            o.println();
        }
        List<Path> files = new java.util.ArrayList<>();
        for (String f : RunFolder.FILES) files.add(shown.resolve(f));
        summary(o, sc, s, result, files);
        if (recordedAs != null) o.println("recorded as " + recordedAs + " in the journal " + js.shown());
        o.printf(Locale.ROOT, "took %.2f s to simulate, %.2f s to write the trace files%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        o.flush();
        if (opening != null) opening.thenAccept(Journal::close).exceptionally(e -> null).join();
        if (notRecorded != null) {
            System.err.println("vnvdimm run: the run was not recorded in the journal: " + notRecorded.replaceFirst("^journal: ", ""));
            return Main.EXIT_BAD_INPUT;
        }
        return result.passed() ? Main.EXIT_OK : Main.EXIT_EXPECTATION_FAILED;
    }

    static Path newRunDir(String name, long seed) {
        Path base = Path.of("runs");
        for (int i = 1; ; i++) {
            Path p = base.resolve(name + "-seed" + Long.toUnsignedString(seed) + "-" + i);
            if (!Files.exists(p)) return p;
        }
    }

    static void summary(PrintStream o, Scenario sc, long seed, RunResult r, List<Path> files) {
        RunSummary s = r.summary();
        o.printf(Locale.ROOT, "scenario %s, seed %s: %d deliveries, %.3f ms virtual time%n", sc.getName(), Long.toUnsignedString(seed),
                s.getDeliveries(), s.getVtimeNs() / 1e6);
        int shownSteps = 0;
        for (StepOutcome st : s.getFailedStepsList()) {
            if (shownSteps++ == 20) { o.printf(Locale.ROOT, "  … %d more failed step(s) in summary.json%n", s.getFailedStepsCount() - 20); break; }
            o.printf(Locale.ROOT, "  step %s (%s) failed%s: %s%s%n", Simulator.stepName(st), st.getCommand(), st.getExpected() ? ", as expected" : "",
                    st.getErrno().isEmpty() ? "rc " + st.getRc() : st.getErrno(), st.getOutput().isEmpty() ? "" : " — " + st.getOutput());
        }
        if (s.getVerdictsCount() == 0) {
            o.println("oracles: " + String.join(", ", Oracles.ALL) + " — no violation");
        } else {
            o.printf(Locale.ROOT, "oracles: %d violation(s)%s%n", s.getVerdictsCount(),
                    s.getVerdictsFolded() + s.getVerdictsDropped() == 0 ? ""
                            : " (" + s.getVerdictsFolded() + " repeats folded, " + s.getVerdictsDropped() + " beyond the per-oracle bound dropped)");
            int shown = 0;
            for (Verdict v : s.getVerdictsList()) {
                if (shown++ == 20) { o.printf(Locale.ROOT, "  … %d more in summary.json%n", s.getVerdictsCount() - 20); break; }
                o.printf(Locale.ROOT, "  ✗ %s at #%d: %s%s%n", v.getOracle(), v.getSeq(), v.getDetail(),
                        v.getRepeats() == 0 ? "" : " (and " + v.getRepeats() + " more time(s), last at #" + v.getLastSeq() + ")");
            }
        }
        for (String f : s.getFaultsAppliedList()) o.println("fault at " + f);
        for (String w : s.getFaultWarningsList()) o.println("warning: " + w);
        o.println((r.passed() ? "PASS: " : "FAIL: ") + s.getOutcome());
        o.println("trace sha256 " + s.getTraceSha256());
        for (Path f : files) o.println("wrote " + f);
        o.flush();
    }
}
