package org.vnvdimm.qemu.acpi;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the ACPICA disassembler and compiler on generated SSDTs. Real QEMU's own table makes iasl
 * print one namespace warning (NsLookup type mismatch on ODAT); ours may print nothing the golden
 * does not.
 */
class SsdtIaslTest {

    private static final Pattern COMPILE_SUMMARY = Pattern.compile("(\\d+) Errors?, (\\d+) Warnings?");
    private static final Pattern COMPILER_DIAGNOSTIC = Pattern.compile("^(Warning|Error)\\s+(\\d+)\\s+-\\s+\\^?\\s*(.*?)\\s*(\\(\\\\[^)]*\\))?$");

    @TempDir
    Path dir;

    @BeforeAll
    static void requireIasl() {
        Assumptions.assumeTrue(onPath("iasl"), "iasl (Debian acpica-tools) not installed");
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    record Run(int exitCode, List<String> lines) {
        String text() {
            return String.join("\n", lines);
        }
    }

    private Run iasl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("iasl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl " + String.join(" ", args) + " did not finish in 60 s");
        return new Run(p.exitValue(), List.of(new String(out, StandardCharsets.UTF_8).split("\\R")));
    }

    /** Disassembler warnings and errors, version suffixes dropped. */
    private static Set<String> disassemblerDiagnostics(Run run) {
        Set<String> out = new TreeSet<>();
        for (String line : run.lines()) {
            if (line.matches("(?i).*\\b(warning|error)\\b.*")) {
                out.add(line.replaceAll("\\s*\\(\\d{8}/[^)]*\\)\\s*$", "").trim());
            }
        }
        return out;
    }

    /** Compiler diagnostics as "Warning 3175 message", without line numbers and scope paths. */
    private static Set<String> compilerDiagnostics(Run run) {
        Set<String> out = new TreeSet<>();
        for (String line : run.lines()) {
            Matcher m = COMPILER_DIAGNOSTIC.matcher(line.trim());
            if (m.matches()) {
                out.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
            }
        }
        return out;
    }

    private record Outcome(Set<String> disassembly, Set<String> compile, String dsl) {
    }

    private Outcome roundTrip(String base, byte[] table) throws Exception {
        Path aml = dir.resolve(base + ".aml");
        Files.write(aml, table);
        Run dis = iasl("-p", base + "-dis", "-d", aml.getFileName().toString());
        assertEquals(0, dis.exitCode(), "iasl -d " + base + " failed:\n" + dis.text());
        Set<String> disDiag = disassemblerDiagnostics(dis);
        for (String d : disDiag) {
            assertFalse(d.matches("(?i).*\\berror\\b.*"), "disassembler error on " + base + ": " + d);
        }
        Path dsl = dir.resolve(base + "-dis.dsl");
        assertTrue(Files.exists(dsl), "no disassembly written for " + base + ":\n" + dis.text());

        Run comp = iasl("-p", base + "-re", dsl.getFileName().toString());
        assertEquals(0, comp.exitCode(), "iasl compile of " + base + " disassembly failed:\n" + comp.text());
        Matcher summary = COMPILE_SUMMARY.matcher(comp.text());
        assertTrue(summary.find(), "no compile summary for " + base + ":\n" + comp.text());
        assertEquals("0", summary.group(1), "compile errors for " + base + ":\n" + comp.text());
        assertTrue(Files.size(dir.resolve(base + "-re.aml")) > 0, "recompiled AML is empty for " + base);
        return new Outcome(disDiag, compilerDiagnostics(comp), Files.readString(dsl));
    }

    private Outcome golden() throws Exception {
        return roundTrip("golden", SsdtBuilderTest.golden());
    }

    @Test
    void goldenGetsExactlyTheKnownNamespaceWarning() throws Exception {
        Outcome g = golden();
        assertEquals(Set.of("ACPI Warning: NsLookup: Type mismatch on ODAT (RegionField), searching for (Buffer)"),
                g.disassembly());
        // the recompiled disassembly warns about QEMU's style, not about broken AML
        assertEquals(Set.of("Warning 3107 Reserved method must return a value (Buffer required for _FIT)",
                        "Warning 3115 Not all control paths return a value",
                        "Warning 3175 Static OperationRegion should be declared outside control method"),
                g.compile());
    }

    @ParameterizedTest(name = "{0} slots")
    @ValueSource(ints = {1, 2, 3, 8, 16, 256})
    void generatedTablesDisassembleAndRecompileWithNoNewDiagnostics(int slots) throws Exception {
        Outcome g = golden();
        Outcome ours = roundTrip("ssdt" + slots, SsdtBuilder.build(slots, 0x1234_5000L));
        assertTrue(g.disassembly().containsAll(ours.disassembly()),
                "disassembler diagnostics not seen on QEMU's table: " + minus(ours.disassembly(), g.disassembly()));
        assertTrue(g.compile().containsAll(ours.compile()),
                "compiler diagnostics not seen on QEMU's table: " + minus(ours.compile(), g.compile()));
        String last = String.format(Locale.ROOT, "Device (NV%02X)", slots - 1);
        assertTrue(ours.dsl().contains(last), "disassembly lacks " + last);
        assertFalse(ours.dsl().contains(String.format(Locale.ROOT, "Device (NV%02X)", slots)), "one device too many");
        assertTrue(ours.dsl().contains("Name (MEMA, 0x12345000)"), "MEMA value in disassembly");
    }

    @Test
    void virtTrapDisassemblesToSystemMemoryRegion() throws Exception {
        Outcome v = roundTrip("virt", SsdtBuilder.build(3, 0x43DA0000L, SsdtBuilder.Trap.ARM_VIRT_MMIO));
        assertTrue(v.dsl().contains("OperationRegion (NPIO, SystemMemory, 0x09090000, 0x04)"), v.dsl());
        assertTrue(golden().disassembly().containsAll(v.disassembly()), v.disassembly().toString());
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> r = new TreeSet<>(a);
        r.removeAll(b);
        return r;
    }
}
