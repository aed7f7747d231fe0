package org.vnvdimm.dom0;

import static org.vnvdimm.contract.XenAbi.*;
import static org.junit.jupiter.api.Assertions.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.NfitStructure;
import org.vnvdimm.acpi.NfitWriter;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.*;

/**
 * acpi_nfit_notify in Dom0: Notify(NVDR, 0x80) → evaluate _FIT → merge what is new → report the new
 * range to Xen and probe it, as at boot (before-map), or probe it first (after-map).
 */
class Dom0HotplugTest {
    static ActorTestKit kit;
    static final long BASE = Dom0KernelTest.BASE, SIZE = Dom0KernelTest.SIZE;
    static final long NEW_BASE = 0x680000000L, NEW_SIZE = 16L << 30;

    @BeforeAll static void up() { kit = ActorTestKit.create("Dom0HotplugTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    static byte[] fit(long... ranges) {
        List<NfitStructure> s = new ArrayList<>();
        for (int i = 0; i < ranges.length; i += 2) {
            s.add(new NfitSpaRange(i / 2 + 1, NfitSpaRange.FLAG_PROXIMITY_DOMAIN_VALID, 0, Guid.PERSISTENT_MEMORY, ranges[i], ranges[i + 1], 0x8008));
            s.add(new NfitMemoryDeviceMap(i / 2 + 1, 0, 0, i / 2 + 1, 1, ranges[i + 1], 0, 0, 0, 1, 0));
        }
        return NfitWriter.writeFit(s);
    }

    static Envelope.Builder notify80() {
        return Envelope.newBuilder().setAcpiNotify(AcpiNotify.newBuilder().setDevice("\\_SB.NVDR").setValue(0x80));
    }

    Harness booted(String hotplugReport) {
        Harness d0 = new Harness(kit, Roles.DOM0, w -> Dom0Kernel.create(w, new Dom0Kernel.Config(1, hotplugReport)));
        return new Dom0KernelTest().booted(d0, Dom0KernelTest.start(BASE, SIZE), 1);
    }

    /** Delivers Notify(0x80) and checks that Dom0 evaluates \_SB.NVDR._FIT on the platform. */
    static Envelope notifyAndEval(Harness d0) {
        Envelope eval = Harness.only(d0.deliver(Roles.PLATFORM, notify80()));
        assertEquals(Roles.PLATFORM, eval.getTo());
        assertEquals("\\_SB.NVDR._FIT", eval.getAcpiEval().getPath());
        assertTrue(d0.logged("nfit ACPI0012:00: event: 0x80"));
        return eval;
    }

    static StepResult fitResult(Harness d0, Envelope eval, byte[] fit) {
        return d0.answer(eval, Envelope.newBuilder().setAcpiEvalResult(AcpiEvalResult.newBuilder().setStatus(0).setData(ByteString.copyFrom(fit))));
    }

    @Test
    void aNewRangeInTheFitIsProbedAsAtBootAndBecomesTheNextRegion() {
        Harness d0 = booted("before-map");
        StepResult r = fitResult(d0, notifyAndEval(d0), fit(BASE, SIZE, NEW_BASE, NEW_SIZE));
        Envelope probe = Harness.only(r);
        // rfc-v1 (profile seeds) reports a range when a pfn-xen namespace on it is probed, not here
        assertFalse(probe.hasPlatformOp(), probe.toString());
        assertEquals(NEW_BASE + 4096, probe.getMemAccess().getSpa(), "probed where an info block would be, as at boot");
        d0.answer(probe, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[4096]))));
        assertTrue(d0.logged("nd_region region1: [mem 0x680000000-0xa7fffffff] pxm 0, no namespace"));
        assertEquals(1, d0.observed().stream().filter(o -> o.hasDomainState() && o.getDomainState().getState().equals("booted")).count(),
                "Dom0 booted once; a hotplug is not a second boot");

        // The same _FIT again: everything in it is known, so nothing is probed.
        StepResult again = fitResult(d0, notifyAndEval(d0), fit(BASE, SIZE, NEW_BASE, NEW_SIZE));
        assertEquals(0, again.getSentCount(), "ranges the driver already has are ignored");

        // The new region takes a namespace like a boot region.
        StepResult ns = d0.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setNdctlCreateNamespace(NdctlCreateNamespace.newBuilder().setRegion("region1").setMode("fsdax").setMap("xen"))));
        Envelope infoWrite = Harness.only(ns);
        assertEquals(NEW_BASE + 4096, infoWrite.getMemAccess().getSpa());
        Envelope done = Harness.only(d0.answer(infoWrite, Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance())));
        assertTrue(done.getAdminResult().getOutput().contains("\"blockdev\":\"pmem1\""), done.toString());
    }

    @Test
    void afterMapMapsTheWholeNewRangeThenTouchesItBeforeTheBootsProbe() {
        Harness d0 = booted("after-map");
        StepResult r = fitResult(d0, notifyAndEval(d0), fit(BASE, SIZE, NEW_BASE, NEW_SIZE));
        Envelope map = Harness.only(r);
        assertTrue(map.hasMmuUpdate(), "after-map: Dom0 maps the range first");
        assertEquals(MMU_NORMAL_PT_UPDATE, map.getMmuUpdate().getCmd());
        assertEquals(NEW_BASE >>> 12, map.getMmuUpdate().getMfn());
        assertEquals(NEW_SIZE >>> 12, map.getMmuUpdate().getNrPtes());
        assertEquals(DOMID_SELF, map.getMmuUpdate().getForeigndom());
        assertTrue(d0.logged("before reporting it to Xen (hotplug_report: after-map)"));
        Envelope early = Harness.only(d0.answer(map, Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0))));
        assertEquals(MemAccess.Op.READ, early.getMemAccess().getOp(), "then it touches the range");
        assertEquals(NEW_BASE + 4096, early.getMemAccess().getSpa());
        Envelope probe = Harness.only(d0.answer(early, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setData(ByteString.copyFrom(new byte[4096])))));
        assertEquals(NEW_BASE + 4096, probe.getMemAccess().getSpa(), "then the boot's probe");
        assertFalse(probe.hasPlatformOp());
    }

    @Test
    void afterMapWhoseMappingXenRefusesStillProbesAndLogsTheFailure() {
        Harness d0 = booted("after-map");
        Envelope map = Harness.only(fitResult(d0, notifyAndEval(d0), fit(BASE, SIZE, NEW_BASE, NEW_SIZE)));
        Envelope probe = Harness.only(d0.answer(map, Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(Errno.EPERM.neg()))));
        assertTrue(d0.logged("memremap of [mem 0x"), "the refusal is logged");
        assertTrue(d0.logged("failed: " + Errno.name(Errno.EPERM.neg())));
        assertEquals(NEW_BASE + 4096, probe.getMemAccess().getSpa(), "the boot's probe runs on");
    }

    @Test
    void aFailedOrBrokenFitIsLoggedAsLinuxDoesAndChangesNothing() {
        Harness d0 = booted("before-map");
        StepResult r = d0.answer(notifyAndEval(d0), Envelope.newBuilder().setAcpiEvalResult(AcpiEvalResult.newBuilder().setStatus(Errno.ENOENT.neg())));
        assertEquals(0, r.getSentCount());
        assertTrue(d0.logged("nfit ACPI0012:00: failed to evaluate _FIT"));
        byte[] broken = java.util.Arrays.copyOf(fit(NEW_BASE, NEW_SIZE), 30);   // an SPA range cut short
        r = fitResult(d0, notifyAndEval(d0), broken);
        assertEquals(0, r.getSentCount());
        assertTrue(d0.logged("nfit ACPI0012:00: failed to merge updated NFIT"));
        // Other notifications are not a FIT update.
        assertEquals(0, d0.deliver(Roles.PLATFORM, Envelope.newBuilder().setAcpiNotify(AcpiNotify.newBuilder().setDevice("\\_SB.NVDR").setValue(0x81))).getSentCount());
    }
}
