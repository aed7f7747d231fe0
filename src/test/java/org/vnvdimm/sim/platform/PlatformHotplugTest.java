package org.vnvdimm.sim.platform;

import static org.junit.jupiter.api.Assertions.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitParser;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.ParsedNfit;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.AcpiEval;
import org.vnvdimm.proto.E820Entry;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.HotplugDimm;
import org.vnvdimm.proto.MemAccess;
import org.vnvdimm.proto.StepResult;

/** A hot-added DIMM: in the _FIT and on the bus, announced with Notify(NVDR, 0x80); the boot NFIT stays. */
class PlatformHotplugTest {
    static ActorTestKit kit;

    @BeforeAll static void up() { kit = ActorTestKit.create("PlatformHotplugTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    static final long NEW_SPA = 0x780000000L;   // after the two boot DIMMs (ending 0x77fffffff), 1 GiB aligned

    static Envelope.Builder read(long spa) {
        return Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.READ).setSpa(spa).setLen(64)
                .setInitiatorDomid(0).setReplyTo(Roles.DOM0).setReplyTag(9));
    }

    static ParsedNfit fit(Harness bus) {
        Envelope r = Harness.only(bus.deliver(Roles.DOM0, Envelope.newBuilder().setAcpiEval(AcpiEval.newBuilder().setPath("\\_SB.NVDR._FIT"))));
        assertEquals(Roles.DOM0, r.getTo());
        assertEquals(0, r.getAcpiEvalResult().getStatus());
        return NfitParser.parseFit(r.getAcpiEvalResult().getData().toByteArray());
    }

    @Test
    void aHotAddedDimmJoinsTheFitAndTheBusAndDom0IsNotified() {
        PlatformModel model = new PlatformModel(PlatformModelTest.two(true));
        byte[] bootNfit = model.nfit();
        List<E820Entry> bootE820 = List.copyOf(model.e820());
        Harness bus = new Harness(kit, Roles.PLATFORM, w -> Platform.create(w, model, new MediaStore(), new MediaStore()));

        assertEquals(2, fit(bus).spaRanges().size(), "before the hotplug, _FIT describes the boot DIMMs");
        assertEquals(Errno.EFAULT.neg(), Harness.only(bus.deliver(Roles.XEN, read(NEW_SPA + 4096))).getMemAccessDone().getRc(),
                "nothing decodes there yet");

        StepResult plug = bus.deliver("admin", Envelope.newBuilder().setHotplugDimm(HotplugDimm.newBuilder()
                .setHandle(0x201).setSizeBytes(8L << 30).setPxm(1).setLabelBytes(128 << 10)));
        Envelope notify = Harness.only(plug);
        assertEquals(Roles.DOM0, notify.getTo());
        assertEquals("\\_SB.NVDR", notify.getAcpiNotify().getDevice());
        assertEquals(0x80, notify.getAcpiNotify().getValue());

        ParsedNfit after = fit(bus);
        assertTrue(after.header().isEmpty(), "_FIT is the structures without the ACPI header");
        assertEquals(3, after.spaRanges().size());
        NfitSpaRange added = after.spaRanges().get(2);
        assertEquals(NEW_SPA, added.rangeBase(), "spa 0: after the DIMMs present, 1 GiB aligned");
        assertEquals(8L << 30, added.rangeLengthBytes());
        assertEquals(1, added.proximityDomain());
        NfitMemoryDeviceMap map = after.memoryDeviceMaps().stream().filter(m -> m.spaRangeIndex() == added.rangeIndex()).findFirst().orElseThrow();
        assertEquals(0x201, map.deviceHandle());

        assertArrayEquals(bootNfit, model.nfit(), "the boot NFIT stays as booted");
        assertEquals(bootE820, model.e820(), "and so does the E820");
        assertEquals(0, Harness.only(bus.deliver(Roles.XEN, read(NEW_SPA + 4096))).getMemAccessDone().getRc(), "the new range decodes");
        assertTrue(model.pmemPages().contains(NEW_SPA >>> 12));
    }

    @Test
    void anOverlappingDimmIsNotAddedAndOnlyFitExists() {
        PlatformModel model = new PlatformModel(PlatformModelTest.two(false));
        Harness bus = new Harness(kit, Roles.PLATFORM, w -> Platform.create(w, model, new MediaStore(), new MediaStore()));
        StepResult plug = bus.deliver("admin", Envelope.newBuilder().setHotplugDimm(HotplugDimm.newBuilder()
                .setHandle(0x202).setSpa(0x280000000L).setSizeBytes(1L << 30)));
        assertEquals(0, plug.getSentCount(), "no Notify for a DIMM that was not added");
        assertTrue(bus.logged("overlaps DIMM 0x1"));
        assertEquals(2, fit(bus).spaRanges().size());
        Envelope other = Harness.only(bus.deliver(Roles.DOM0, Envelope.newBuilder().setAcpiEval(AcpiEval.newBuilder().setPath("\\_SB.NVDR._DSM"))));
        assertEquals(Errno.ENOENT.neg(), other.getAcpiEvalResult().getStatus());
    }
}
