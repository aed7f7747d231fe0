package org.vnvdimm.qemu.acpi;

import java.util.Locale;

import static org.vnvdimm.qemu.acpi.Aml.*;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.vnvdimm.qemu.acpi.AmlField.AccessType;
import org.vnvdimm.qemu.acpi.AmlField.LockRule;
import org.vnvdimm.qemu.acpi.AmlField.UpdateRule;

/**
 * The NVDIMM SSDT as QEMU v10.2 emits it (facts: qemu-acpi.md section 4): the root device
 * {@code \_SB.NVDR} (ACPI0012) with the common _DSM worker NCAL, _DSM, RFIT and _FIT, one
 * {@code NVxx} child per memory slot with _ADR, _LSI, _LSR, _LSW and _DSM, and after the scope the
 * dword {@code Name(MEMA, ...)} that firmware patches with the DSM page address. For the x86
 * configuration of QEMU's bios-tables-test the output equals tests/data/acpi/x86/pc/SSDT.dimmpxm.
 */
public final class SsdtBuilder {

    /** Where NCAL's write of the page address traps to QEMU. */
    public enum Trap {
        /** x86 pc/q35: I/O port 0x0A18, 4 bytes. */
        X86_IO_PORT(AmlRegionSpace.SYSTEM_IO, 0x0A18L),
        /** arm virt: MMIO 0x09090000, 4 bytes. */
        ARM_VIRT_MMIO(AmlRegionSpace.SYSTEM_MEMORY, 0x0909_0000L);

        private final AmlRegionSpace space;
        private final long address;

        Trap(AmlRegionSpace space, long address) {
            this.space = space;
            this.address = address;
        }

        public AmlRegionSpace space() {
            return space;
        }

        public long address() {
            return address;
        }
    }

    /** QEMU's default machine OEM id. */
    public static final String DEFAULT_OEM_ID = "BOCHS ";
    /** The SSDT's OEM table id is fixed to this, NUL-padded to 8 bytes, whatever the machine says. */
    public static final String OEM_TABLE_ID = "NVDIMM";
    /** QEMU limits memory slots to this many (ACPI device naming NV00..NVFF). */
    public static final int MAX_SLOTS = 256;
    /** Header length of every ACPI system description table. */
    public static final int HEADER_LENGTH_BYTES = 36;
    /** Byte offset of the checksum in the header. */
    public static final int CHECKSUM_OFFSET = 9;
    /** MEMA's dword value is the last four bytes of the table. */
    public static final int MEMA_VALUE_FROM_END_BYTES = 4;
    /** Size of the DSM page the trap register points at. */
    public static final int DSM_PAGE_SIZE_BYTES = 4096;
    /** I/O or MMIO trap register width. */
    public static final int TRAP_LENGTH_BYTES = 4;

    /** _DSM UUID of the NVDIMM root device (handle 0). */
    public static final String ROOT_DSM_UUID = "2f10e7a4-9e91-11e4-89d3-123b93f75cba";
    /** QEMU's private UUID on handle 0x10000 (Read FIT). */
    public static final String QEMU_DSM_UUID = "648b9cf2-cda1-4312-8ad9-49c4af32bd62";
    /** Intel NVDIMM device _DSM UUID (handles 1..0xFFFF). */
    public static final String DEVICE_DSM_UUID = "4309ac30-0d11-11e4-9191-0800200c9a66";

    static final long QEMU_ROOT_HANDLE = 0x10000L;
    static final long STATUS_FIT_CHANGED = 0x100L;
    /** ObjectType() result for a Package. */
    private static final int OBJECT_TYPE_PACKAGE = 4;

    private SsdtBuilder() {
    }

    /** The x86 SSDT with the default OEM id. */
    public static byte[] build(int slots, long memaAddr) {
        return build(slots, DEFAULT_OEM_ID, memaAddr);
    }

    /** The SSDT with the default OEM id and the given trap. */
    public static byte[] build(int slots, long memaAddr, Trap trap) {
        return build(slots, DEFAULT_OEM_ID, memaAddr, trap);
    }

