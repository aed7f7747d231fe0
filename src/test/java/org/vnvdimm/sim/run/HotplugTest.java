package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceRecord;

/** Guest NVDIMM hotplug: QMP through xl, QEMU's plug and SCI, the guest's _E04 and _FIT. */
class HotplugTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    /** Seeds tried when looking for the interleaving where the FIT changes under the guest's read. */
    static final int SEEDS_TRIED = 400;

    private static List<String> logsOf(Runs.Run r, String role) {
        List<String> out = new ArrayList<>();
        for (TraceRecord t : r.trace()) {
            if (!t.getDelivered().getTo().equals(role)) continue;
            for (Observation o : t.getObservedList()) if (o.hasLog()) out.add(o.getLog().getText());
        }
        return out;
    }

    private static List<String> checks(Runs.Run r, String what) {
        List<String> out = new ArrayList<>();
        for (TraceRecord t : r.trace()) {
            for (Observation o : t.getObservedList()) {
                if (o.hasGuestCheck() && o.getGuestCheck().getWhat().equals(what)) out.add((o.getGuestCheck().getOk() ? "ok " : "FAILED ") + o.getGuestCheck().getDetail());
            }
        }
        return out;
    }

    private static final Pattern QEMU_DEVICES = Pattern.compile("nvdimm plugged: .*; devices (\\[[^]]*])");
    private static final Pattern GUEST_FIT = Pattern.compile("FIT devices (\\[[^]]*])");

    @Test
    void aHotAddedNvdimmBecomesUsableWhenTheDsdtHasE04() {
        Runs.Run r = Runs.run(sim, Runs.builtin("hotplug-guest"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        // xl's QMP: object_add then device_add nvdimm, both answered {"return": {}}.
        List<Envelope> qmp = r.delivered().stream().filter(Envelope::hasQmpCommand).toList();
        assertEquals(2, qmp.size());
        assertTrue(qmp.get(0).getQmpCommand().getJson().contains("\"object_add\"") && qmp.get(0).getQmpCommand().getJson().contains("\"share\": true"));
        assertTrue(qmp.get(1).getQmpCommand().getJson().contains("\"device_add\"") && qmp.get(1).getQmpCommand().getJson().contains("\"nvdimm\""));
        // QEMU raised the SCI through Xen with XEN_DMOP_set_isa_irq_level, and Xen delivered it.
        long raise = r.firstSeq(e -> e.hasDmOp() && e.getDmOp().getOp() == XEN_DMOP_set_isa_irq_level && e.getDmOp().getSetIsaIrqLevel().getLevel() == 1);
        assertTrue(raise < Long.MAX_VALUE);
        assertEquals(ACPI_SCI_IRQ, r.bySeq(raise).getDmOp().getSetIsaIrqLevel().getIsaIrq());
        long irq = r.firstSeq(Envelope::hasGuestInterrupt);
        assertTrue(irq > raise);
        // The guest read GPE0 status through port 0xafe0 (trapped to QEMU), ran _E04 and used the device.
        assertTrue(r.firstSeq(e -> e.hasGuestIo() && e.getGuestIo().getPort() == ACPI_GPE0_BLK_ADDRESS_V1 && !e.getGuestIo().getWrite()) > irq);
        assertTrue(logsOf(r, "guest-1").stream().anyMatch(l -> l.contains("_E04: Notify(\\_SB.NVDR, 0x80)")));
        List<String> usable = checks(r, "nvdimm-usable");
        assertEquals(1, usable.size());
        assertTrue(usable.get(0).startsWith("ok nmem handle 0x2"), usable.get(0));
    }

    /**
     * rfc-v4: xl hot-adds a memory-backend-xen over host pmem; QEMU plugs it and raises the SCI
     * without mapping anything, then xl asks where QEMU placed it and populates its pages
     * (-ERESTART continuation included); the label-less device becomes usable.
     */
    @Test
    void underRfcV4XlPopulatesTheHotAddedDevicesPagesAfterQemuPlacedIt() {
        Runs.Run r = Runs.run(sim, Runs.builtin("hotplug-guest-rfc-v4"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        List<Envelope> qmp = r.delivered().stream().filter(e -> e.hasQmpCommand() && e.getQmpCommand().getJson().contains("object_add")).toList();
        assertEquals(1, qmp.size());
        assertTrue(qmp.get(0).getQmpCommand().getJson().contains("\"qom-type\": \"memory-backend-xen\""), qmp.get(0).getQmpCommand().getJson());
        assertTrue(qmp.get(0).getQmpCommand().getJson().contains("\"host-addr\": " + (0x28e000L << 12)));
        long devAdd = r.firstSeq(e -> e.hasQmpCommand() && e.getQmpCommand().getJson().contains("\"device_add\""));
        long raise = r.firstSeq(e -> e.hasDmOp() && e.getDmOp().getOp() == XEN_DMOP_set_isa_irq_level && e.getDmOp().getSetIsaIrqLevel().getLevel() == 1);
        long query = r.lastSeq(e -> e.hasQmpCommand() && e.getQmpCommand().getJson().contains("query-memory-devices"));
        List<Envelope> populate = r.delivered().stream().filter(e -> e.hasMemoryOp() && e.getMemoryOp().hasPmemMap()
                && e.getMemoryOp().getPmemMap().getMfn() == 0x28e000L).toList();
        assertEquals(2, populate.size(), "one call and its continuation");
        assertEquals(0x104000L, populate.get(0).getMemoryOp().getPmemMap().getGfn(), "at the gfn QEMU placed the device");
        assertEquals(Errno.ERESTART.neg(), r.answerTo(populate.get(0).getSeq()).getHypercallRet().getRc());
        assertEquals(0, r.answerTo(populate.get(1).getSeq()).getHypercallRet().getRc());
        assertTrue(devAdd < raise && raise < query && query < populate.get(0).getSeq(), "QEMU tells the guest before xl populates");
        // the guest's first access to the new range comes after its pages are there (this seed)
        long firstTouch = r.firstSeq(e -> e.hasGuestMemAccess() && e.getGuestMemAccess().getGpa() >= (0x104000L << 12)
                && e.getGuestMemAccess().getGpa() < (0x106000L << 12));
        assertTrue(r.answerTo(populate.get(1).getSeq()).getSeq() < firstTouch);
        List<String> usable = checks(r, "nvdimm-usable");
        assertEquals(1, usable.size());
        assertTrue(usable.get(0).startsWith("ok nmem handle 0x2"), usable.get(0));
        assertTrue(logsOf(r, "guest-1").stream().anyMatch(l -> l.contains("label-less namespace [inferred]")));
    }

    @Test
    void withXen410sDsdtTheGuestNeverLearnsOfTheDevice() {
        Scenario s = Runs.builtin("hotplug-guest-no-gpe");
        Runs.Run r = Runs.run(sim, s, 1);
        // The device was added and mapped; GPE0.4 is set but not enabled, so no SCI reaches the guest.
        assertTrue(logsOf(r, "qemu-1").stream().anyMatch(l -> l.contains("GPE0.4 status set, GPE0 enable 0x6: SCI stays low")));
        assertEquals(Long.MAX_VALUE, r.firstSeq(Envelope::hasGuestInterrupt));
        assertTrue(checks(r, "nvdimm-usable").isEmpty());
        assertTrue(checks(r, "acpi-fit-hotplug").isEmpty());
    }

    @Test
    void someSeedMakesReadFitRestartAndTheGuestEndsWithQemusDevices() {
        Scenario s = Runs.builtin("hotplug-guest-race");
        for (long seed = 1; seed <= SEEDS_TRIED; seed++) {
            Runs.Run r = Runs.run(sim, s, seed);
            assertTrue(r.result().passed(), "seed " + seed + ": " + r.result().summary().getOutcome());
            List<String> guest = logsOf(r, "guest-1");
            if (guest.stream().noneMatch(l -> l.contains("status 0x100 → restart at offset 0"))) continue;
            // Read FIT at a non-zero offset answered 0x100 (FIT changed), and _FIT started over.
            List<String> fits = checks(r, "acpi-fit-hotplug");
            assertTrue(fits.stream().anyMatch(f -> f.matches("ok .* [1-9][0-9]* restart\\(s\\); .*")), fits.toString());
            String qemuDevices = null;
            for (String l : logsOf(r, "qemu-1")) {
                Matcher m = QEMU_DEVICES.matcher(l);
                if (m.find()) qemuDevices = m.group(1);
            }
            Matcher g = GUEST_FIT.matcher(fits.get(fits.size() - 1));
            assertTrue(g.find());
            assertEquals(qemuDevices, g.group(1), "seed " + seed + ": the last FIT the guest read is QEMU's device list");
            assertTrue(qemuDevices.contains("0x2@") && qemuDevices.contains("0x3@"), qemuDevices);
            assertEquals(2, checks(r, "nvdimm-usable").stream().filter(c -> c.startsWith("ok")).count());
            return;
        }
        fail("no seed from 1 to " + SEEDS_TRIED + " made the guest's Read FIT answer 0x100");
    }

    @Test
    void unplugIsRefusedAndAnUnknownDomainIsXlsError() {
        Runs.Run r = Runs.run(sim, Runs.builtin("hotplug-unplug"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        Envelope del = r.delivered().stream().filter(e -> e.hasQmpReply() && e.getQmpReply().getError()).findFirst().orElseThrow();
        assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"nvdimm device hot unplug is not supported yet.\"}}", del.getQmpReply().getJson());
    }
}
