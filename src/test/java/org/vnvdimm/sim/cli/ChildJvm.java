package org.vnvdimm.sim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test helper: `vnvdimm ARGS` in a child JVM on the test classpath, as the launcher runs it. */
final class ChildJvm {
    private ChildJvm() {}

    record Result(int exit, String out, String err) {}

    /** A started child: call {@link #await} for its result. Output goes to files, so no pipe fills up. */
    record Running(Process process, Path stdout, Path stderr) {
        Result await() throws IOException, InterruptedException {
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError("vnvdimm did not finish within 5 minutes");
            }
            return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8), Files.readString(stderr, StandardCharsets.UTF_8));
        }
    }

    /** Starts `java JVMARGS -cp <test classpath> org.vnvdimm.sim.cli.Main ARGS` in cwd. */
    static Running start(Path cwd, List<String> jvmArgs, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-Dslf4j.internal.verbosity=ERROR");   // as ./vnvdimm
        // The test classpath holds logback-test.xml more than once (test-jars), and logback reports that
        // on stdout; the jar that ./vnvdimm runs has one logback.xml and prints nothing.
        cmd.add("-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        Files.createDirectories(cwd);
        Path out = Files.createTempFile(cwd.getParent(), "stdout", ".txt"), err = Files.createTempFile(cwd.getParent(), "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Running(p, out, err);
    }
}
