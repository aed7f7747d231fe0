package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands a user types: their exit codes, outputs and files. */
class CliTest {
    @TempDir Path tmp;

    record Out(int rc, String out, String err) {}

    static synchronized Out vnvdimm(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
            int rc = Main.execute(args);
            return new Out(rc, bo.toString(StandardCharsets.UTF_8), be.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @Test
    void runBootPrintsTheTraceWritesTheRunFolderAndExitsZero() throws Exception {
        Path dir = tmp.resolve("boot");
        Out r = vnvdimm("run", "boot", "--seed", "3", "--out", dir.toString());
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().startsWith("#0001 admin"), r.out().substring(0, Math.min(200, r.out().length())));
        assertTrue(r.out().contains("PASS: no violation, as expected"));
        for (String f : List.of("trace.bin", "trace.jsonl", "trace.mmd", "trace.txt", "summary.json")) assertTrue(Files.exists(dir.resolve(f)), f);
        long deliveries = Long.parseLong(r.out().replaceAll("(?s).*seed 3: (\\d+) deliveries.*", "$1"));
        assertEquals(deliveries + 1, Files.readAllLines(dir.resolve("trace.jsonl")).size(), "header + one line per delivery");
        assertTrue(Files.readString(dir.resolve("trace.jsonl")).contains("\"domctl\":{\"cmd\":39"));
        List<String> mmd = Files.readAllLines(dir.resolve("trace.mmd"));
        assertEquals("sequenceDiagram", mmd.get(0));
        assertTrue(mmd.stream().anyMatch(l -> l.contains("qemu_1->>xen:") && l.contains("XEN_DOMCTL_memory_mapping")));
        assertTrue(Files.readString(dir.resolve("summary.json")).contains("\"expectationsMet\": true"));
    }

    @Test
    void aMalformedScenarioNamesFileLineColumnAndFieldAndNothingRuns() throws Exception {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, "name: bad\nplatform:\n  ram_bytes: lots\n  dimms: [{size_bytes: 1GiB}]\nsteps:\n  - power_on: {}\n");
        Out r = vnvdimm("run", bad.toString(), "--out", tmp.resolve("never").toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains(bad + ":3:14: platform.ram_bytes: expected"), r.err());
        assertFalse(r.err().contains("Exception"), "no stack trace");
        assertFalse(Files.exists(tmp.resolve("never")), "nothing ran");
        Out missing = vnvdimm("run", tmp.resolve("nope.yaml").toString());
        assertEquals(2, missing.rc());
        assertTrue(missing.err().contains("no built-in scenario and no file named"));
        Out dir = vnvdimm("run", tmp.toString(), "--out", tmp.resolve("never").toString());
        assertEquals(2, dir.rc());
        assertEquals("vnvdimm: " + tmp + ": is a directory, not a scenario file\n", dir.err());
        if (Files.exists(Path.of("/dev/zero"))) {
            Out zero = vnvdimm("run", "/dev/zero", "--out", tmp.resolve("never").toString());
            assertEquals(2, zero.rc());
            assertEquals("vnvdimm: /dev/zero: is not a regular file (it is a character device), not a scenario file\n", zero.err());
        }
        assertFalse(Files.exists(tmp.resolve("never")), "nothing ran");
    }

    @Test
    void aScenarioWhoseExpectationFailsExitsOne() throws Exception {
        String text = BuiltinScenarios.text("scenarios/boot.yaml").replace("violations: []", "violations: [isolation]");
        Path f = tmp.resolve("expect-isolation.yaml");
        Files.writeString(f, text);
        Out r = vnvdimm("run", f.toString(), "-q", "--out", tmp.resolve("x").toString());
        assertEquals(1, r.rc());
        assertTrue(r.out().contains("FAIL: expected but did not fire: isolation"), r.out());
    }

    @Test
    void scenariosListsTheBuiltins() {
        Out r = vnvdimm("scenarios");
        assertEquals(0, r.rc());
        for (String n : BuiltinScenarios.names()) assertTrue(r.out().contains(n), n);
        assertTrue(r.out().contains("expects boot-safety"));
    }

