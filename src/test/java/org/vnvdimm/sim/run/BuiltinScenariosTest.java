package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.cli.BuiltinScenarios;

/** Each built-in scenario shows what it says it shows: the designs side by side. */
class BuiltinScenariosTest {
    static Simulator sim;

    /** Xen 4.10's DSDT has no _E04: the hot-added vNVDIMM is never announced, and liveness says so. */
    static final String HOTPLUG_NEVER_ANNOUNCED = "hotplug-guest-no-gpe";

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    @Test
    void everyBuiltinLoadsAndTheSmallOnesMeetTheirExpectations() {
        List<String> names = BuiltinScenarios.names();
        assertTrue(names.containsAll(List.of("boot", "boot-claim", "hostile-qemu", "hostile-qemu-unchecked", "mgmt-too-small", "two-guests", "scale-16tib",
                "hotplug-host", "scale-hotplug-64", "two-guests-rfc-v4", "mgmt-too-small-rfc-v4", "hotplug-host-rfc-v4", "scale-16tib-rfc-v4",
                "scale-hotplug-64-guest", "hotplug-guest-rfc-v4", "hotplug-unplug-rfc-v4")));
        for (String n : names) {
            var s = Runs.builtin(n);
            assertEquals(n, s.getName());
            if (n.equals(Scale1000GuestsTest.NAME)) continue;   // its own test class, also in every `mvn verify`
            if (n.equals(ScaleDefragTest.NAME)) continue;       // 1.4 million deliveries: bench --scale; ScaleDefragTest runs it scaled down
            RunResult r = sim.run(s, s.getSeed());
            if (n.equals(HOTPLUG_NEVER_ANNOUNCED)) {
                assertEquals(List.of("d1: the last FIT the guest read (at #724) is not QEMU's device list [0x1: 67108864, 0x2: 33554432]: handle 0x2 (slot 1, 33554432 bytes) missing",
                        "d1: QEMU hot-added 1 vNVDIMM(s), the guest made 0 usable"), r.verdicts().stream().map(v -> v.getDetail()).toList());
            }
            assertTrue(r.passed(), n + ": " + r.summary().getOutcome() + " " + r.verdicts());
        }
    }

