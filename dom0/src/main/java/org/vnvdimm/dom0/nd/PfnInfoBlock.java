package org.vnvdimm.dom0.nd;

import java.util.Locale;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * The pfn info block (Linux struct nd_pfn_sb) that sits 4 KiB into an fsdax or devdax namespace.
 * 4096 bytes, little-endian, checksum in the last 8 bytes (facts 2.1). Field offsets:
 *
 * <pre>
 *    0 signature[16]   16 uuid[16]   32 parent_uuid[16]   48 flags le32
 *   52 version_major le16   54 version_minor le16   56 dataoff le64   64 npfns le64
 *   72 mode le32   76 start_pad le32   80 end_trunc le32   84 align le32
 *   88 page_size le32   92 page_struct_size le16   94 padding[3994]   4088 checksum le64
 * </pre>
 *
 * The checksum rule is libnvdimm's: a Fletcher-style sum over the block read as little-endian 32-bit
 * words with the checksum field taken as zero; the low 32 bits are the running word sum (mod 2^32),
 * the high 32 bits the sum of those running sums (mod 2^32).
 *
 * @param dataOffBytes relative to the namespace base + start_pad
 * @param npfns        number of 4 KiB data pages
 */
public record PfnInfoBlock(String signature, UUID uuid, UUID parentUuid, int flags, int versionMajor,
                           int versionMinor, long dataOffBytes, long npfns, int mode, long startPadBytes,
                           long endTruncBytes, long alignBytes, long pageSizeBytes, int pageStructSizeBytes) {

    public static final int SIZE_BYTES = 4096;
    /** Where the block sits inside its namespace. */
    public static final long NAMESPACE_OFFSET_BYTES = 4096;
    public static final String PFN_SIGNATURE = "NVDIMM_PFN_INFO";
    public static final String DAX_SIGNATURE = "NVDIMM_DAX_INFO";
    /** We write version 1.4, the first with page_size and page_struct_size. */
    public static final int VERSION_MAJOR = 1;
    public static final int VERSION_MINOR = 4;

    public static final int OFF_SIGNATURE = 0;
    public static final int OFF_UUID = 16;
    public static final int OFF_PARENT_UUID = 32;
    public static final int OFF_FLAGS = 48;
    public static final int OFF_VERSION_MAJOR = 52;
    public static final int OFF_VERSION_MINOR = 54;
    public static final int OFF_DATAOFF = 56;
    public static final int OFF_NPFNS = 64;
    public static final int OFF_MODE = 72;
    public static final int OFF_START_PAD = 76;
    public static final int OFF_END_TRUNC = 80;
    public static final int OFF_ALIGN = 84;
    public static final int OFF_PAGE_SIZE = 88;
    public static final int OFF_PAGE_STRUCT_SIZE = 92;
    public static final int OFF_PADDING = 94;
    public static final int OFF_CHECKSUM = 4088;

    private static final long U32_MAX = 0xFFFF_FFFFL;

    public PfnInfoBlock {
        if (!PFN_SIGNATURE.equals(signature) && !DAX_SIGNATURE.equals(signature)) {
            throw bad("signature", "'" + signature + "' is neither " + PFN_SIGNATURE + " nor " + DAX_SIGNATURE);
        }
        if (uuid == null) throw bad("uuid", "missing");
        if (parentUuid == null) throw bad("parent_uuid", "missing");
        checkU16("version_major", versionMajor);
        checkU16("version_minor", versionMinor);
        checkU16("page_struct_size", pageStructSizeBytes);
        if (dataOffBytes < 0) throw bad("dataoff", "negative " + dataOffBytes);
        if (npfns < 0) throw bad("npfns", "negative " + npfns);
        checkU32("start_pad", startPadBytes);
        checkU32("end_trunc", endTruncBytes);
        checkU32("align", alignBytes);
        checkU32("page_size", pageSizeBytes);
    }

    private static NdException bad(String field, String message) {
        return new NdException(NdException.Reason.BAD_INFO_BLOCK, field, message);
    }

    private static void checkU16(String field, int v) {
        if (v < 0 || v > 0xFFFF) throw bad(field, v + " does not fit le16");
    }

    private static void checkU32(String field, long v) {
        if (v < 0 || v > U32_MAX) throw bad(field, v + " does not fit le32");
    }

    public PfnMode pfnMode() { return PfnMode.fromValue(mode); }

    public boolean isDevDax() { return DAX_SIGNATURE.equals(signature); }

    /** The 4096 on-media bytes, checksum filled in. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] sig = signature.getBytes(StandardCharsets.US_ASCII); // 15 chars + the NUL left by allocate()
        b.put(OFF_SIGNATURE, sig);
        putUuid(b, OFF_UUID, uuid);
        putUuid(b, OFF_PARENT_UUID, parentUuid);
        b.putInt(OFF_FLAGS, flags);
        b.putShort(OFF_VERSION_MAJOR, (short) versionMajor);
        b.putShort(OFF_VERSION_MINOR, (short) versionMinor);
        b.putLong(OFF_DATAOFF, dataOffBytes);
        b.putLong(OFF_NPFNS, npfns);
        b.putInt(OFF_MODE, mode);
        b.putInt(OFF_START_PAD, (int) startPadBytes);
        b.putInt(OFF_END_TRUNC, (int) endTruncBytes);
        b.putInt(OFF_ALIGN, (int) alignBytes);
        b.putInt(OFF_PAGE_SIZE, (int) pageSizeBytes);
        b.putShort(OFF_PAGE_STRUCT_SIZE, (short) pageStructSizeBytes);
        byte[] out = b.array();
        long sum = checksum(out);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(OFF_CHECKSUM, sum);
        return out;
    }

    /**
     * Parses and verifies a block: length, signature, checksum, version, mode, page size and align are
     * checked, and an {@link NdException} with reason BAD_INFO_BLOCK names the first bad field.
     */
    public static PfnInfoBlock decode(byte[] block) {
        if (block == null || block.length != SIZE_BYTES) {
            throw bad("length", (block == null ? "null" : block.length + " bytes") + ", expected " + SIZE_BYTES);
        }
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        String sig = signatureOf(block);
        if (sig == null) {
            throw bad("signature", "bytes 0..15 are not " + PFN_SIGNATURE + "\\0 or " + DAX_SIGNATURE + "\\0");
        }
        long stored = b.getLong(OFF_CHECKSUM);
        long computed = checksum(block);
        if (stored != computed) {
            throw bad("checksum", org.vnvdimm.contract.ComponentBehavior.format("stored %#018x, computed %#018x", stored, computed));
        }
        int major = Short.toUnsignedInt(b.getShort(OFF_VERSION_MAJOR));
        int minor = Short.toUnsignedInt(b.getShort(OFF_VERSION_MINOR));
        if (major != VERSION_MAJOR) throw bad("version_major", major + ", only " + VERSION_MAJOR + " is understood");
        int mode = b.getInt(OFF_MODE);
        PfnMode.fromValue(mode);
        long pageSize = Integer.toUnsignedLong(b.getInt(OFF_PAGE_SIZE));
        if (pageSize != 4096) throw bad("page_size", pageSize + ", only 4096 is supported");
        long align = Integer.toUnsignedLong(b.getInt(OFF_ALIGN));
        if (align < 4096 || Long.bitCount(align) != 1) throw bad("align", align + " is not a power of two >= 4096");
        long dataOff = b.getLong(OFF_DATAOFF);
        if (dataOff < 2 * NAMESPACE_OFFSET_BYTES) {
            throw bad("dataoff", org.vnvdimm.contract.ComponentBehavior.format("%#x overlaps the info block (must be >= 0x2000)", dataOff));
        }
        long npfns = b.getLong(OFF_NPFNS);
        if (npfns < 0) throw bad("npfns", "negative " + npfns);
        return new PfnInfoBlock(sig, getUuid(b, OFF_UUID), getUuid(b, OFF_PARENT_UUID), b.getInt(OFF_FLAGS), major, minor,
                dataOff, npfns, mode, Integer.toUnsignedLong(b.getInt(OFF_START_PAD)),
                Integer.toUnsignedLong(b.getInt(OFF_END_TRUNC)), align, pageSize,
                Short.toUnsignedInt(b.getShort(OFF_PAGE_STRUCT_SIZE)));
    }

    /** Checks that the block's data area fits a namespace of the given size; names the field if not. */
    public void checkFits(long namespaceSizeBytes) {
        long dataBytes;
        try {
            dataBytes = Math.multiplyExact(npfns, pageSizeBytes);
            long end = Math.addExact(Math.addExact(Math.addExact(startPadBytes, dataOffBytes), dataBytes), endTruncBytes);
            if (end > namespaceSizeBytes) {
                throw bad("npfns", org.vnvdimm.contract.ComponentBehavior.format("start_pad %#x + dataoff %#x + npfns*page_size %#x + end_trunc %#x = %#x exceeds namespace size %#x",
                        startPadBytes, dataOffBytes, dataBytes, endTruncBytes, end, namespaceSizeBytes));
            }
        } catch (ArithmeticException e) {
            throw bad("npfns", npfns + " pages overflow 64 bits");
        }
    }

    private static String signatureOf(byte[] block) {
        for (String s : new String[] {PFN_SIGNATURE, DAX_SIGNATURE}) {
            byte[] want = Arrays.copyOf(s.getBytes(StandardCharsets.US_ASCII), 16);
            if (Arrays.equals(block, 0, 16, want, 0, 16)) return s;
        }
        return null;
    }

    /**
     * libnvdimm's info-block checksum of a 4096-byte block, with bytes 4088..4095 (the stored checksum)
     * counted as zero.
     */
    public static long checksum(byte[] block) {
        if (block.length != SIZE_BYTES) throw bad("length", block.length + " bytes, expected " + SIZE_BYTES);
        byte[] copy = block.clone();
        Arrays.fill(copy, OFF_CHECKSUM, SIZE_BYTES, (byte) 0);
        return fletcher64(copy);
    }

    /** The 64-bit Fletcher sum over little-endian 32-bit words (length must be a multiple of 4). */
    public static long fletcher64(byte[] data) {
        if (data.length % 4 != 0) throw bad("length", data.length + " is not a multiple of 4");
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long lo = 0; // kept to 32 bits
        long hi = 0; // only its low 32 bits survive the final shift
        for (int i = 0; i < data.length; i += 4) {
            lo = (lo + Integer.toUnsignedLong(b.getInt(i))) & U32_MAX;
            hi += lo;
        }
        return (hi << 32) | lo;
    }

    private static void putUuid(ByteBuffer b, int off, UUID u) {
        // Raw 16-byte uuid_t order (big-endian halves), as libuuid/ndctl keep it.
        ByteBuffer.wrap(b.array(), off, 16).order(ByteOrder.BIG_ENDIAN)
                .putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
    }

    private static UUID getUuid(ByteBuffer b, int off) {
        ByteBuffer be = ByteBuffer.wrap(b.array(), off, 16).order(ByteOrder.BIG_ENDIAN);
        return new UUID(be.getLong(), be.getLong());
    }
}
