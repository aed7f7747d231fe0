package org.vnvdimm.qemu.acpi;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A term with a PkgLength that encloses a list of other terms: Scope, Device, Method, If, Else,
 * While and Package. The encoding is {@code opcode PkgLength header children...}, where the
 * PkgLength counts itself, the header and the children.
 */
public final class AmlBlock implements AmlTerm {

    /** Writes what follows the PkgLength and precedes the children (a name, flags, a predicate, a count). */
    @FunctionalInterface
    interface Header {
        void writeTo(ByteArrayOutputStream out, List<AmlTerm> children);
    }

    private final String kind;
    private final byte[] opcode;
    private final Header header;
    private final List<AmlTerm> children = new ArrayList<>();

    AmlBlock(String kind, byte[] opcode, Header header) {
        this.kind = kind;
        this.opcode = opcode.clone();
        this.header = header;
    }

    /** Appends terms to this block, in order; returns this block for chaining. */
    public AmlBlock add(AmlTerm... terms) {
        for (AmlTerm t : terms) {
            if (t == null) {
                throw new IllegalArgumentException(kind + ": cannot add a null term (child " + children.size() + ")");
            }
            if (t == this) {
                throw new IllegalArgumentException(kind + ": cannot add a block to itself");
            }
            children.add(t);
        }
        return this;
    }

    /** The terms added so far. */
    public List<AmlTerm> children() {
        return Collections.unmodifiableList(children);
    }

    /** The block's kind, e.g. "Device", for error messages. */
    public String kind() {
        return kind;
    }

    @Override
    public void writeTo(ByteArrayOutputStream out) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        header.writeTo(body, children);
        for (AmlTerm child : children) {
            child.writeTo(body);
        }
        out.writeBytes(opcode);
        out.writeBytes(AmlPkgLength.encodeIncludingSelf(body.size()));
        out.writeBytes(body.toByteArray());
    }
}
