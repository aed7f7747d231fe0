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
}
