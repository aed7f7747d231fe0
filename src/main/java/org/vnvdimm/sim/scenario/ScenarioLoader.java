package org.vnvdimm.sim.scenario;

import java.util.Locale;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.vnvdimm.proto.Scenario;

/**
 * Reads scenario files (YAML) into {@link Scenario} messages and validates them.
 *
 * <p>The mapping onto the message is generic ({@link YamlProtoReader}); the semantic rules are in
 * {@link ScenarioValidator}. Every failure is a {@link ScenarioException} whose message is
 * {@code FILE:LINE:COLUMN: FIELD: expected EXPECTED, got GOT}; no partial scenario is ever returned.
 */
public final class ScenarioLoader {
    private ScenarioLoader() {
    }

    /** The largest scenario file read: the 1,000-guest scenario is under 2 KiB thanks to count. */
    public static final int MAX_DOCUMENT_BYTES = 1 << 20;

    /** Reads, maps and validates a scenario file; errors name the path as given. */
    public static Scenario load(Path file) throws ScenarioException {
        return loadWithSource(file).scenario();
    }

    /** Like {@link #load(Path)}, also returning where each value was written. */
    public static LoadedScenario loadWithSource(Path file) throws ScenarioException {
        String name = file.toString();
        byte[] bytes;
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (attrs.isDirectory()) {
                throw new ScenarioException(name, 0, 0, "(file)", "a scenario file (YAML)", "a directory");
            }
            if (!attrs.isRegularFile()) {
                throw new ScenarioException(name, 0, 0, "(file)", "a scenario file (YAML)",
                        "a " + FileErrors.kindOf(file) + ", which is not a regular file");
            }
            try (InputStream in = Files.newInputStream(file)) {
                // Never more than the limit and one byte: a file that grows while we read is still bounded.
                bytes = in.readNBytes(MAX_DOCUMENT_BYTES + 1);
            }
        } catch (IOException e) {
            throw new ScenarioException(name, 0, 0, "(file)", "a readable scenario file", FileErrors.reason(e));
        }
        checkSize(bytes, name);
        return parseWithSource(decodeUtf8(bytes, name), name);
    }

    /** Maps and validates YAML text; {@code sourceName} is what errors call the file. */
    public static Scenario parse(String yamlText, String sourceName) throws ScenarioException {
        return parseWithSource(yamlText, sourceName).scenario();
    }

    /** Like {@link #parse(String, String)}, also returning where each value was written. */
    public static LoadedScenario parseWithSource(String yamlText, String sourceName) throws ScenarioException {
        checkSize(yamlText.getBytes(StandardCharsets.UTF_8), sourceName);
        Scenario.Builder builder = Scenario.newBuilder();
        SourceMap where = YamlProtoReader.read(yamlText, sourceName, builder);
        Scenario scenario = builder.build();
        ScenarioValidator.validate(scenario, where);
        return new LoadedScenario(scenario, where);
    }

    /**
     * Loads a scenario shipped on the classpath (e.g. {@code scenarios/basic.yaml}). A missing
     * resource is an {@link IllegalArgumentException}; a shipped scenario that does not load is a
     * build defect and becomes an {@link IllegalStateException} carrying the ScenarioException.
     */
    public static Scenario loadResource(String classpathPath) {
        String path = classpathPath.startsWith("/") ? classpathPath.substring(1) : classpathPath;
        byte[] bytes;
        // The context class loader first, as plugins and tests arrange; then the one that loaded us.
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        InputStream found = context == null ? null : context.getResourceAsStream(path);
        if (found == null) {
            found = ScenarioLoader.class.getClassLoader().getResourceAsStream(path);
        }
        try (InputStream in = found) {
            if (in == null) {
                throw new IllegalArgumentException("no scenario resource " + path + " on the classpath");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read scenario resource " + path, e);
        }
        try {
            return parse(decodeUtf8(bytes, path), path);
        } catch (ScenarioException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** A document over {@link #MAX_DOCUMENT_BYTES} is refused at the line and column where it crosses the limit. */
    static void checkSize(byte[] bytes, String name) throws ScenarioException {
        if (bytes.length <= MAX_DOCUMENT_BYTES) {
            return;
        }
        String prefix = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, MAX_DOCUMENT_BYTES)).toString();
        int[] lineColumn = YamlSyntax.lineColumnOfCodePoint(prefix, Integer.MAX_VALUE);
        throw new ScenarioException(name, lineColumn[0], lineColumn[1], "(file)",
                "a scenario of at most " + (MAX_DOCUMENT_BYTES >> 20) + " MiB (" + MAX_DOCUMENT_BYTES + " bytes)",
                "more (the limit is crossed here)");
    }

    /** Strict UTF-8: a bad byte is reported at its line and column instead of becoming U+FFFD. */
    static String decodeUtf8(byte[] bytes, String name) throws ScenarioException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int bad = in.position();
            out.flip();
            int[] lineColumn = YamlSyntax.lineColumnOfCodePoint(out.toString(), Integer.MAX_VALUE);
            throw new ScenarioException(name, lineColumn[0], lineColumn[1], "(file)", "UTF-8 text",
                    String.format(Locale.ROOT, "the byte 0x%02X, which is not UTF-8", bytes[bad] & 0xFF));
        }
        decoder.flush(out);
        out.flip();
        return out.toString();
    }
}
