package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM's locale does not reach a run: `vnvdimm run boot` under the default locale, Arabic (Saudi
 * Arabia: Arabic-Indic digits, '٫' as decimal point) and Turkish (dotless i in case changes) writes
 * the same trace.bin, byte for byte, and the same trace.txt, trace.jsonl and summary.json, and prints
 * the same trace.
 */
class LocaleDeterminismTest {
    @TempDir Path tmp;

    static final Map<String, List<String>> LOCALES = new LinkedHashMap<>();
    static {
        LOCALES.put("default", List.of());
        LOCALES.put("ar-SA", List.of("-Duser.language=ar", "-Duser.country=SA"));
        LOCALES.put("tr-TR", List.of("-Duser.language=tr", "-Duser.country=TR"));
    }

    @Test
    void bootWritesTheSameTraceInEveryLocale() throws Exception {
        Map<String, ChildJvm.Running> running = new LinkedHashMap<>();
        for (var l : LOCALES.entrySet()) {
            Path cwd = tmp.resolve(l.getKey()).resolve("cwd");
            running.put(l.getKey(), ChildJvm.start(cwd, l.getValue(), "run", "boot", "--out", "../out"));
        }
        Map<String, ChildJvm.Result> results = new LinkedHashMap<>();
        for (var r : running.entrySet()) results.put(r.getKey(), r.getValue().await());
        for (var r : results.entrySet()) assertEquals(0, r.getValue().exit(), r.getKey() + ": " + r.getValue().err());

        Path ref = tmp.resolve("default").resolve("out");
        byte[] refBin = Files.readAllBytes(ref.resolve("trace.bin"));
        assertTrue(refBin.length > 10_000, "a boot trace is tens of KiB: " + refBin.length);
        for (String l : List.of("ar-SA", "tr-TR")) {
            Path dir = tmp.resolve(l).resolve("out");
            assertArrayEquals(refBin, Files.readAllBytes(dir.resolve("trace.bin")), l + ": trace.bin");
            for (String f : List.of("trace.txt", "trace.jsonl", "summary.json")) {
                assertEquals(Files.readString(ref.resolve(f)), Files.readString(dir.resolve(f)), l + ": " + f);
            }
            assertEquals(printedTrace(results.get("default").out()), printedTrace(results.get(l).out()), l + ": the printed trace");
        }
    }

    /** What `run` prints up to its summary (the summary names the run folder and the wall time). */
    static String printedTrace(String out) {
        int end = out.indexOf("\nscenario boot, seed ");
        assertTrue(end > 0, out);
        return out.substring(0, end);
    }
}
