package org.vnvdimm.guest;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.AcpiHeader;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.NfitWriter;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.*;

/** hvmloader reads the dm-acpi keys, loads and checks the tables; the OS finds its vNVDIMM in the NFIT. */
class GuestTest {
    static ActorTestKit kit;

    @BeforeAll static void up() { kit = ActorTestKit.create("GuestTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    static byte[] nfit() {
        return NfitWriter.writeTable(AcpiHeader.of("NFIT", 1, "BOCHS ", "BXPC    ", 1, "BXPC", 1), List.of(
                new NfitSpaRange(2, 3, 0, Guid.PERSISTENT_MEMORY, 0x100000000L, 64L << 20, 0x8008),
                new NfitMemoryDeviceMap(1, 0, 0, 2, 3, 64L << 20, 0, 0, 0, 1, 0)));
    }

    static Envelope.Builder xs(String v) { return Envelope.newBuilder().setXsResponse(XsResponse.newBuilder().setType(XS_READ).setValue(v)); }

    StepResult loadTables(Harness g, byte[] table) {
        StepResult r = g.deliver(Roles.XEN, Envelope.newBuilder().setDomainStart(DomainStart.newBuilder().setDomid(1).setHvm(true)));
        assertEquals(XENMEM_memory_map, Harness.only(r).getMemoryOp().getCmd(), "hvmloader asks for its memory map first");
        r = g.answer(Harness.only(r), Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0).setMemoryMap(XenMemoryMap.newBuilder()
                .addBuffer(E820Entry.newBuilder().setAddr(0).setSize(0x1fff0000).setType(E820_RAM)))));
        assertEquals("/local/domain/1/hvmloader/dm-acpi/address", Harness.only(r).getXsRequest().getPath());
        r = g.answer(Harness.only(r), xs("0x1fff0000"));
        assertEquals("/local/domain/1/hvmloader/dm-acpi/length", Harness.only(r).getXsRequest().getPath());
        r = g.answer(Harness.only(r), xs("0x10000"));
        assertEquals(XS_DIRECTORY, Harness.only(r).getXsRequest().getType());
        r = g.answer(Harness.only(r), Envelope.newBuilder().setXsResponse(XsResponse.newBuilder().setType(XS_DIRECTORY)
                .addAllEntries(List.of("NFIT", "address", "length"))));
        r = g.answer(Harness.only(r), xs("0"));
        r = g.answer(Harness.only(r), xs("0"));
        r = g.answer(Harness.only(r), xs(Integer.toString(table.length)));
        GuestMemAccess load = Harness.only(r).getGuestMemAccess();
        assertFalse(load.getWrite());
        assertEquals(0x1fff0000, load.getGpa(), "the table is read where address + offset say");
        r = g.answer(Harness.only(r), Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(table))));
        // ACPICA enables the GPEs Xen 4.10's DSDT has methods for (_E01, _E02): a byte to GPE0's enable half.
        GuestIo enable = Harness.only(r).getGuestIo();
        assertTrue(enable.getWrite());
        assertEquals(ACPI_GPE0_BLK_ADDRESS_V1 + 2, enable.getPort());
        assertEquals(0x06, enable.getData());
        return g.answer(Harness.only(r), Envelope.newBuilder().setGuestIoDone(GuestIoDone.getDefaultInstance()));
    }

    @Test
    void goodTablesAreAppendedAndTheRegionFound() {
        Harness g = new Harness(kit, "guest-1", w -> Guest.create(w, 1));
        StepResult r = loadTables(g, nfit());
        assertTrue(g.observed().stream().anyMatch(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("acpi-checksum-NFIT") && o.getGuestCheck().getOk()));
        assertTrue(g.observed().stream().anyMatch(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("acpi-nfit") && o.getGuestCheck().getOk()));
        // The workload comes from the keys xl wrote into the guest's xenstore home.
        XsRequest wb = Harness.only(r).getXsRequest();
        assertEquals("/local/domain/1/data/vnvdimm-sim/pattern_bytes", wb.getPath());
        r = g.answer(Harness.only(r), xs("8192"));
        assertEquals("/local/domain/1/data/vnvdimm-sim/pattern_seed", Harness.only(r).getXsRequest().getPath());
        r = g.answer(Harness.only(r), xs("7"));
        // No SSDT, so no _DSM: straight to the workload, which stores to the vNVDIMM's first page.
        GuestMemAccess store = Harness.only(r).getGuestMemAccess();
        assertTrue(store.getWrite());
        assertEquals(0x100000000L, store.getGpa());
        r = g.answer(Harness.only(r), Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        byte[] second = Harness.only(r).getGuestMemAccess().getData().toByteArray();
        r = g.answer(Harness.only(r), Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        // read back page 0 correctly, page 1 wrong: the guest's own check says 1 differs
        r = g.answer(Harness.only(r), Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(store.getData().toByteArray()))));
        r = g.answer(Harness.only(r), Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[4096]))));
        GuestCheck c = g.observed().stream().filter(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("data-readback")).findFirst().orElseThrow().getGuestCheck();
        assertFalse(c.getOk());
        assertTrue(c.getDetail().contains("1 differ"), c.getDetail());
        assertNotEquals(0, second.length);
    }

    @Test
    void aTableWithABadChecksumFailsTheCheck() {
        Harness g = new Harness(kit, "guest-1", w -> Guest.create(w, 1));
        byte[] bad = nfit();
        bad[9]++;
        StepResult r = loadTables(g, bad);
        // No workload keys: xenstore answers ENOENT, and the guest has nothing to write.
        r = g.answer(Harness.only(r), Envelope.newBuilder().setXsResponse(XsResponse.newBuilder().setType(XS_ERROR).setValue("ENOENT")));
        g.answer(Harness.only(r), Envelope.newBuilder().setXsResponse(XsResponse.newBuilder().setType(XS_ERROR).setValue("ENOENT")));
        GuestCheck c = g.observed().stream().filter(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("acpi-checksum-NFIT")).findFirst().orElseThrow().getGuestCheck();
        assertFalse(c.getOk());
        assertTrue(g.observed().stream().anyMatch(o -> o.hasDomainState() && o.getDomainState().getState().equals("booted")));
    }

    @Test
    void memaIsReadFromTheEndOfTheSsdt() {
        byte[] t = new byte[60];
        byte[] tail = {0x08, 'M', 'E', 'M', 'A', 0x0C, 0x00, (byte) 0xf0, (byte) 0xff, 0x1f};
        System.arraycopy(tail, 0, t, 50, 10);
        assertEquals(0x1ffff000L, Guest.memaOf(t));
        t[55] = 0x0B;
        assertEquals(0, Guest.memaOf(t), "not a DWordConst: no MEMA");
    }
}