    static final String GOLDEN_OPTIONS = "-machine pc,nvdimm=on,nvdimm-persistence=cpu -smp 4,sockets=4 -m 128M,slots=3,maxmem=1G "
            + "-object memory-backend-ram,id=ram0,size=32M -object memory-backend-ram,id=ram1,size=32M "
            + "-object memory-backend-ram,id=ram2,size=32M -object memory-backend-ram,id=ram3,size=32M "
            + "-numa node,memdev=ram0,nodeid=0 -numa node,memdev=ram1,nodeid=1 -numa node,memdev=ram2,nodeid=2 -numa node,memdev=ram3,nodeid=3 "
            + "-numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=2,socket-id=2 -numa cpu,node-id=3,socket-id=3 "
            + "-object memory-backend-ram,id=ram4,size=128M -object memory-backend-ram,id=nvm0,size=128M "
            + "-device pc-dimm,id=dimm0,memdev=ram4,node=1 -device nvdimm,id=dimm1,memdev=nvm0,node=2";

    static byte[] golden(String name) throws Exception {
        try (var in = CliTest.class.getResourceAsStream("/acpi-golden/x86-pc/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    @Test
    void acpiWithTheGoldenOptionsWritesQemusOwnTables() throws Exception {
        Out r = vnvdimm("acpi", "--qemu", GOLDEN_OPTIONS, "--out", tmp.toString());
        assertEquals(0, r.rc(), r.err());
        assertArrayEquals(golden("NFIT.dimmpxm"), Files.readAllBytes(tmp.resolve("NFIT.dat")));
        byte[] ssdt = Files.readAllBytes(tmp.resolve("SSDT.dat")), g = golden("SSDT.dimmpxm");
        assertEquals(g.length, ssdt.length);
        // equal but for the firmware-patched MEMA dword and the checksum
        byte[] a = ssdt.clone(), b = g.clone();
        for (byte[] x : List.of(a, b)) { x[9] = 0; Arrays.fill(x, x.length - 4, x.length, (byte) 0); }
        assertArrayEquals(b, a);
        // patched as SeaBIOS did, the whole table is QEMU's
        vnvdimm("acpi", "--qemu", GOLDEN_OPTIONS, "--mema", "0x07FFE000", "--out", tmp.resolve("patched").toString());
        assertArrayEquals(g, Files.readAllBytes(tmp.resolve("patched/SSDT.dat")));
        assertTrue(r.out().contains("nvdimm  slot 1  addr 0x108000000"), r.out());
    }

    @Test
    void acpiRefusesWhatQemuRefusesNamingTheOption() {
        Out r = vnvdimm("acpi", "--qemu", "-machine pc,nvdimm=on -m 128M,slots=2,maxmem=1G -object memory-backend-ram,id=n,size=128M "
                + "-device nvdimm,id=d,memdev=n,label-size=64K", "--out", tmp.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("label-size"), r.err());
        assertTrue(r.err().contains("-device nvdimm,id=d"), r.err());
    }

    // ------------------------------------------------------------ help, seeds, --out, --force, the run folder

    @Test
    void helpWorksOnEverySubcommand() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"run", "--help"}, new String[] {"scenarios", "--help"},
                new String[] {"acpi", "--help"}, new String[] {"bench", "--help"}, new String[] {"help", "run"},
                new String[] {"help", "--help"}, new String[] {"run", "-h"})) {
            Out r = vnvdimm(args);
            assertEquals(0, r.rc(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: vnvdimm") || r.out().contains("Usage:"), String.join(" ", args) + ": " + r.out());
            assertEquals("", r.err(), String.join(" ", args));
        }
        assertTrue(vnvdimm("run", "--help").out().contains("--force"));
    }

    @Test
    void theLargestUnsignedSeedRunsAndIsWrittenAsItWasGiven() throws Exception {
        Path dir = tmp.resolve("max");
        Out r = vnvdimm("run", "boot", "-q", "--seed", "18446744073709551615", "--out", dir.toString());
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("scenario boot, seed 18446744073709551615: "), r.out());
        String summary = Files.readString(dir.resolve("summary.json"));
        assertTrue(summary.contains("\"seed\": \"18446744073709551615\""), summary);
        assertTrue(summary.contains("\"scenario\": \"boot\""), summary);
        assertTrue(summary.contains("\"codeVersion\": \"vnvdimm-sim"), summary);
        assertTrue(summary.contains("\"outcome\": "), summary);
        Out hex = vnvdimm("run", "boot", "-q", "--seed", "0xffff_ffff_ffff_ffff", "--out", tmp.resolve("hex").toString());
        assertEquals(0, hex.rc(), hex.err());
        assertEquals(Files.readString(dir.resolve("summary.json")), Files.readString(tmp.resolve("hex/summary.json")),
                "the same seed written in hex runs the same");
        assertEquals(List.of("hex", "max"), entries(tmp), "no temporary folder is left behind");
        Out zero = vnvdimm("run", "boot", "-q", "--seed", "0", "--out", tmp.resolve("zero").toString());
        assertEquals(0, zero.rc(), zero.err());
        assertTrue(Files.readString(tmp.resolve("zero/summary.json")).contains("\"seed\": \"0\""), "seed 0 is named too");
    }

