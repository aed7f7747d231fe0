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
        assertEquals(0x80, p.mapMmio(0x80, 0x100, 0x9080, false).rc() + 0x40, "stops at the RAM, after what it did");
        ArrayList<String> warn = new ArrayList<>();
        assertEquals(0, p.unmapMmio(0x0, 0x40, 0x9001, false, warn).rc(), "a mismatched MFN is cleared anyway");
        assertFalse(warn.isEmpty());
    }
}