    /** The x86 SSDT (I/O port trap). */
    public static byte[] build(int slots, String oemId, long memaAddr) {
        return build(slots, oemId, memaAddr, Trap.X86_IO_PORT);
    }

    /**
     * Builds the SSDT for {@code slots} memory slots.
     *
     * @param slots    memory slots of the machine ({@code -m ...,slots=N}), 1..256; QEMU builds no
     *                 NVDIMM SSDT at all for 0 slots
     * @param oemId    header OEM id, up to 6 ASCII characters, NUL-padded
     * @param memaAddr guest-physical address of the 4 KiB DSM page, as firmware patches it (0 = unpatched)
     * @param trap     where the DSM trap register lives
     */
    public static byte[] build(int slots, String oemId, long memaAddr, Trap trap) {
        // A pure function of its arguments, built once per boot of every run: explore's runs share
        // a few shapes, so the bytes are kept (copies handed out; a bad argument still throws).
        Key key = new Key(slots, oemId, memaAddr, trap);
        byte[] kept = BUILT.get(key);
        if (kept == null) {
            kept = buildNew(slots, oemId, memaAddr, trap);
            BUILT.put(key, kept);
        }
        return kept.clone();
    }

    private record Key(int slots, String oemId, long memaAddr, Trap trap) {}