    /** mgmt-too-small's rfc-v4 counterpart: pmem_setup DATA -ENOSPC, then populate_pmem_map -ENXIO; libxl destroys the domain. */
    @Test
    void mgmtTooSmallRfcV4IsEnospcThenEnxio() {
        Runs.Run r = Runs.run(sim, Runs.builtin("mgmt-too-small-rfc-v4"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        assertEquals(List.of("2 ENOSPC", "3 ENXIO"), r.result().summary().getFailedStepsList().stream().map(f -> f.getStep() + " " + f.getErrno()).toList());
        long data = r.firstSeq(e -> e.hasSysctl() && e.getSysctl().getNvdimm().hasPmemSetup() && e.getSysctl().getNvdimm().getPmemSetup().getType() == PMEM_REGION_TYPE_DATA);
        assertEquals(Errno.ENOSPC.neg(), r.answerTo(data).getHypercallRet().getRc());
        long pop = r.firstSeq(e -> e.hasMemoryOp() && e.getMemoryOp().hasPmemMap());
        assertEquals(Errno.ENXIO.neg(), r.answerTo(pop).getHypercallRet().getRc());
        assertTrue(r.result().verdicts().isEmpty());
    }

    /** two-guests' rfc-v4 counterpart: each guest's own host frames through populate_pmem_map; a second claim on them is -EBUSY. */
    @Test
    void twoGuestsRfcV4PassesAndASecondClaimOnTheSameFramesIsRefused() {
        var s = Runs.builtin("two-guests-rfc-v4");
        assertEquals("rfc-v4", s.getDesign().getProfile());
        Runs.Run r = Runs.run(sim, s, 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        assertTrue(r.result().verdicts().isEmpty());
        for (org.vnvdimm.proto.StepOutcome o : r.result().steps()) assertEquals(0, o.getRc(), o.toString());
        assertEquals(2, r.trace().stream().flatMap(t -> t.getObservedList().stream())
                .filter(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("data-readback") && o.getGuestCheck().getOk()).count());
        List<Envelope> pops = r.delivered().stream().filter(e -> e.hasMemoryOp() && e.getMemoryOp().hasPmemMap()).toList();
        assertEquals(java.util.Set.of(1L, 2L), pops.stream().map(e -> (long) e.getMemoryOp().getPmemMap().getDomid()).collect(java.util.stream.Collectors.toSet()));
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping));
        // vm2 naming vm1's frames: Xen finds them taken.
        var clash = s.toBuilder();
        var vm2 = clash.getStepsBuilder(3).getXlCreateBuilder().getDomainBuilder().getVnvdimmsBuilder(0);
        vm2.setBackend(0x28a000L);
        Runs.Run c = Runs.run(sim, clash.build(), 1);
        assertTrue(c.delivered().stream().anyMatch(e -> e.hasMemoryOp() && e.getMemoryOp().hasPmemMap() && e.getMemoryOp().getPmemMap().getDomid() == 2
                && c.answerTo(e.getSeq()).getHypercallRet().getRc() == Errno.EBUSY.neg()), "Xen refuses vm2 vm1's pages with -EBUSY");
        assertTrue(c.result().summary().getFailedStepsList().stream().anyMatch(f -> f.getStep() == 4), c.result().summary().getOutcome());
    }

    @Test
    void bootRfcV4PassesWithXenParsingTheNfitAndTheGuestsPagesFromPopulatePmemMap() {
        Runs.Run r = Runs.run(sim, Runs.builtin("boot-rfc-v4"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        assertTrue(r.result().verdicts().isEmpty());
        for (org.vnvdimm.proto.StepOutcome o : r.result().steps()) assertEquals(0, o.getRc(), o.toString());
        assertTrue(r.trace().stream().flatMap(t -> t.getObservedList().stream())
                .anyMatch(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("data-readback") && o.getGuestCheck().getOk()));
        // rfc-v4: no XENPF_pmem_add, no memory_mapping; Dom0 got TFIN, not the NFIT
        assertEquals(Long.MAX_VALUE, r.firstSeq(Envelope::hasPlatformOp));
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping));
        Envelope start = r.delivered().stream().filter(e -> e.hasDomainStart() && e.getDomainStart().getDomid() == 0).findFirst().orElseThrow();
        assertTrue(start.getDomainStart().getAcpiTablesList().stream().noneMatch(t -> t.getSignature().equals("NFIT")));
        // the admin lists RAW regions before pmem_setup; the pages come with -ERESTART continuations
        long list = r.firstSeq(e -> e.hasSysctl() && e.getSysctl().getNvdimm().hasPmemRegions());
        long setup = r.firstSeq(e -> e.hasSysctl() && e.getSysctl().getNvdimm().hasPmemSetup());
        assertTrue(list < setup);
        List<Envelope> pops = r.delivered().stream().filter(e -> e.hasMemoryOp() && e.getMemoryOp().hasPmemMap()).toList();
        assertTrue(pops.size() > 1, "continued at least once");
        for (int i = 0; i + 1 < pops.size(); i++) {
            assertEquals(Errno.ERESTART.neg(), r.answerTo(pops.get(i).getSeq()).getHypercallRet().getRc());
        }
        assertEquals(0, r.answerTo(pops.get(pops.size() - 1).getSeq()).getHypercallRet().getRc());
        long qmp = r.firstSeq(Envelope::hasQmpCommand);
        assertTrue(qmp < pops.get(0).getSeq(), "libxl asks QEMU where the device went before mapping it");
    }

    @Test
    void bootClaimBreaksBootSafetyAtXensBootWrite() {
        Runs.Run r = Runs.run(sim, Runs.builtin("boot-claim"), 1);
        Verdict v = r.result().verdicts().get(0);
        assertEquals("boot-safety", v.getOracle());
        Envelope culprit = r.bySeq(v.getSeq());
        assertEquals(DOMID_XEN, culprit.getMemAccess().getInitiatorDomid(), "the step that broke it is Xen's write");
        long inspected = r.firstSeq(e -> e.hasPlatformOp());
        assertTrue(v.getSeq() < inspected, "before Dom0 even reported the range");
    }

    @Test
    void hostileQemuIsRefusedWithEpermWhenXenChecks() {
        Runs.Run r = Runs.run(sim, Runs.builtin("hostile-qemu"), 1);
        assertTrue(r.result().passed());
        boolean refused = false;
        for (Envelope e : r.delivered()) {
            if (e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping && e.getDomctl().getMemoryMapping().getFirstMfn() < 0x100000
                    && e.getDomctl().getMemoryMapping().getAddMapping() == DPCI_ADD_MAPPING) {
                assertEquals(Errno.EPERM.neg(), r.answerTo(e.getSeq()).getHypercallRet().getRc());
                refused = true;
            }
        }
        assertTrue(refused, "the hostile request for host RAM was made and refused");
        Runs.Run unchecked = Runs.run(sim, Runs.builtin("hostile-qemu-unchecked"), 1);
        assertEquals("isolation", unchecked.result().verdicts().get(0).getOracle());
        assertTrue(unchecked.result().verdicts().get(0).getDetail().contains("host RAM"));
    }

    @Test
    void xensManagementAreaStaysOutOfReachEvenWithoutThePmemCheck() {
        var s = Runs.builtin("hostile-qemu-unchecked").toBuilder().setName("hostile-mgmt");
        s.getDesignBuilder().setQemu("hostile-mgmt");
        s.getExpectBuilder().clearViolations();
        Runs.Run r = Runs.run(sim, s.build(), 1);
        assertTrue(r.result().passed(), r.result().verdicts().toString());
        // Dom0 lost the area from its iomem_caps at pmem_setup, so it cannot pass it on: -EPERM twice.
        Envelope grant = r.delivered().stream().filter(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_iomem_permission
                && e.getDomctl().getIomemPermission().getFirstMfn() < 0x28a200).findFirst().orElseThrow();
        assertEquals(Errno.EPERM.neg(), r.answerTo(grant.getSeq()).getHypercallRet().getRc());
        assertTrue(r.trace().stream().flatMap(t -> t.getObservedList().stream())
                .anyMatch(o -> o.hasLog() && o.getLog().getText().contains("(hostile-mgmt): mapping MFNs 0x280002+0x10 at gfn 0x104000: -EPERM")));
    }

    @Test
    void aTooSmallReservedAreaIsEinvalAndLibxlGivesUpOnTheDeviceModel() {
        Runs.Run r = Runs.run(sim, Runs.builtin("mgmt-too-small"), 1);
        // rfc-v1's pmem_add_check(): check_reserved_size() failing is -EINVAL
        assertTrue(r.result().steps().stream().anyMatch(s -> s.getStep() == 3 && s.getRc() == Errno.EINVAL.neg()), r.result().steps().toString());
        assertEquals(List.of(), r.result().firedOracles().stream().toList());
        // libxl's 60 s device-model timeout went off and it destroyed the half-built domain
        assertTrue(r.result().steps().stream().anyMatch(s -> s.getStep() == 6 && s.getRc() == Errno.ETIMEDOUT.neg()), r.result().steps().toString());
        assertNotEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasTimerFired() && e.getTo().equals("xl")));
        assertNotEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == org.vnvdimm.contract.XenAbi.XEN_DOMCTL_destroydomain));
        long refused = r.firstSeq(e -> e.hasHypercallRet() && e.getHypercallRet().getRc() == Errno.EPERM.neg() && e.getTo().equals("qemu-1"));
        assertNotEquals(Long.MAX_VALUE, refused, "QEMU's mapping of a never-handed-over data area is refused");
    }
}
