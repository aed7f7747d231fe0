package org.vnvdimm.sim.record;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The code version names the sources it was built from, not a time or a machine. */
class CodeVersionTest {
    @Test
    void theIdIsNameVersionAndTheStartOfTheSourcesHash() {
        assertTrue(CodeVersion.id().matches("vnvdimm-sim \\d+\\.\\d+\\.\\d+\\+src\\.[0-9a-f]{12}"), CodeVersion.id());
        assertEquals("vnvdimm-sim 0.1.0+src.0123456789ab", CodeVersion.format("0.1.0-SNAPSHOT", "0123456789AB" + "0".repeat(52)));
        assertThrows(IllegalStateException.class, () -> CodeVersion.format("0.1.0", "20261201"), "a timestamp is not a hash");
    }

    /**
     * Recomputes the build's hash from the source tree, independently of Ant: SHA-256 over, for each
     * file sorted by relative path, SHA-256(content) then the relative path.
     */
    @Test
    void theHashIsOverTheSourceTreeAsItIsNow() throws Exception {
        Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        if (!Files.exists(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("main"))) {
            fail("run from the src module (Maven's working directory): " + root);
        }
        root = root.getParent();
        List<String> rel = new ArrayList<>();
        Path r0 = root;
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(Files::isRegularFile).map(p -> r0.relativize(p).toString().replace('\\', '/')).filter(CodeVersionTest::isSource).forEach(rel::add);
        }
        rel.sort(null);
        assertTrue(rel.contains("src/main/java/org/vnvdimm/sim/record/CodeVersion.java"));
        assertTrue(rel.contains("proto/src/main/proto/vnvdimm/trace.proto"));
        assertTrue(rel.contains("pom.xml") && rel.contains("hypervisor/pom.xml"));
        MessageDigest total = MessageDigest.getInstance("SHA-256");
        for (String f : rel) {
            total.update(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(root.resolve(f))));
            total.update(f.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String hex = HexFormat.of().formatHex(total.digest());
        assertEquals(CodeVersion.format("0.1.0", hex), CodeVersion.id(), rel.size() + " source files");
    }

    static boolean isSource(String rel) {
        String[] p = rel.split("/");
        if (Stream.of(p).anyMatch(s -> s.equals("target") || s.equals(".git"))) return false;
        if (rel.equals("pom.xml") || (p.length == 2 && p[1].equals("pom.xml"))) return true;
        if (rel.startsWith("src/main/")) return true;
        return p.length > 3 && p[1].equals("src") && p[2].equals("main");
    }
}