    @Test
    void badSeedsAreRefusedPrecisely() throws Exception {
        String expected = "vnvdimm run: --seed: expected an unsigned 64-bit integer from 0 to 18446744073709551615 (decimal or 0x hex), got ";
        String[][] cases = {
            {"-1", "'-1', which is negative"},
            {"18446744073709551616", "'18446744073709551616', which is above 2^64 - 1"},
            {"seven", "'seven'"},
            {"", "''"},
            {"1.5", "'1.5'"},
        };
        for (String[] c : cases) {
            Out r = vnvdimm("run", "boot", "--seed", c[0], "--out", tmp.resolve("never").toString());
            assertEquals(2, r.rc(), c[0]);
            assertEquals(expected + c[1] + "\n", r.err(), c[0]);
        }
        Out eq = vnvdimm("run", "boot", "--seed=-5", "--out", tmp.resolve("never").toString());
        assertEquals(expected + "'-5', which is negative\n", eq.err());
        assertEquals(List.of(), entries(tmp), "no run folder on bad input");
    }

    @Test
    void outRefusesEmptyNamesFilesAndNonEmptyFoldersUnlessForced() throws Exception {
        Out empty = vnvdimm("run", "boot", "--out", "");
        assertEquals(2, empty.rc());
        assertEquals("vnvdimm run: --out: expected a folder name, got ''\n", empty.err());

        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Out notDir = vnvdimm("run", "boot", "--out", file.toString());
        assertEquals(2, notDir.rc());
        assertEquals("vnvdimm run: --out " + file + ": is not a directory (it is a regular file)\n", notDir.err());
        Out under = vnvdimm("run", "boot", "--out", file.resolve("x").toString());
        assertEquals(2, under.rc());
        assertEquals("vnvdimm run: --out " + file.resolve("x") + ": cannot create the folder it goes in: " + file + ": Not a directory\n",
                under.err());

        Path full = Files.createDirectories(tmp.resolve("full"));
        Files.writeString(full.resolve("notes.txt"), "mine");
        Files.writeString(full.resolve("summary.json"), "old");
        Files.createDirectories(full.resolve("sub"));
        Out refused = vnvdimm("run", "boot", "-q", "--out", full.toString());
        assertEquals(2, refused.rc());
        assertEquals("vnvdimm run: --out " + full + ": is not empty (3 entries, e.g. notes.txt); give --force to replace the trace files"
                + " in it, or another --out\n", refused.err());
        assertEquals("old", Files.readString(full.resolve("summary.json")));

        Out forced = vnvdimm("run", "boot", "-q", "--out", full.toString(), "--force");
        assertEquals(0, forced.rc(), forced.err());
        assertEquals("mine", Files.readString(full.resolve("notes.txt")), "--force keeps what the simulator did not write");
        assertTrue(Files.isDirectory(full.resolve("sub")));
        assertTrue(Files.readString(full.resolve("summary.json")).contains("\"scenario\": \"boot\""));
        assertEquals(List.of("notes.txt", "sub", "summary.json", "trace.bin", "trace.jsonl", "trace.mmd", "trace.txt"), entries(full));
        assertEquals(List.of("a-file", "full"), entries(tmp), "no temporary folder is left behind");

        Path emptyDir = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(0, vnvdimm("run", "boot", "-q", "--out", emptyDir.toString()).rc(), "an empty folder is used as it is");
        assertTrue(Files.exists(emptyDir.resolve("summary.json")));
    }

    @Test
    void outThatCannotBeCreatedSaysWhy() {
        if (!Files.isDirectory(Path.of("/proc/self"))) return;
        Out r = vnvdimm("run", "boot", "--out", "/proc/x");
        assertEquals(2, r.rc());
        assertTrue(r.err().startsWith("vnvdimm run: --out /proc/x: cannot create the temporary run folder: /proc/.x.partial-"), r.err());
        assertTrue(r.err().endsWith(": No such file or directory\n"), r.err());
        Out acpi = vnvdimm("acpi", "--qemu", GOLDEN_OPTIONS, "--out", "/proc/x");
        assertEquals(2, acpi.rc());
        assertEquals("vnvdimm acpi: --out /proc/x: cannot create the folder: /proc/x: No such file or directory\n", acpi.err());
    }

