package org.vnvdimm.sim.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.vnvdimm.sim.scenario.FileErrors;
import org.vnvdimm.sim.view.RecordedRun;
import org.vnvdimm.sim.view.JournalRun;
import org.vnvdimm.sim.view.RecordedRuns;
import org.vnvdimm.sim.view.RunFolderRun;
import org.vnvdimm.sim.view.SequenceDiagrams;
import org.vnvdimm.sim.view.TraceFilter;
import org.vnvdimm.sim.view.TraceViews;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "trace", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Show a recorded run's trace: as text, JSON lines, Mermaid or PlantUML sequence diagrams, Perfetto/Chrome trace-event JSON, or one self-contained HTML page.",
                "RUN is a run folder (what `run --out DIR` writes; a .NAME.partial-PID folder shows what a killed run recorded) or a run id in the journal (`vnvdimm runs`).",
                "Mermaid and PlantUML output is split into parts that each stay within the renderer's default limits. With --out FILE, Mermaid's part 2 goes to FILE-2.EXT and so on; PlantUML's parts all go to FILE, one @startuml block each.",
                "Exit 0: written; 2: bad input."})
final class TraceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "A run folder, or a run id in the journal (see `vnvdimm runs`).")
    String run;

    @Option(names = "--format", paramLabel = "FORMAT", description = "text (default), jsonl, mermaid, plantuml, perfetto or html.")
    String format = "text";

    @Option(names = "--role", paramLabel = "R", description = "Only deliveries sent or received by R (repeatable).")
    List<String> roles = new ArrayList<>();

    @Option(names = "--from", paramLabel = "N", description = "Only deliveries numbered N or later.")
    String from;

    @Option(names = "--to", paramLabel = "N", description = "Only deliveries numbered N or earlier.")
    String to;

    @Option(names = "--grep", paramLabel = "TEXT", description = "Only deliveries whose line, observations or verdicts contain TEXT (ignoring case).")
    String grep;

    @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE (replaced if it exists) instead of standard output.")
    String out;

    @Option(names = "--journal", paramLabel = "URL", description = "The journal a run id is read from (default: application.conf's vnvdimm.journal.url, else runs/journal.mv.db).")
    String journal;

    /** A run read from the journal holds it open until the command is done. */
    private JournalRun opened;

    @Override
    public Integer call() throws IOException {
        try {
            return view();
        } finally {
            if (opened != null) opened.close();
        }
    }

    private Integer view() throws IOException {
        TraceViews.Format f = TraceViews.Format.parse(format);
        if (f == null) return bad("--format: expected one of " + TraceViews.Format.names() + ", got '" + format + "'");
        long fromSeq = 0, toSeq = Long.MAX_VALUE;
        if (from != null && (fromSeq = seq("--from", from)) < 0) return Main.EXIT_BAD_INPUT;
        if (to != null && (toSeq = seq("--to", to)) < 0) return Main.EXIT_BAD_INPUT;
        if (fromSeq > toSeq) return bad("--from " + from + " is after --to " + to + "; nothing would be shown");
        Path target = null;
        if (out != null) {
            try {
                target = Path.of(out);
            } catch (InvalidPathException e) {
                return bad("--out: expected a file name, got '" + out + "' (" + e.getReason() + ")");
            }
            if (out.isBlank()) return bad("--out: expected a file name, got '" + out + "'");
            if (Files.isDirectory(target)) return bad("--out " + out + ": is a directory; give a file name");
        }
        RecordedRun r;
        try {
            r = RecordedRuns.open(run, journal);
            if (r instanceof JournalRun jr) opened = jr;
        } catch (RunFolderRun.NotARun e) {
            return bad(e.getMessage());
        }
        if (!roles.isEmpty()) {
            Set<String> known = TraceViews.roles(r);
            Set<String> unknown = new TreeSet<>(roles);
            unknown.removeAll(known);
            if (!unknown.isEmpty()) {
                return bad("--role: no component " + String.join(", ", unknown) + " in " + run + "; its components are " + String.join(", ", TraceViews.inLaneOrder(known)));
            }
        }
        TraceFilter filter = new TraceFilter(Set.copyOf(roles), fromSeq, toSeq, grep);
        try {
            if (target == null) {
                Writer w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
                TraceViews.write(r, filter, f, part -> w, false);
                w.flush();
                return Main.EXIT_OK;
            }
            return writeFiles(r, filter, f, target);
        } catch (UncheckedIOException e) {
            return bad("cannot read " + run + ": " + FileErrors.describe(e.getCause()));
        }
    }

    /** Each file is written beside its name and renamed into place, so a reader never sees half of one. */
    private int writeFiles(RecordedRun r, TraceFilter filter, TraceViews.Format f, Path target) throws IOException {
        List<Path[]> done = new ArrayList<>();
        Path[] open = new Path[2];
        Writer[] current = new Writer[1];
        try {
            TraceViews.write(r, filter, f, part -> {
                try {
                    if (current[0] != null) {
                        current[0].close();
                        done.add(open.clone());
                    }
                    Path dest = SequenceDiagrams.partFile(target, part);
                    Path abs = dest.toAbsolutePath();
                    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".partial-" + ProcessHandle.current().pid());
                    open[0] = tmp;
                    open[1] = dest;
                    current[0] = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
                    return current[0];
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, true);
            if (current[0] != null) {
                current[0].close();
                done.add(open.clone());
            }
            for (Path[] p : done) Files.move(p[0], p[1], StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (UncheckedIOException | IOException e) {
            IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            if (open[0] != null) Files.deleteIfExists(open[0]);
            for (Path[] p : done) Files.deleteIfExists(p[0]);
            return bad("--out " + out + ": cannot write it: " + FileErrors.describe(io));
        }
        for (Path[] p : done) System.out.println("wrote " + p[1]);
        return Main.EXIT_OK;
    }

    private static long seq(String option, String text) {
        try {
            long v = Long.parseLong(text.strip().replaceFirst("^#", "").replace("_", "").replace(",", ""));
            if (v >= 1) return v;
        } catch (NumberFormatException e) {
            // said below
        }
        System.err.println("vnvdimm trace: " + option + ": expected a delivery number from 1 (as in #0081 or 81), got '" + text + "'");
        return -1;
    }

    private static int bad(String message) {
        System.err.println("vnvdimm trace: " + message);
        return Main.EXIT_BAD_INPUT;
    }
}
