package org.vnvdimm.qemu.acpi;

import java.io.ByteArrayOutputStream;

/**
 * One piece of AML bytecode: a data object, a name, an operator with its operands, or a block
 * (Scope, Device, Method, If, ...). Terms are immutable once encoded, except {@link AmlBlock} and
 * {@link AmlField}, which collect their contents before they are written.
 */
public interface AmlTerm {

    /** Appends this term's encoding to {@code out}. */
    void writeTo(ByteArrayOutputStream out);

    /** This term's encoding as a fresh array. */
    default byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeTo(out);
        return out.toByteArray();
    }
}
