package org.vnvdimm.acpi;

/**
 * A table or buffer that does not follow the ACPI layout. Names the byte offset (relative to the start of
 * the buffer that was parsed) and the field at fault, so a caller can point at the exact bad byte.
 * Unchecked: parsers throw nothing else, so callers that care catch exactly this type.
 */
public final class AcpiParseException extends RuntimeException {
    private final int offset;
    private final String field;
    private final String detail;

    public AcpiParseException(int offset, String field, String detail) {
        super("offset " + offset + " (0x" + Integer.toHexString(offset) + "), " + field + ": " + detail);
        this.offset = offset;
        this.field = field;
        this.detail = detail;
    }

    /** Byte offset of the offending field, relative to the start of the parsed buffer. */
    public int offset() {
        return offset;
    }

    /** Spec name of the offending field, e.g. "Checksum" or "SPA Range Structure Index". */
    public String field() {
        return field;
    }

    /** What is wrong with it, without the offset/field prefix. */
    public String detail() {
        return detail;
    }
}
