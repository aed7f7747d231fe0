package org.vnvdimm.dom0.nd;

/**
 * A libnvdimm request or an on-media structure that is wrong. {@link #reason()} says what kind of
 * problem it is and {@link #field()} names the argument or info-block field at fault, so callers and
 * tests can tell the cases apart without parsing the message.
 */
public final class NdException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** No region (or namespace, or device) of that name. */
        NOT_FOUND,
        /** A region or namespace would overlap an existing one. */
        OVERLAP,
        /** A size, address or alignment is out of range or not aligned. */
        BAD_RANGE,
        /** The reserved area (frame table / struct pages) leaves no room for a data area. */
        RESERVE_TOO_LARGE,
        /** A mode/map combination that libnvdimm does not offer. */
        BAD_MODE,
        /** A pfn info block that does not decode or does not verify. */
        BAD_INFO_BLOCK,
        /** A name or handle is already in use. */
        DUPLICATE
    }

    private final Reason reason;
    private final String field;

    public NdException(Reason reason, String field, String message) {
        super(field + ": " + message);
        this.reason = reason;
        this.field = field;
    }

    public Reason reason() { return reason; }

    /** The argument or structure field the error is about. */
    public String field() { return field; }
}
