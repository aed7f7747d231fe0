package org.vnvdimm.qemu.acpi;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * DefField (ACPI 6.5, 20.2.5.2): {@code ExtOpPrefix 0x81 PkgLength NameString FieldFlags FieldList}.
 *
 * <p>Elements are added in order. A named field is {@code NameSeg PkgLength(bits)}; a reserved gap
 * (ASL {@code Offset()} or an unnamed field) is {@code 0x00 PkgLength(bits)}; an access change is
 * {@code 0x01 AccessType AccessAttrib}. The bit position is tracked so {@link #offsetBytes(long)}
 * can insert the gap an ASL {@code Offset(n)} stands for.
 */
public final class AmlField implements AmlTerm {

    /** FieldFlags bits 3..0. */
    public enum AccessType {
        ANY(0), BYTE(1), WORD(2), DWORD(3), QWORD(4), BUFFER(5);

        private final int code;

        AccessType(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** FieldFlags bit 4. */
    public enum LockRule {
        NO_LOCK(0), LOCK(1);

        private final int code;

        LockRule(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** FieldFlags bits 6..5. */
    public enum UpdateRule {
        PRESERVE(0), WRITE_AS_ONES(1), WRITE_AS_ZEROS(2);

        private final int code;

        UpdateRule(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    private static final int RESERVED_FIELD = 0x00;
    private static final int ACCESS_FIELD = 0x01;

    private final AmlNameString region;
    private final int flags;
    private final List<byte[]> elements = new ArrayList<>();
    private long bitPosition;

    AmlField(String regionName, AccessType access, LockRule lock, UpdateRule update) {
        this.region = AmlNameString.of(regionName);
        this.flags = access.code() | (lock.code() << 4) | (update.code() << 5);
    }

    /** Adds a named field of {@code bits} bits at the current position. */
    public AmlField named(String name, long bits) {
        checkBits(name, bits);
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        e.writeBytes(AmlNameString.nameSeg(name));
        e.writeBytes(AmlPkgLength.encodeValue(bits));
        elements.add(e.toByteArray());
        bitPosition += bits;
        return this;
    }

    /** Skips {@code bits} bits (an unnamed field). */
    public AmlField reserved(long bits) {
        checkBits("reserved", bits);
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        e.write(RESERVED_FIELD);
        e.writeBytes(AmlPkgLength.encodeValue(bits));
        elements.add(e.toByteArray());
        bitPosition += bits;
        return this;
    }

    /** Moves to byte offset {@code byteOffset} from the start of the region, as ASL {@code Offset()}. */
    public AmlField offsetBytes(long byteOffset) {
        long target = byteOffset * 8;
        if (byteOffset < 0 || target < bitPosition) {
            throw new IllegalArgumentException("Field " + region.text() + ": Offset(" + byteOffset
                    + ") lies before the current bit position " + bitPosition);
        }
        if (target > bitPosition) {
            reserved(target - bitPosition);
        }
        return this;
    }

    /** Changes the access type for the following elements (AccessField). */
    public AmlField access(AccessType type, int accessAttrib) {
        if (accessAttrib < 0 || accessAttrib > 0xFF) {
            throw new IllegalArgumentException("Field " + region.text() + ": AccessAttrib " + accessAttrib + " is not a byte");
        }
        elements.add(new byte[] {ACCESS_FIELD, (byte) type.code(), (byte) accessAttrib});
        return this;
    }

    /** Current bit position from the start of the region. */
    public long bitPosition() {
        return bitPosition;
    }

    private void checkBits(String name, long bits) {
        if (bits <= 0 || bits > AmlPkgLength.MAX_VALUE) {
            throw new IllegalArgumentException("Field " + region.text() + ": element '" + name + "' width " + bits
                    + " bits must be within 1.." + AmlPkgLength.MAX_VALUE);
        }
    }

    @Override
    public void writeTo(ByteArrayOutputStream out) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        region.writeTo(body);
        body.write(flags);
        for (byte[] e : elements) {
            body.writeBytes(e);
        }
        out.write(Aml.EXT_OP_PREFIX);
        out.write(0x81);
        out.writeBytes(AmlPkgLength.encodeIncludingSelf(body.size()));
        out.writeBytes(body.toByteArray());
    }
}
