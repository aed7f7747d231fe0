package org.vnvdimm.qemu.acpi;

import java.io.ByteArrayOutputStream;

/**
 * NameString encoding (ACPI 6.5, 20.2.2 "Name Objects Encoding").
 *
 * <p>Accepted text form: an optional root prefix {@code \} or any number of parent prefixes
 * {@code ^}, then zero or more dot-separated name segments of 1..4 characters. A segment shorter than
 * four characters is padded with {@code '_'} (ASL does the same). One segment is written as a bare
 * NameSeg, two behind DualNamePrefix (0x2E), three or more behind MultiNamePrefix (0x2F) and a count
 * byte; no segment at all is NullName (0x00).
 */
public final class AmlNameString implements AmlTerm {

    static final int ROOT_CHAR = '\\';
    static final int PARENT_PREFIX_CHAR = '^';
    static final int DUAL_NAME_PREFIX = 0x2E;
    static final int MULTI_NAME_PREFIX = 0x2F;
    static final int NULL_NAME = 0x00;
    static final int MAX_SEGMENTS = 255;

    private final String text;
    private final byte[] encoded;

    private AmlNameString(String text, byte[] encoded) {
        this.text = text;
        this.encoded = encoded;
    }

    /** Parses and encodes {@code path}, e.g. {@code "\\_SB.NVDR"}, {@code "^PCI0.S08"}, {@code "LEN"}. */
    public static AmlNameString of(String path) {
        if (path == null) {
            throw new IllegalArgumentException("AML name path must not be null");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        if (path.startsWith("\\")) {
            out.write(ROOT_CHAR);
            pos = 1;
        } else {
            while (pos < path.length() && path.charAt(pos) == '^') {
                out.write(PARENT_PREFIX_CHAR);
                pos++;
            }
        }
        String rest = path.substring(pos);
        if (rest.isEmpty()) {
            out.write(NULL_NAME);
            return new AmlNameString(path, out.toByteArray());
        }
        String[] segments = rest.split("\\.", -1);
        if (segments.length > MAX_SEGMENTS) {
            throw new IllegalArgumentException("AML name path '" + path + "' has " + segments.length
                    + " segments; at most " + MAX_SEGMENTS + " are allowed");
        }
        if (segments.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segments.length > 2) {
            out.write(MULTI_NAME_PREFIX);
            out.write(segments.length);
        }
        for (int i = 0; i < segments.length; i++) {
            out.writeBytes(nameSeg(segments[i], path, i));
        }
        return new AmlNameString(path, out.toByteArray());
    }

    /** Encodes one NameSeg: 1..4 characters, padded with '_' to four bytes. */
    public static byte[] nameSeg(String segment) {
        return nameSeg(segment, segment, 0);
    }

    private static byte[] nameSeg(String seg, String path, int index) {
        if (seg.isEmpty() || seg.length() > 4) {
            throw new IllegalArgumentException("AML name path '" + path + "': segment " + index + " '" + seg
                    + "' must have 1 to 4 characters");
        }
        byte[] out = {'_', '_', '_', '_'};
        for (int i = 0; i < seg.length(); i++) {
            char c = seg.charAt(i);
            boolean lead = (c >= 'A' && c <= 'Z') || c == '_';
            boolean ok = lead || (i > 0 && c >= '0' && c <= '9');
            if (!ok) {
                throw new IllegalArgumentException("AML name path '" + path + "': segment " + index + " '" + seg
                        + "' has invalid character '" + c + "' at position " + i
                        + " (allowed: A-Z, '_', and 0-9 after the first character)");
            }
            out[i] = (byte) c;
        }
        return out;
    }

    /** The text this name was built from. */
    public String text() {
        return text;
    }

    @Override
    public void writeTo(ByteArrayOutputStream out) {
        out.writeBytes(encoded);
    }

    @Override
    public String toString() {
        return "AmlNameString[" + text + "]";
    }
}
