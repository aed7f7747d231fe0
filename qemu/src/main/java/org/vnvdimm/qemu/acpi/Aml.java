package org.vnvdimm.qemu.acpi;

import java.util.Locale;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Factories for AML terms, written from the grammar in ACPI 6.5 chapter 20 ("ACPI Machine Language
 * Specification"). Each factory documents its encoding. Operators that take a Target and are given
 * none write NullName (0x00), which is what an ASL compiler emits for an omitted target.
 */
public final class Aml {

    static final int EXT_OP_PREFIX = 0x5B;

    private static final int ZERO_OP = 0x00;
    private static final int ONE_OP = 0x01;
    private static final int NAME_OP = 0x08;
    private static final int BYTE_PREFIX = 0x0A;
    private static final int WORD_PREFIX = 0x0B;
    private static final int DWORD_PREFIX = 0x0C;
    private static final int STRING_PREFIX = 0x0D;
    private static final int QWORD_PREFIX = 0x0E;
    private static final int SCOPE_OP = 0x10;
    private static final int BUFFER_OP = 0x11;
    private static final int PACKAGE_OP = 0x12;
    private static final int VAR_PACKAGE_OP = 0x13;
    private static final int METHOD_OP = 0x14;
    private static final int LOCAL0_OP = 0x60;
    private static final int ARG0_OP = 0x68;
    private static final int STORE_OP = 0x70;
    private static final int ADD_OP = 0x72;
    private static final int CONCAT_OP = 0x73;
    private static final int SUBTRACT_OP = 0x74;
    private static final int INCREMENT_OP = 0x75;
    private static final int DECREMENT_OP = 0x76;
    private static final int SHIFT_LEFT_OP = 0x79;
    private static final int SHIFT_RIGHT_OP = 0x7A;
    private static final int AND_OP = 0x7B;
    private static final int OR_OP = 0x7D;
    private static final int DEREF_OF_OP = 0x83;
    private static final int NOTIFY_OP = 0x86;
    private static final int SIZE_OF_OP = 0x87;
    private static final int INDEX_OP = 0x88;
    private static final int CREATE_DWORD_FIELD_OP = 0x8A;
    private static final int CREATE_WORD_FIELD_OP = 0x8B;
    private static final int CREATE_BYTE_FIELD_OP = 0x8C;
    private static final int CREATE_QWORD_FIELD_OP = 0x8F;
    private static final int OBJECT_TYPE_OP = 0x8E;
    private static final int LAND_OP = 0x90;
    private static final int LOR_OP = 0x91;
    private static final int LNOT_OP = 0x92;
    private static final int LEQUAL_OP = 0x93;
    private static final int LGREATER_OP = 0x94;
    private static final int LLESS_OP = 0x95;
    private static final int TO_BUFFER_OP = 0x96;
    private static final int TO_INTEGER_OP = 0x99;
    private static final int IF_OP = 0xA0;
    private static final int ELSE_OP = 0xA1;
    private static final int WHILE_OP = 0xA2;
    private static final int NOOP_OP = 0xA3;
    private static final int RETURN_OP = 0xA4;
    private static final int BREAK_OP = 0xA5;
    private static final int ONES_OP = 0xFF;
    private static final int CREATE_FIELD_EXT = 0x13;
    private static final int OP_REGION_EXT = 0x80;
    private static final int DEVICE_EXT = 0x82;

    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}");

    /** NullName used as an omitted Target. */
    public static final AmlTerm NULL_TARGET = raw(ZERO_OP);

    private Aml() {
    }

    // ---------------------------------------------------------------- data objects

    /** ZeroOp (0x00). */
    public static AmlTerm zero() {
        return raw(ZERO_OP);
    }

    /** OneOp (0x01). */
    public static AmlTerm one() {
        return raw(ONE_OP);
    }

    /** OnesOp (0xFF): all bits set at the table's integer width. */
    public static AmlTerm ones() {
        return raw(ONES_OP);
    }

    /**
     * An integer constant, encoded the way QEMU's aml_int() picks it: 0 as ZeroOp, 1 as OneOp,
     * otherwise the shortest of ByteConst, WordConst, DWordConst and QWordConst that holds the value
     * (unsigned). OnesOp is never chosen automatically.
     */
    public static AmlTerm integer(long value) {
        if (value == 0) {
            return zero();
        }
        if (value == 1) {
            return one();
        }
        if (Long.compareUnsigned(value, 0xFFL) <= 0) {
            return byteConst((int) value);
        }
        if (Long.compareUnsigned(value, 0xFFFFL) <= 0) {
            return wordConst((int) value);
        }
        if (Long.compareUnsigned(value, 0xFFFF_FFFFL) <= 0) {
            return dwordConst(value);
        }
        return qwordConst(value);
    }

    /** ByteConst: 0x0A and one byte. */
    public static AmlTerm byteConst(int value) {
        checkRange("ByteConst", value, 0xFFL);
        return prefixed(BYTE_PREFIX, value, 1);
    }

    /** WordConst: 0x0B and two bytes, little-endian. */
    public static AmlTerm wordConst(int value) {
        checkRange("WordConst", value, 0xFFFFL);
        return prefixed(WORD_PREFIX, value, 2);
    }

    /** DWordConst: 0x0C and four bytes, little-endian. */
    public static AmlTerm dwordConst(long value) {
        checkRange("DWordConst", value, 0xFFFF_FFFFL);
        return prefixed(DWORD_PREFIX, value, 4);
    }

    /** QWordConst: 0x0E and eight bytes, little-endian (any 64-bit pattern). */
    public static AmlTerm qwordConst(long value) {
        return prefixed(QWORD_PREFIX, value, 8);
    }

    /** String: 0x0D, ASCII characters 0x01..0x7F, NUL terminator. */
    public static AmlTerm string(String ascii) {
        if (ascii == null) {
            throw new IllegalArgumentException("AML String must not be null");
        }
        for (int i = 0; i < ascii.length(); i++) {
            char c = ascii.charAt(i);
            if (c < 0x01 || c > 0x7F) {
                throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format(
                        "AML String \"%s\": character 0x%04X at index %d is outside 0x01..0x7F", ascii, (int) c, i));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(STRING_PREFIX);
        out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        return bytes(out.toByteArray());
    }

    /**
     * DefBuffer holding exactly {@code data}: {@code 0x11 PkgLength BufferSize ByteList}, with
     * BufferSize = {@code integer(data.length)}. {@code buffer()} is the empty {@code Buffer(Zero){}}.
     */
    public static AmlTerm buffer(byte... data) {
        return buffer(integer(data.length), data);
    }

    /** DefBuffer with an explicit BufferSize term (e.g. a variable) and an initializer. */
    public static AmlTerm buffer(AmlTerm size, byte... initializer) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        size.writeTo(body);
        body.writeBytes(initializer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(BUFFER_OP);
        out.writeBytes(AmlPkgLength.encodeIncludingSelf(body.size()));
        out.writeBytes(body.toByteArray());
        return bytes(out.toByteArray());
    }

    /**
     * ASL ToUUID("aabbccdd-eeff-gghh-iijj-kkllmmnnoopp"): a 16-byte buffer in the EFI mixed-endian
     * order (first three groups little-endian, the last two as written).
     */
    public static AmlTerm toUuid(String uuid) {
        return buffer(uuidBytes(uuid));
    }

    /** The 16 bytes ToUUID produces for {@code uuid}. */
    public static byte[] uuidBytes(String uuid) {
        if (uuid == null || !UUID_TEXT.matcher(uuid).matches()) {
            throw new IllegalArgumentException("ToUUID: '" + uuid
                    + "' is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex digits)");
        }
        String hex = uuid.replace("-", "");
        byte[] plain = new byte[16];
        for (int i = 0; i < 16; i++) {
            plain[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        byte[] out = plain.clone();
        // the 32-bit and two 16-bit leading groups are stored little-endian
        for (int i = 0; i < 4; i++) {
            out[i] = plain[3 - i];
        }
        out[4] = plain[5];
        out[5] = plain[4];
        out[6] = plain[7];
        out[7] = plain[6];
        return out;
    }

    /** DefPackage with NumElements taken from the elements added: {@code 0x12 PkgLength count elements}. */
    public static AmlBlock pkg(AmlTerm... elements) {
        AmlBlock block = new AmlBlock("Package", new byte[] {PACKAGE_OP}, (out, children) -> {
            if (children.size() > 0xFF) {
                throw new IllegalStateException("Package has " + children.size()
                        + " elements; DefPackage holds at most 255 (use varPackage)");
            }
            out.write(children.size());
        });
        return block.add(elements);
    }

    /** DefVarPackage: {@code 0x13 PkgLength VarNumElements(TermArg) elements}. */
    public static AmlBlock varPackage(AmlTerm numElements, AmlTerm... elements) {
        AmlBlock block = new AmlBlock("VarPackage", new byte[] {VAR_PACKAGE_OP},
                (out, children) -> numElements.writeTo(out));
        return block.add(elements);
    }

    // ---------------------------------------------------------------- names and variables

    /** A NameString reference, e.g. {@code name("\\_SB.NVDR")}; see {@link AmlNameString}. */
    public static AmlTerm name(String path) {
        return AmlNameString.of(path);
    }

    /** LocalN (0x60 + n), n in 0..7. */
    public static AmlTerm local(int n) {
        if (n < 0 || n > 7) {
            throw new IllegalArgumentException("Local" + n + " does not exist; locals are Local0..Local7");
        }
        return raw(LOCAL0_OP + n);
    }

    /** ArgN (0x68 + n), n in 0..6. */
    public static AmlTerm arg(int n) {
        if (n < 0 || n > 6) {
            throw new IllegalArgumentException("Arg" + n + " does not exist; arguments are Arg0..Arg6");
        }
        return raw(ARG0_OP + n);
    }

    /** A method invocation: the method's NameString followed by its argument terms. */
    public static AmlTerm call(String method, AmlTerm... args) {
        if (args.length > 7) {
            throw new IllegalArgumentException("call " + method + ": " + args.length + " arguments; at most 7");
        }
        return seq(name(method), seq(args));
    }

    // ---------------------------------------------------------------- namespace modifiers and objects

    /** DefName: {@code 0x08 NameString DataRefObject}. */
    public static AmlTerm nameDecl(String name, AmlTerm value) {
        return seq(raw(NAME_OP), name(name), value);
    }

    /** DefScope: {@code 0x10 PkgLength NameString TermList}. */
    public static AmlBlock scope(String path) {
        AmlNameString n = AmlNameString.of(path);
        return new AmlBlock("Scope(" + path + ")", new byte[] {SCOPE_OP}, (out, c) -> n.writeTo(out));
    }

    /** DefDevice: {@code 0x5B 0x82 PkgLength NameString TermList}. */
    public static AmlBlock device(String path) {
        AmlNameString n = AmlNameString.of(path);
        return new AmlBlock("Device(" + path + ")", new byte[] {(byte) EXT_OP_PREFIX, (byte) DEVICE_EXT},
                (out, c) -> n.writeTo(out));
    }

    /** DefMethod with SyncLevel 0: {@code 0x14 PkgLength NameString MethodFlags TermList}. */
    public static AmlBlock method(String name, int argCount, boolean serialized) {
        return method(name, argCount, serialized, 0);
    }

    /** DefMethod; MethodFlags = argCount (bits 2..0) | serialized (bit 3) | syncLevel (bits 7..4). */
    public static AmlBlock method(String name, int argCount, boolean serialized, int syncLevel) {
        if (argCount < 0 || argCount > 7) {
            throw new IllegalArgumentException("Method " + name + ": argument count " + argCount + " outside 0..7");
        }
        if (syncLevel < 0 || syncLevel > 15) {
            throw new IllegalArgumentException("Method " + name + ": SyncLevel " + syncLevel + " outside 0..15");
        }
        AmlNameString n = AmlNameString.of(name);
        int flags = argCount | (serialized ? 0x08 : 0) | (syncLevel << 4);
        return new AmlBlock("Method(" + name + ")", new byte[] {METHOD_OP}, (out, c) -> {
            n.writeTo(out);
            out.write(flags);
        });
    }

    /** DefOpRegion: {@code 0x5B 0x80 NameString RegionSpace RegionOffset RegionLen}. */
    public static AmlTerm operationRegion(String name, AmlRegionSpace space, AmlTerm offset, AmlTerm length) {
        return seq(raw(EXT_OP_PREFIX), raw(OP_REGION_EXT), name(name), raw(space.code()), offset, length);
    }

    /** DefField over region {@code regionName}; add elements with {@link AmlField#named}. */
    public static AmlField field(String regionName, AmlField.AccessType access, AmlField.LockRule lock,
                                 AmlField.UpdateRule update) {
        return new AmlField(regionName, access, lock, update);
    }

    /** DefCreateByteField: {@code 0x8C SourceBuff ByteIndex NameString}. */
    public static AmlTerm createByteField(AmlTerm source, AmlTerm byteIndex, String name) {
        return seq(raw(CREATE_BYTE_FIELD_OP), source, byteIndex, name(name));
    }

    /** DefCreateWordField: {@code 0x8B SourceBuff ByteIndex NameString}. */
    public static AmlTerm createWordField(AmlTerm source, AmlTerm byteIndex, String name) {
        return seq(raw(CREATE_WORD_FIELD_OP), source, byteIndex, name(name));
    }

    /** DefCreateDWordField: {@code 0x8A SourceBuff ByteIndex NameString}. */
    public static AmlTerm createDWordField(AmlTerm source, AmlTerm byteIndex, String name) {
        return seq(raw(CREATE_DWORD_FIELD_OP), source, byteIndex, name(name));
    }

    /** DefCreateQWordField: {@code 0x8F SourceBuff ByteIndex NameString}. */
    public static AmlTerm createQWordField(AmlTerm source, AmlTerm byteIndex, String name) {
        return seq(raw(CREATE_QWORD_FIELD_OP), source, byteIndex, name(name));
    }

    /** DefCreateField: {@code 0x5B 0x13 SourceBuff BitIndex NumBits NameString}. */
    public static AmlTerm createField(AmlTerm source, AmlTerm bitIndex, AmlTerm numBits, String name) {
        return seq(raw(EXT_OP_PREFIX), raw(CREATE_FIELD_EXT), source, bitIndex, numBits, name(name));
    }

    // ---------------------------------------------------------------- control flow

    /** DefIfElse's If part: {@code 0xA0 PkgLength Predicate TermList}; follow it with {@link #elseBlock()}. */
    public static AmlBlock ifThen(AmlTerm predicate) {
        return new AmlBlock("If", new byte[] {(byte) IF_OP}, (out, c) -> predicate.writeTo(out));
    }

    /** DefElse: {@code 0xA1 PkgLength TermList}, placed directly after the If block. */
    public static AmlBlock elseBlock() {
        return new AmlBlock("Else", new byte[] {(byte) ELSE_OP}, (out, c) -> { });
    }

    /** DefWhile: {@code 0xA2 PkgLength Predicate TermList}. */
    public static AmlBlock whileLoop(AmlTerm predicate) {
        return new AmlBlock("While", new byte[] {(byte) WHILE_OP}, (out, c) -> predicate.writeTo(out));
    }

    /** DefReturn: {@code 0xA4 ArgObject}. */
    public static AmlTerm ret(AmlTerm value) {
        return seq(raw(RETURN_OP), value);
    }

    /** DefBreak (0xA5). */
    public static AmlTerm breakOp() {
        return raw(BREAK_OP);
    }

    /** DefNoop (0xA3). */
    public static AmlTerm noop() {
        return raw(NOOP_OP);
    }

    /** DefNotify: {@code 0x86 NotifyObject NotifyValue}. */
    public static AmlTerm notifyOp(AmlTerm object, AmlTerm value) {
        return seq(raw(NOTIFY_OP), object, value);
    }

    // ---------------------------------------------------------------- operators

    /** DefStore: {@code 0x70 TermArg SuperName}. */
    public static AmlTerm store(AmlTerm value, AmlTerm target) {
        return seq(raw(STORE_OP), value, target);
    }

    /** DefAdd without target. */
    public static AmlTerm add(AmlTerm a, AmlTerm b) {
        return add(a, b, NULL_TARGET);
    }

    /** DefAdd: {@code 0x72 Operand Operand Target}. */
    public static AmlTerm add(AmlTerm a, AmlTerm b, AmlTerm target) {
        return seq(raw(ADD_OP), a, b, target);
    }

    /** DefSubtract without target. */
    public static AmlTerm subtract(AmlTerm a, AmlTerm b) {
        return subtract(a, b, NULL_TARGET);
    }

    /** DefSubtract: {@code 0x74 Operand Operand Target}. */
    public static AmlTerm subtract(AmlTerm a, AmlTerm b, AmlTerm target) {
        return seq(raw(SUBTRACT_OP), a, b, target);
    }

    /** DefShiftLeft without target. */
    public static AmlTerm shiftLeft(AmlTerm value, AmlTerm count) {
        return shiftLeft(value, count, NULL_TARGET);
    }

    /** DefShiftLeft: {@code 0x79 Operand ShiftCount Target}. */
    public static AmlTerm shiftLeft(AmlTerm value, AmlTerm count, AmlTerm target) {
        return seq(raw(SHIFT_LEFT_OP), value, count, target);
    }

    /** DefShiftRight: {@code 0x7A Operand ShiftCount Target}. */
    public static AmlTerm shiftRight(AmlTerm value, AmlTerm count, AmlTerm target) {
        return seq(raw(SHIFT_RIGHT_OP), value, count, target);
    }

    /** DefAnd: {@code 0x7B Operand Operand Target}. */
    public static AmlTerm and(AmlTerm a, AmlTerm b, AmlTerm target) {
        return seq(raw(AND_OP), a, b, target);
    }

    /** DefOr: {@code 0x7D Operand Operand Target}. */
    public static AmlTerm or(AmlTerm a, AmlTerm b, AmlTerm target) {
        return seq(raw(OR_OP), a, b, target);
    }

    /** DefIncrement: {@code 0x75 SuperName}. */
    public static AmlTerm increment(AmlTerm target) {
        return seq(raw(INCREMENT_OP), target);
    }

    /** DefDecrement: {@code 0x76 SuperName}. */
    public static AmlTerm decrement(AmlTerm target) {
        return seq(raw(DECREMENT_OP), target);
    }

    /** DefConcat: {@code 0x73 Data Data Target}. */
    public static AmlTerm concatenate(AmlTerm a, AmlTerm b, AmlTerm target) {
        return seq(raw(CONCAT_OP), a, b, target);
    }

    /** DefToInteger without target. */
    public static AmlTerm toInteger(AmlTerm value) {
        return toInteger(value, NULL_TARGET);
    }

    /** DefToInteger: {@code 0x99 Operand Target}. */
    public static AmlTerm toInteger(AmlTerm value, AmlTerm target) {
        return seq(raw(TO_INTEGER_OP), value, target);
    }

    /** DefToBuffer: {@code 0x96 Operand Target}. */
    public static AmlTerm toBuffer(AmlTerm value, AmlTerm target) {
        return seq(raw(TO_BUFFER_OP), value, target);
    }

    /** DefSizeOf: {@code 0x87 SuperName}. */
    public static AmlTerm sizeOf(AmlTerm object) {
        return seq(raw(SIZE_OF_OP), object);
    }

    /** DefObjectType: {@code 0x8E SuperName}. */
    public static AmlTerm objectType(AmlTerm object) {
        return seq(raw(OBJECT_TYPE_OP), object);
    }

    /** DefDerefOf: {@code 0x83 ObjReference}. */
    public static AmlTerm derefOf(AmlTerm reference) {
        return seq(raw(DEREF_OF_OP), reference);
    }

    /** DefIndex without target. */
    public static AmlTerm index(AmlTerm source, AmlTerm index) {
        return index(source, index, NULL_TARGET);
    }

    /** DefIndex: {@code 0x88 BuffPkgStrObj IndexValue Target}. */
    public static AmlTerm index(AmlTerm source, AmlTerm index, AmlTerm target) {
        return seq(raw(INDEX_OP), source, index, target);
    }

    /** DefLAnd: {@code 0x90 Operand Operand}. */
    public static AmlTerm lAnd(AmlTerm a, AmlTerm b) {
        return seq(raw(LAND_OP), a, b);
    }

    /** DefLOr: {@code 0x91 Operand Operand}. */
    public static AmlTerm lOr(AmlTerm a, AmlTerm b) {
        return seq(raw(LOR_OP), a, b);
    }

    /** DefLNot: {@code 0x92 Operand}. */
    public static AmlTerm lNot(AmlTerm a) {
        return seq(raw(LNOT_OP), a);
    }

    /** DefLEqual: {@code 0x93 Operand Operand}. */
    public static AmlTerm lEqual(AmlTerm a, AmlTerm b) {
        return seq(raw(LEQUAL_OP), a, b);
    }

    /** DefLNotEqual: LNotOp LEqualOp ({@code 0x92 0x93 Operand Operand}). */
    public static AmlTerm lNotEqual(AmlTerm a, AmlTerm b) {
        return lNot(lEqual(a, b));
    }

    /** DefLGreater: {@code 0x94 Operand Operand}. */
    public static AmlTerm lGreater(AmlTerm a, AmlTerm b) {
        return seq(raw(LGREATER_OP), a, b);
    }

    /** DefLLess: {@code 0x95 Operand Operand}. */
    public static AmlTerm lLess(AmlTerm a, AmlTerm b) {
        return seq(raw(LLESS_OP), a, b);
    }

    /** DefLLessEqual: LNotOp LGreaterOp. */
    public static AmlTerm lLessEqual(AmlTerm a, AmlTerm b) {
        return lNot(lGreater(a, b));
    }

    /** DefLGreaterEqual: LNotOp LLessOp. */
    public static AmlTerm lGreaterEqual(AmlTerm a, AmlTerm b) {
        return lNot(lLess(a, b));
    }

    // ---------------------------------------------------------------- plumbing

    /** A term made of the given terms written one after another (no opcode of its own). */
    public static AmlTerm seq(AmlTerm... terms) {
        for (int i = 0; i < terms.length; i++) {
            if (terms[i] == null) {
                throw new IllegalArgumentException("AML operand " + i + " is null");
            }
        }
        AmlTerm[] copy = terms.clone();
        return out -> {
            for (AmlTerm t : copy) {
                t.writeTo(out);
            }
        };
    }

    /** A term of literal bytes (for tests and for encodings not covered here). */
    public static AmlTerm bytes(byte[] literal) {
        byte[] copy = literal.clone();
        return out -> out.writeBytes(copy);
    }

    private static AmlTerm raw(int b) {
        return out -> out.write(b);
    }

    private static AmlTerm prefixed(int prefix, long value, int sizeBytes) {
        byte[] b = new byte[1 + sizeBytes];
        b[0] = (byte) prefix;
        for (int i = 0; i < sizeBytes; i++) {
            b[1 + i] = (byte) (value >>> (8 * i));
        }
        return bytes(b);
    }

    private static void checkRange(String what, long value, long max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format("%s value %d (0x%X) outside 0..0x%X", what, value, value, max));
        }
    }
}
