package org.vnvdimm.sim.oracle;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** QEMU's NVDIMM list as the oracle rebuilds it from argv and QMP: slots, handles, region sizes. */
class NvdimmListTest {
    static final List<String> ARGV = List.of("-xen-domid", "1",
            "-object", "memory-backend-file,id=mem1,mem-path=/mnt/pmem0/a.img,size=64M,share=on,align=2M",
            "-device", "nvdimm,id=nv1,memdev=mem1,label-size=131072",
            "-object", "memory-backend-file,id=mem2,mem-path=/mnt/pmem0/b.img,size=69206016",
            "-device", "nvdimm,id=nv2,memdev=mem2,slot=3");

    static Map<Long, Long> fit(long... handleBytes) {
        TreeMap<Long, Long> m = new TreeMap<>();
        for (int i = 0; i < handleBytes.length; i += 2) m.put(handleBytes[i], handleBytes[i + 1]);
        return m;
    }

    @Test
    void bootDevicesTakeTheLowestFreeSlotOrTheOneGivenAndLoseTheirLabelAreaAlignedDown() {
        NvdimmList l = NvdimmList.fromArgv(ARGV);
        // 64 MiB - 128 KiB aligned down to 2 MiB = 62 MiB; 66 MiB, no label, 4 KiB aligned
        assertNull(l.mismatch(fit(1, 62L << 20, 4, 69206016)));
        assertEquals("handle 0x1 (slot 0, 65011712 bytes) missing", l.mismatch(fit(4, 69206016)));
        assertEquals("handle 0x4 has 4096 bytes, the device 69206016", l.mismatch(fit(1, 62L << 20, 4, 4096)));
        assertEquals("handle 0x2 is no device of QEMU's", l.mismatch(fit(1, 62L << 20, 2, 1, 4, 69206016)));
    }

    @Test
    void aDeviceAddInFlightMayBeInTheFitAnsweredMustBeAndAFailedOneFreesItsSlot() {
        NvdimmList l = NvdimmList.fromArgv(ARGV);
        assertEquals("mem3", l.objectAdd(NvdimmList.arguments("{\"execute\": \"object_add\", \"arguments\": {\"qom-type\": \"memory-backend-file\", \"id\": \"mem3\", \"size\": 35651584, \"align\": 2097152}}")));
        int slot = l.deviceAdd(NvdimmList.arguments("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"nvdimm\", \"memdev\": \"mem3\", \"label-size\": 131072}}"));
        assertEquals(1, slot, "the lowest free slot");
        assertNull(l.mismatch(fit(1, 62L << 20, 4, 69206016)), "in flight: may be missing");
        assertNull(l.mismatch(fit(1, 62L << 20, 2, 32L << 20, 4, 69206016)), "in flight: may be there");
        l.deviceAcked(slot);
        assertEquals("handle 0x2 (slot 1, 33554432 bytes) missing", l.mismatch(fit(1, 62L << 20, 4, 69206016)));
        assertTrue(l.describe().contains("0x2: 33554432"));
        l.deviceFailed(slot);
        assertEquals("handle 0x2 is no device of QEMU's", l.mismatch(fit(1, 62L << 20, 2, 32L << 20, 4, 69206016)));
        assertEquals(-1, l.deviceAdd(NvdimmList.arguments("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"nvdimm\", \"memdev\": \"nope\"}}")),
                "no such backend: QEMU refuses, nothing is plugged");
        assertNull(NvdimmList.arguments("{not json"));
    }

    @Test
    void qemuSizesParseAsQemuWritesThem() {
        assertEquals(2L << 20, NvdimmList.size("2M"));
        assertEquals(1L << 40, NvdimmList.size("1T"));
        assertEquals(131072L, NvdimmList.size("131072"));
        assertNull(NvdimmList.size("2X"));
        assertNull(NvdimmList.size(""));
        assertNull(NvdimmList.size("99999999999999999999G"));
    }
}
