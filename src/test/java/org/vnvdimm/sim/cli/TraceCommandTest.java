package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.sim.cli.CliTest.vnvdimm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.sim.view.SequenceDiagrams;

/** `vnvdimm trace RUN`: the run folder's files come from the same code; filters; parts; precise errors. */
class TraceCommandTest {
    @TempDir static Path tmp;
    static Path boot;

    @BeforeAll
    static void runBoot() {
        boot = tmp.resolve("boot");
        assertEquals(0, vnvdimm("run", "boot", "--out", boot.toString(), "-q").rc());
    }

    @Test
    void textJsonlAndMermaidOfAWholeRunAreTheRunFoldersFiles() throws Exception {
        assertEquals(Files.readString(boot.resolve("trace.txt")), vnvdimm("trace", boot.toString()).out());
        assertEquals(Files.readString(boot.resolve("trace.jsonl")), vnvdimm("trace", boot.toString(), "--format", "jsonl").out());
        assertEquals(Files.readString(boot.resolve("trace.mmd")), vnvdimm("trace", boot.toString(), "--format", "mermaid").out(), "boot fits one Mermaid part");
    }

    @Test
    void filtersKeepOnlyTheDeliveriesAsked() {
        CliTest.Out r = vnvdimm("trace", boot.toString(), "--role", "qemu-1", "--from", "50", "--to", "#400");
        assertEquals(0, r.rc(), r.err());
        List<String> lines = Arrays.stream(r.out().split("\n")).filter(l -> l.startsWith("#")).toList();
        assertTrue(lines.size() > 20, r.out());
        for (String l : lines) {
            long seq = Long.parseLong(l.substring(1, l.indexOf(' ')));
            assertTrue(seq >= 50 && seq <= 400, l);
            assertTrue(l.contains("qemu-1"), l);
        }
        CliTest.Out g = vnvdimm("trace", boot.toString(), "--grep", "FS_IOC_FIEMAP", "--format", "jsonl");
        List<String> json = Arrays.asList(g.out().split("\n"));
        assertEquals(2, json.size(), "the header and the one FIEMAP call: " + g.out());
        assertTrue(json.get(1).contains("\"fiemap\""), json.get(1));
    }

    @Test
    void plantUmlGoesToOneFileOfSeveralDiagramsAndMermaidToOneFilePerPart() throws Exception {
        Path big = tmp.resolve("big");
        assertEquals(0, vnvdimm("run", "scale-hotplug-64-guest", "--out", big.toString(), "-q").rc());
        Path puml = tmp.resolve("out/trace.puml");
        Files.createDirectories(puml.getParent());
        CliTest.Out p = vnvdimm("trace", big.toString(), "--format", "plantuml", "--out", puml.toString());
        assertEquals(0, p.rc(), p.err());
        String text = Files.readString(puml);
        long diagrams = text.lines().filter(l -> l.equals("@startuml")).count();
        assertTrue(diagrams > 10, "diagrams " + diagrams);
        assertEquals(diagrams, text.lines().filter(l -> l.equals("@enduml")).count());
        Path mmd = tmp.resolve("out/trace.mmd");
        CliTest.Out m = vnvdimm("trace", big.toString(), "--format", "mermaid", "--out", mmd.toString());
        assertEquals(0, m.rc(), m.err());
        List<String> wrote = Arrays.stream(m.out().split("\n")).toList();
        assertTrue(wrote.size() > 3, m.out());
        assertEquals("wrote " + mmd, wrote.get(0));
        assertEquals("wrote " + tmp.resolve("out/trace-2.mmd"), wrote.get(1));
        for (int k = 1; k <= wrote.size(); k++) {
            String part = Files.readString(SequenceDiagrams.partFile(mmd, k));
            assertTrue(part.startsWith("sequenceDiagram\n"), "part " + k);
            assertTrue(part.length() <= SequenceDiagrams.MERMAID_MAX_TEXT_SIZE, "part " + k + ": " + part.length());
        }
        assertFalse(Files.exists(SequenceDiagrams.partFile(mmd, wrote.size() + 1)));
        assertEquals(Files.readString(big.resolve("trace.mmd")).replace(" (all parts: vnvdimm trace RUN --format mermaid --out FILE)", ""),
                Files.readString(mmd), "trace.mmd is part 1, saying where the rest is");
    }

    @Test
    void aKilledRunShowsWhatItRecordedAndSaysItDidNotEnd() throws Exception {
        Path partial = tmp.resolve(".boot.partial-4711");
        Files.createDirectories(partial);
        byte[] bin = Files.readAllBytes(boot.resolve("trace.bin"));
        Files.write(partial.resolve("trace.bin"), Arrays.copyOf(bin, bin.length / 2)); // cut mid-record, as kill -9 leaves it
        CliTest.Out t = vnvdimm("trace", partial.toString());
        assertEquals(0, t.rc(), t.err());
        long shown = t.out().lines().filter(l -> l.startsWith("#")).count();
        assertTrue(shown > 100 && shown < 756, "what was recorded: " + shown);
        CliTest.Out h = vnvdimm("trace", partial.toString(), "--format", "html", "--out", tmp.resolve("partial.html").toString());
        assertEquals(0, h.rc(), h.err());
        assertTrue(Files.readString(tmp.resolve("partial.html")).contains("\"complete\":false"));
        CliTest.Out p = vnvdimm("trace", partial.toString(), "--format", "perfetto");
        assertTrue(p.out().contains("\"outcome\":\"incomplete: the run did not end\""), p.out().substring(0, 300));
    }

    @Test
    void badInputGetsOneLineAndExitTwo() throws Exception {
        Path noBin = tmp.resolve("empty");
        Files.createDirectories(noBin);
        Path corrupt = tmp.resolve("corrupt");
        Files.createDirectories(corrupt);
        Files.write(corrupt.resolve("trace.bin"), new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3, 4, 5, 6, 7, 8});
        Path file = tmp.resolve("out-dir");
        Files.createDirectories(file);
        String b = boot.toString();
        String[][] cases = {
            {tmp.resolve("nope") + ": no such run folder", "trace", tmp.resolve("nope").toString()},
            {boot.resolve("trace.txt") + ": is not a run folder (it is a regular file)", "trace", boot.resolve("trace.txt").toString()},
            {noBin + ": is not a run folder (no trace.bin in it)", "trace", noBin.toString()},
            {corrupt.resolve("trace.bin") + ": is not a vnvdimm trace", "trace", corrupt.toString()},
            {"--format: expected one of text, jsonl, mermaid, plantuml, perfetto, html, got 'svg'", "trace", b, "--format", "svg"},
            {"--from 10 is after --to 5; nothing would be shown", "trace", b, "--from", "10", "--to", "5"},
            {"--from: expected a delivery number from 1 (as in #0081 or 81), got 'x'", "trace", b, "--from", "x"},
            {"--role: no component qemu-9 in " + b + "; its components are admin, platform, xen, dom0, xl, xenstored, qemu-1, guest-1", "trace", b, "--role", "qemu-9"},
            {"--out " + file + ": is a directory; give a file name", "trace", b, "--out", file.toString()},
        };
        for (String[] c : cases) {
            CliTest.Out r = vnvdimm(Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.rc(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().startsWith("vnvdimm trace: " + c[0]), "expected '" + c[0] + "', got: " + r.err());
            assertEquals(1, r.err().lines().count(), "one line: " + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }
}