    /** Bounded: the most recently used tables only. */
    private static final java.util.Map<Key, byte[]> BUILT = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override protected boolean removeEldestEntry(java.util.Map.Entry<Key, byte[]> eldest) { return size() > 64; }
            });

    private static byte[] buildNew(int slots, String oemId, long memaAddr, Trap trap) {
        if (slots < 1 || slots > MAX_SLOTS) {
            throw new IllegalArgumentException("slots=" + slots + ": the NVDIMM SSDT needs 1.." + MAX_SLOTS
                    + " memory slots (QEMU emits no NVDIMM SSDT for slots=0 and refuses more than "
                    + MAX_SLOTS + ")");
        }
        if (memaAddr < 0 || memaAddr > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format(
                    "memaAddr=0x%X: MEMA is a 32-bit DWord, the DSM page must lie below 4 GiB", memaAddr));
        }
        byte[] oem = paddedAscii("oemId", oemId, 6);

        AmlBlock root = device("NVDR");
        root.add(nameDecl("_HID", string("ACPI0012")));
        root.add(commonDsm(trap));
        root.add(dsmForHandle(0));
        root.add(nameDecl("RSTA", zero()));
        root.add(readFitHelper());
        root.add(fitMethod());
        for (int slot = 0; slot < slots; slot++) {
            root.add(nvdimmDevice(slot));
        }
        AmlBlock sb = scope("\\_SB").add(root);

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        sb.writeTo(body);
        nameDecl("MEMA", dwordConst(memaAddr)).writeTo(body);

        int length = HEADER_LENGTH_BYTES + body.size();
        ByteArrayOutputStream table = new ByteArrayOutputStream(length);
        table.writeBytes("SSDT".getBytes(StandardCharsets.US_ASCII));
        writeLe32(table, length);
        table.write(1); // revision 1: AML integers are 32 bits wide
        table.write(0); // checksum, filled below
        table.writeBytes(oem);
        table.writeBytes(paddedAscii("oemTableId", OEM_TABLE_ID, 8));
        writeLe32(table, 1); // OEM revision
        table.writeBytes("BXPC".getBytes(StandardCharsets.US_ASCII));
        writeLe32(table, 1); // creator revision
        table.writeBytes(body.toByteArray());
        byte[] out = table.toByteArray();
        org.vnvdimm.acpi.AcpiChecksum.fix(out);
        return out;
    }

    /**
     * What firmware does to QEMU's table: writes {@code memaAddr} into MEMA (the last four bytes)
     * and recomputes the checksum. Returns a patched copy.
     */
    public static byte[] patchMema(byte[] ssdt, long memaAddr) {
        if (ssdt.length < HEADER_LENGTH_BYTES + 10) {
            throw new IllegalArgumentException("SSDT of " + ssdt.length + " bytes is too short to end in Name(MEMA, DWord)");
        }
        if (memaAddr < 0 || memaAddr > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format("memaAddr=0x%X does not fit MEMA's DWord", memaAddr));
        }
        int at = ssdt.length - 10;
        byte[] expected = {0x08, 'M', 'E', 'M', 'A', 0x0C};
        for (int i = 0; i < expected.length; i++) {
            if (ssdt[at + i] != expected[i]) {
                throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format(
                        "SSDT byte at offset 0x%X is 0x%02X, expected 0x%02X: the table does not end in Name(MEMA, DWord)",
                        at + i, ssdt[at + i] & 0xFF, expected[i] & 0xFF));
            }
        }
        byte[] out = ssdt.clone();
        int v = ssdt.length - MEMA_VALUE_FROM_END_BYTES;
        for (int i = 0; i < 4; i++) {
            out[v + i] = (byte) (memaAddr >>> (8 * i));
        }
        org.vnvdimm.acpi.AcpiChecksum.fix(out);
        return out;
    }

    /** The MEMA value stored in a built or patched SSDT. */
    public static long mema(byte[] ssdt) {
        int v = ssdt.length - MEMA_VALUE_FROM_END_BYTES;
        long value = 0;
        for (int i = 0; i < 4; i++) {
            value |= (long) (ssdt[v + i] & 0xFF) << (8 * i);
        }
        return value;
    }

    /** The 4-character ACPI name of the device for {@code slot}: NV00..NVFF (upper-case hex). */
    public static String deviceName(int slot) {
        if (slot < 0 || slot >= MAX_SLOTS) {
            throw new IllegalArgumentException("slot " + slot + " outside 0.." + (MAX_SLOTS - 1));
        }
        return org.vnvdimm.contract.ComponentBehavior.format("NV%02X", slot);
    }

    /** NFIT device handle of {@code slot}: slot + 1, handle 0 being the root device. */
    public static long handleOfSlot(int slot) {
        return slot + 1L;
    }

    // ---------------------------------------------------------------- methods of NVDR

    /**
     * NCAL(uuid, revision, function, arg3, handle): checks the UUID for the handle, fills the DSM
     * page, writes the page address to the trap register, and returns the RLEN-4 result bytes.
     */
    private static AmlTerm commonDsm(Trap trap) {
        AmlTerm page = local(6);
        AmlTerm expectedUuid = local(0);
        AmlTerm resultBytes = local(1);
        AmlTerm uuid = arg(0);
        AmlTerm function = arg(2);
        AmlTerm pkg = arg(3);
        AmlTerm handle = arg(4);

        AmlBlock m = method("NCAL", 5, true);
        m.add(store(name("MEMA"), page));
        m.add(operationRegion("NPIO", trap.space(), integer(trap.address()), integer(TRAP_LENGTH_BYTES)));
        m.add(operationRegion("NRAM", AmlRegionSpace.SYSTEM_MEMORY, page, integer(DSM_PAGE_SIZE_BYTES)));
        m.add(field("NPIO", AccessType.DWORD, LockRule.NO_LOCK, UpdateRule.PRESERVE).named("NTFI", 32));
        // input view of the page: handle, revision, function, then Arg3's payload to the end
        m.add(field("NRAM", AccessType.DWORD, LockRule.NO_LOCK, UpdateRule.PRESERVE)
                .named("HDLE", 32).named("REVS", 32).named("FUNC", 32)
                .named("FARG", (DSM_PAGE_SIZE_BYTES - 12) * 8L));
        // output view of the same page: result length (counting itself), then the data
        m.add(field("NRAM", AccessType.DWORD, LockRule.NO_LOCK, UpdateRule.PRESERVE)
                .named("RLEN", 32).named("ODAT", (DSM_PAGE_SIZE_BYTES - 4) * 8L));

        m.add(ifThen(lEqual(handle, zero())).add(store(toUuid(ROOT_DSM_UUID), expectedUuid)));
        m.add(elseBlock().add(
                ifThen(lEqual(handle, integer(QEMU_ROOT_HANDLE))).add(store(toUuid(QEMU_DSM_UUID), expectedUuid)),
                elseBlock().add(store(toUuid(DEVICE_DSM_UUID), expectedUuid))));

        // unpatched page address or foreign UUID: function 0 reports nothing, others "not supported"
        m.add(ifThen(lOr(lEqual(page, zero()), lNotEqual(uuid, expectedUuid))).add(
                ifThen(lEqual(function, zero())).add(ret(buffer((byte) 0x00))),
                ret(buffer((byte) 0x01))));

        m.add(store(handle, name("HDLE")));
        m.add(store(arg(1), name("REVS")));
        m.add(store(function, name("FUNC")));
        m.add(ifThen(lAnd(lEqual(objectType(pkg), integer(OBJECT_TYPE_PACKAGE)), lEqual(sizeOf(pkg), one())))
                .add(store(index(pkg, zero()), local(2)),
                        store(derefOf(local(2)), local(3)),
                        store(local(3), name("FARG"))));

        m.add(store(page, name("NTFI")));
        m.add(subtract(name("RLEN"), integer(4), resultBytes));

        // short results are copied byte by byte into a fresh buffer
        AmlTerm i = local(2);
        AmlTerm out = local(7);
        m.add(ifThen(lLess(resultBytes, integer(8))).add(
                store(zero(), i),
                nameDecl("TBUF", buffer((byte) 0x00)),
                store(buffer(), out),
                whileLoop(lLess(i, resultBytes)).add(
                        store(derefOf(index(name("ODAT"), i)), index(name("TBUF"), zero())),
                        concatenate(out, name("TBUF"), out),
                        increment(i)),
                ret(out)));

        m.add(store(shiftLeft(resultBytes, integer(3)), resultBytes));
        m.add(createField(name("ODAT"), zero(), resultBytes, "OBUF"));
        m.add(ret(name("OBUF")));
        return m;
    }

    /** _DSM that forwards to NCAL with a fixed handle. */
    private static AmlTerm dsmForHandle(long handle) {
        return method("_DSM", 4, false)
                .add(ret(call("NCAL", arg(0), arg(1), arg(2), arg(3), integer(handle))));
    }

    /** RFIT(offset): one Read FIT call; sets RSTA; returns the data, empty on error or at the end. */
    private static AmlTerm readFitHelper() {
        AmlTerm result = local(0);
        AmlTerm dataBytes = local(1);
        AmlBlock m = method("RFIT", 1, true);
        m.add(nameDecl("OFST", zero()));
        m.add(store(arg(0), name("OFST")));
        m.add(store(call("NCAL", toUuid(QEMU_DSM_UUID), one(), one(), pkg(name("OFST")),
                integer(QEMU_ROOT_HANDLE)), result));
        m.add(createDWordField(result, zero(), "STAU"));
        m.add(store(name("STAU"), name("RSTA")));
        m.add(ifThen(lNotEqual(zero(), name("STAU"))).add(ret(buffer())));
        m.add(store(sizeOf(result), dataBytes));
        m.add(subtract(dataBytes, integer(4), dataBytes));
        m.add(ifThen(lEqual(dataBytes, zero())).add(ret(buffer())));
        m.add(createField(result, integer(32), shiftLeft(dataBytes, integer(3)), "BUFF"));
        m.add(ret(name("BUFF")));
        return m;
    }

    /** _FIT: loops over RFIT, restarting from offset 0 whenever RSTA reports "FIT changed". */
    private static AmlTerm fitMethod() {
        AmlTerm chunk = local(0);
        AmlTerm chunkBytes = local(1);
        AmlTerm fit = local(2);
        AmlTerm offset = local(3);
        AmlBlock m = method("_FIT", 0, true);
        m.add(store(buffer(), fit));
        m.add(store(zero(), offset));
        m.add(whileLoop(one()).add(
                store(call("RFIT", offset), chunk),
                store(sizeOf(chunk), chunkBytes),
                ifThen(lEqual(name("RSTA"), integer(STATUS_FIT_CHANGED))).add(
                        store(buffer(), fit),
                        store(zero(), offset)),
                elseBlock().add(
                        ifThen(lEqual(chunkBytes, zero())).add(ret(fit)),
                        add(offset, chunkBytes, offset),
                        concatenate(fit, chunk, fit))));
        return m;
    }

    // ---------------------------------------------------------------- NVDIMM child devices

    private static AmlTerm nvdimmDevice(int slot) {
        long handle = handleOfSlot(slot);
        AmlBlock dev = device(deviceName(slot));
        dev.add(nameDecl("_ADR", integer(handle)));
        dev.add(labelStorageInfo(handle));
        dev.add(labelStorageRead(handle));
        dev.add(labelStorageWrite(handle));
        dev.add(dsmForHandle(handle));
        return dev;
    }

    /** _LSI: function 4, returns Package{status, label size, max transfer}. */
    private static AmlTerm labelStorageInfo(long handle) {
        AmlBlock m = method("_LSI", 0, true);
        m.add(store(call("NCAL", toUuid(DEVICE_DSM_UUID), one(), integer(4), zero(), integer(handle)), local(0)));
        m.add(createDWordField(local(0), zero(), "STTS"));
        m.add(createDWordField(local(0), integer(4), "SLSA"));
        m.add(createDWordField(local(0), integer(8), "MAXT"));
        m.add(store(pkg(name("STTS"), name("SLSA"), name("MAXT")), local(1)));
        m.add(ret(local(1)));
        return m;
    }

    /** _LSR(offset, length): function 5, returns Package{status, data}. */
    private static AmlTerm labelStorageRead(long handle) {
        AmlBlock m = method("_LSR", 2, true);
        m.add(nameDecl("INPT", buffer(new byte[8])));
        m.add(createDWordField(name("INPT"), zero(), "OFST"));
        m.add(createDWordField(name("INPT"), integer(4), "LEN"));
        m.add(store(arg(0), name("OFST")));
        m.add(store(arg(1), name("LEN")));
        m.add(store(pkg(name("INPT")), local(0)));
        m.add(store(call("NCAL", toUuid(DEVICE_DSM_UUID), one(), integer(5), local(0), integer(handle)), local(3)));
        m.add(createDWordField(local(3), zero(), "STTS"));
        m.add(createField(local(3), integer(32), shiftLeft(name("LEN"), integer(3)), "LDAT"));
        m.add(nameDecl("LSA", buffer()));
        m.add(toBuffer(name("LDAT"), name("LSA")));
        m.add(store(pkg(name("STTS"), name("LSA")), local(1)));
        m.add(ret(local(1)));
        return m;
    }

    /** _LSW(offset, length, data): function 6, returns the status. */
    private static AmlTerm labelStorageWrite(long handle) {
        AmlBlock m = method("_LSW", 3, true);
        m.add(store(arg(2), local(2)));
        m.add(nameDecl("INPT", buffer(new byte[8])));
        m.add(createDWordField(name("INPT"), zero(), "OFST"));
        m.add(createDWordField(name("INPT"), integer(4), "TLEN"));
        m.add(store(arg(0), name("OFST")));
        m.add(store(arg(1), name("TLEN")));
        m.add(concatenate(name("INPT"), local(2), name("INPT")));
        m.add(store(pkg(name("INPT")), local(0)));
        m.add(store(call("NCAL", toUuid(DEVICE_DSM_UUID), one(), integer(6), local(0), integer(handle)), local(3)));
        m.add(createDWordField(local(3), zero(), "STTS"));
        m.add(ret(name("STTS")));
        return m;
    }

    // ---------------------------------------------------------------- header helpers

    private static byte[] paddedAscii(String field, String s, int width) {
        if (s == null) {
            throw new IllegalArgumentException(field + " must not be null");
        }
        if (s.length() > width) {
            throw new IllegalArgumentException(field + " '" + s + "' is " + s.length() + " characters; at most " + width);
        }
        byte[] out = new byte[width];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new IllegalArgumentException(org.vnvdimm.contract.ComponentBehavior.format(
                        "%s '%s': character 0x%04X at index %d is not printable ASCII", field, s, (int) c, i));
            }
            out[i] = (byte) c;
        }
        return out;
    }

    private static void writeLe32(ByteArrayOutputStream out, long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
    }

}