    @Test
    void benchValidatesItsArguments() {
        String[][] cases = {
            {"--boots", "-3", "vnvdimm bench: --boots: expected a number of boot runs from 1 to 1,000,000, got '-3'"},
            {"--boots", "0", "vnvdimm bench: --boots: expected a number of boot runs from 1 to 1,000,000, got '0'"},
            {"--rounds", "0", "vnvdimm bench: --rounds: expected a number of measured rounds from 1 to 1,000, got '0'"},
            {"--deliveries", "-1", "vnvdimm bench: --deliveries: expected a number of deliveries per measurement from 4 to 1,000,000,000, got '-1'"},
        };
        for (String[] c : cases) {
            Out r = vnvdimm("bench", c[0], c[1]);
            assertEquals(2, r.rc(), String.join(" ", c));
            assertEquals(c[2] + "\n", r.err());
            assertEquals("", r.out(), "nothing measured");
        }
        Out word = vnvdimm("bench", "--boots", "many");
        assertEquals(2, word.rc());
        assertTrue(word.err().startsWith("vnvdimm: Invalid value for option '--boots': 'many' is not an int"), word.err());
    }

    /** Each malformed input: exit 2, one line FILE:LINE:COLUMN: FIELD: expected ..., got ..., and no folder of any kind. */
    @Test
    void malformedScenariosExitTwoWithOneLineAndLeaveNoFolder() throws Exception {
        String boot = BuiltinScenarios.text("scenarios/boot.yaml");
        String[][] cases = {
            {"deep", "[".repeat(4096), ":1:65: (yaml): expected at most 64 levels of nested sequences and mappings, got a 65th level"},
            {"java-tag", "name: x\nseed: !!java.lang.Object 1\n", ":2:7: (yaml): expected no tag, or one of YAML's core tags"},
            {"local-tag", "name: !foo x\n", ":1:7: (yaml): expected no tag"},
            {"aliases", "description: &d x\nexpect: {violations: [" + "*d, ".repeat(100) + "*d]}\n", ": (yaml): expected at most 100 aliases"},
            {"million", boot.replaceFirst("(?m)^(\\s*)- file: \\{path: ([^,]*),", "$1- file: {count: 1000000, path: $2%d,"),
                    ": steps[4].file.count: expected at most 100,000 steps once counts are expanded"},
        };
        for (String[] c : cases) {
            Path f = Files.writeString(tmp.resolve(c[0] + ".yaml"), c[1]);
            Out r = vnvdimm("run", f.toString(), "--out", tmp.resolve("never").toString());
            assertEquals(2, r.rc(), c[0] + ": " + r.err());
            assertTrue(r.err().startsWith(f.toString() + ":"), c[0] + ": " + r.err());
            assertTrue(r.err().contains(c[2]), c[0] + ": " + r.err());
            assertEquals(1, r.err().lines().count(), c[0] + ": " + r.err());
            assertTrue(r.err().matches("(?s)[^:]+:\\d+:\\d+: [^:]+: expected .*, got .*\n"), c[0] + ": " + r.err());
            assertEquals("", r.out());
        }
        assertTrue(entries(tmp).stream().allMatch(n -> n.endsWith(".yaml")), "no run folder, temporary or not: " + entries(tmp));
    }

    /** A run killed with SIGKILL leaves its temporary folder only: nothing at --out looks like a finished run. */
    @Test
    void aKilledRunLeavesOnlyItsTemporaryFolder() throws Exception {
        Path out = tmp.resolve("killed");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "-Dslf4j.internal.verbosity=ERROR",
                Main.class.getName(), "run", "scale-1000-guests", "-q", "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Path partial = tmp.resolve(".killed.partial-" + p.pid());
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(partial.resolve("trace.bin")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(p.isAlive(), "the run was still going when killed");
            assertTrue(Files.isDirectory(partial), "the run writes into " + partial);
        } finally {
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
        }
        assertFalse(Files.exists(out), "a killed run never looks complete");
        assertEquals(List.of(partial.getFileName().toString()), entries(tmp));
        assertFalse(Files.exists(partial.resolve("summary.json")));
    }

    static List<String> entries(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
