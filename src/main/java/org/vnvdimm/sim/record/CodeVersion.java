package org.vnvdimm.sim.record;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;

/**
 * Which code produced a trace: {@code vnvdimm-sim 0.1.0+src.<12 hex>}, where the hex is the start of
 * a SHA-256 computed at build time (src/pom.xml, maven-antrun-plugin) over every {@code src/main/**}
 * and {@code *}{@code /src/main/**} file and every pom.xml, each as relative path + content, sorted by
 * relative path. The same sources give the same id on any machine, from a git checkout or a tarball;
 * it is never a timestamp. Without the generated file (code compiled outside Maven) the id ends in
 * {@code +src.unknown}.
 */
public final class CodeVersion {
    static final String RESOURCE = "code-version.properties";
    static final String NAME = "vnvdimm-sim";
    private static final String ID = load();

    private CodeVersion() {}

    /** The code version, e.g. {@code vnvdimm-sim 0.1.0+src.3f2a9c01b7de}. */
    public static String id() { return ID; }

    private static String load() {
        Properties p = new Properties();
        try (InputStream in = CodeVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) return NAME + " 0.1.0+src.unknown";
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return format(p.getProperty("version", "0.1.0"), p.getProperty("sources.sha256", ""));
    }

    static String format(String projectVersion, String sourcesSha256) {
        String v = projectVersion.endsWith("-SNAPSHOT") ? projectVersion.substring(0, projectVersion.length() - "-SNAPSHOT".length()) : projectVersion;
        String h = sourcesSha256.trim().toLowerCase(Locale.ROOT);
        if (!h.matches("[0-9a-f]{64}")) throw new IllegalStateException("code-version.properties: bad sources.sha256 '" + sourcesSha256 + "'");
        return NAME + " " + v + "+src." + h.substring(0, 12);
    }
}
