package org.vnvdimm.dom0.nd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class PfnInfoBlockTest {
    private static final long GiB = 1L << 30;

    private static Namespace xenNamespace() {
        Libnvdimm nd = new Libnvdimm(5);
        nd.addRegion(9 * GiB, 16 * GiB, 0, List.of(1));
        return nd.createNamespace("region0", NamespaceMode.FSDAX, PfnMode.XEN, 0);
    }

    /** A second, deliberately naive computation of the checksum rule, word by word. */
    private static long naiveChecksum(byte[] block) {
        long lo = 0;
        long hi = 0;
        for (int i = 0; i < 4096; i += 4) {
            long w = 0;
            if (i < 4088) {
                w = (block[i] & 0xFFL) | (block[i + 1] & 0xFFL) << 8 | (block[i + 2] & 0xFFL) << 16 | (block[i + 3] & 0xFFL) << 24;
            }
            lo = (lo + w) % (1L << 32);
            hi = (hi + lo) % (1L << 32);
        }
        return hi << 32 | lo;
    }

    @Test
    void roundTripAndFieldOffsets() {
        Namespace ns = xenNamespace();
        PfnInfoBlock sb = ns.infoBlock();
        byte[] raw = sb.encode();
        assertEquals(4096, raw.length);
        assertEquals(sb, PfnInfoBlock.decode(raw));
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("NVDIMM_PFN_INFO\0", new String(raw, 0, 16, StandardCharsets.US_ASCII));
        assertEquals(1, b.getShort(52));
        assertEquals(4, b.getShort(54));
        assertEquals(162L << 20, b.getLong(56)); // dataoff
        assertEquals(4152832L, b.getLong(64)); // npfns
        assertEquals(3, b.getInt(72)); // mode: our pfn-xen
        assertEquals(0, b.getInt(76)); // start_pad
        assertEquals(0, b.getInt(80)); // end_trunc
        assertEquals(2 << 20, b.getInt(84)); // align
        assertEquals(4096, b.getInt(88)); // page_size
        assertEquals(40, b.getShort(92)); // page_struct_size
        assertTrue(Arrays.equals(raw, 94, 4088, new byte[3994], 0, 3994), "padding is zero");
        ByteBuffer be = ByteBuffer.wrap(raw, 32, 16);
        assertEquals(ns.uuid(), new UUID(be.getLong(), be.getLong()));
        assertEquals(naiveChecksum(raw), b.getLong(4088));
        sb.checkFits(ns.spa().sizeBytes());
    }

    @Test
    void checksumKnownValues() {
        byte[] zero = new byte[4096];
        assertEquals(0L, PfnInfoBlock.checksum(zero));
        byte[] one = new byte[4096];
        one[0] = 1; // lo becomes 1 at word 0 and stays; hi adds it for each of the 1024 words
        assertEquals((1024L << 32) | 1, PfnInfoBlock.checksum(one));
        byte[] last = new byte[4096];
        last[4084] = 1; // word 1021, just before the checksum field: hi adds lo=1 for words 1021, 1022, 1023
        assertEquals((3L << 32) | 1, PfnInfoBlock.checksum(last));
        byte[] inField = new byte[4096];
        Arrays.fill(inField, 4088, 4096, (byte) 0x5A); // the checksum field itself is not summed
        assertEquals(0L, PfnInfoBlock.checksum(inField));
        byte[] wrap = new byte[4096];
        Arrays.fill(wrap, 0, 8, (byte) 0xFF); // two words of 0xFFFFFFFF: lo wraps to 0xFFFFFFFE
        assertEquals(naiveChecksum(wrap), PfnInfoBlock.checksum(wrap));
        assertEquals(0xFFFFFFFEL, PfnInfoBlock.checksum(wrap) & 0xFFFFFFFFL);
    }

    @Test
    void corruptionIsNamed() {
        byte[] raw = xenNamespace().infoBlock().encode();
        byte[] flipped = raw.clone();
        flipped[64] ^= 1; // npfns changed, checksum not updated
        NdException e = assertThrows(NdException.class, () -> PfnInfoBlock.decode(flipped));
        assertEquals("checksum", e.field());
        assertEquals(NdException.Reason.BAD_INFO_BLOCK, e.reason());
        byte[] sig = raw.clone();
        sig[7] = 'X';
        assertEquals("signature", assertThrows(NdException.class, () -> PfnInfoBlock.decode(sig)).field());
        assertEquals("length", assertThrows(NdException.class, () -> PfnInfoBlock.decode(new byte[100])).field());
        byte[] ver = raw.clone();
        ByteBuffer.wrap(ver).order(ByteOrder.LITTLE_ENDIAN).putShort(52, (short) 2);
        reseal(ver);
        assertEquals("version_major", assertThrows(NdException.class, () -> PfnInfoBlock.decode(ver)).field());
        byte[] mode = raw.clone();
        ByteBuffer.wrap(mode).order(ByteOrder.LITTLE_ENDIAN).putInt(72, 9);
        reseal(mode);
        assertEquals("mode", assertThrows(NdException.class, () -> PfnInfoBlock.decode(mode)).field());
        byte[] align = raw.clone();
        ByteBuffer.wrap(align).order(ByteOrder.LITTLE_ENDIAN).putInt(84, 3 << 20);
        reseal(align);
        assertEquals("align", assertThrows(NdException.class, () -> PfnInfoBlock.decode(align)).field());
        PfnInfoBlock ok = PfnInfoBlock.decode(raw);
        assertEquals("npfns", assertThrows(NdException.class, () -> ok.checkFits(GiB)).field());
    }

    private static void reseal(byte[] block) {
        ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).putLong(4088, PfnInfoBlock.checksum(block));
    }

    @Test
    void devdaxSignatureRoundTrips() {
        Libnvdimm nd = new Libnvdimm(5);
        nd.addRegion(9 * GiB, GiB, 0, List.of(1));
        Namespace ns = nd.createNamespace("region0", NamespaceMode.DEVDAX, PfnMode.PMEM, 0);
        byte[] raw = ns.infoBlock().encode();
        assertArrayEquals(Arrays.copyOf("NVDIMM_DAX_INFO".getBytes(StandardCharsets.US_ASCII), 16), Arrays.copyOf(raw, 16));
        PfnInfoBlock back = PfnInfoBlock.decode(raw);
        assertTrue(back.isDevDax());
        assertEquals(PfnMode.PMEM, back.pfnMode());
        assertEquals(64, back.pageStructSizeBytes());
        assertEquals(ns.layout().dataOffBytes(), back.dataOffBytes());
    }
}
