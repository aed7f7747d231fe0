package org.vnvdimm.xen;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;

class P2mTest {
    @Test
    void fourKiBEntriesWithoutASharedIommuTable() {
        P2m p = new P2m();
        P2m.Progress r = p.mapMmio(0x200000, 1 << 20, 0x400000, false);
        assertEquals(64, r.rc(), "64 4 KiB insertions, reported as progress");
        assertEquals(1, p.runCount(), "adjacent entries merge into one run");
    }

    @Test
    void twoMiBEntriesWhenAlignedAndTheIommuSharesTheTables() {
        P2m p = new P2m();
        P2m.Progress r = p.mapMmio(0x200000, 1 << 20, 0x400000, true);
        assertEquals(64L << 9, r.rc());
        P2m.Progress unaligned = new P2m().mapMmio(0x200001, 1 << 20, 0x400000, true);
        assertEquals(64, unaligned.rc(), "misaligned gfn|mfn falls back to 4 KiB");
    }

    @Test
    void completionIsZeroAndRamIsBusy() {
        P2m p = new P2m();
        p.set(0x100, 0x10, 0x5000, p2m_ram_rw);
        assertEquals(0, p.mapMmio(0x0, 0x40, 0x9000, false).rc());
        assertEquals(Errno.EBUSY.neg(), p.mapMmio(0x100, 1, 0x9000, false).rc(), "a RAM GFN is not overwritten");
        // RAM at gfn 0x100, 0x10 frames into the request: well inside one call's 64 insertions, so
        // only the conflict check can end the call there.
        P2m.Progress stop = p.mapMmio(0xf0, 0x100, 0x90f0, false);
        assertEquals(0x10, stop.rc(), "stops at the RAM, reporting what it did before it");
        assertEquals(0x10, stop.pagesDone());
        assertEquals(p2m_mmio_direct, p.lookup(0xff).value().type());
        assertEquals(0x90ff, p.lookup(0xff).value().mfn());
        assertEquals(p2m_ram_rw, p.lookup(0x100).value().type(), "the RAM entry is untouched");
        assertEquals(0x5000, p.lookup(0x100).value().mfn());
        ArrayList<String> warn = new ArrayList<>();
        assertEquals(0, p.unmapMmio(0x0, 0x40, 0x9001, false, warn).rc(), "a mismatched MFN is cleared anyway");
        assertFalse(warn.isEmpty());
    }
}
