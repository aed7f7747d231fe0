package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.MemAccess;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.StepOutcome;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.oracle.Oracles;
import org.vnvdimm.sim.scenario.ScenarioLoader;

/** Host DIMM hotplug through _FIT: report before map (hotplug-host) and map before report (hotplug-host-map-first). */
class HotplugScenariosTest {
    static final long NEW_SMFN = 0x680000L, NEW_EMFN = 0xa80000L;   // the hot-added 16 GiB, after the boot DIMM
    static final String REPORT_BEFORE_MAP = "report-before-map";
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    static boolean inNewRange(long spa) { return (spa >>> PAGE_SHIFT) >= NEW_SMFN && (spa >>> PAGE_SHIFT) < NEW_EMFN; }

    /** Dom0's accesses to the hot-added range as they reached the bus (Xen forwarding them). */
    static long firstDom0BusAccess(Runs.Run r) {
        return r.firstSeq(e -> e.hasMemAccess() && e.getFrom().equals(Roles.XEN) && e.getTo().equals(Roles.PLATFORM)
                && e.getMemAccess().getInitiatorDomid() == 0 && inNewRange(e.getMemAccess().getSpa()));
    }

    static long pmemAddOfNewRange(Runs.Run r) {
        return r.firstSeq(e -> e.hasPlatformOp() && e.getPlatformOp().getCmd() == XENPF_pmem_add
                && e.getPlatformOp().getPmemAdd().getSpfn() == NEW_SMFN && e.getPlatformOp().getPmemAdd().getEpfn() == NEW_EMFN);
    }

    /** The map-first scenario as shipped (it loads only once its oracle exists). */
    static Scenario mapFirst() throws Exception {
        return ScenarioLoader.parse(BuiltinScenarios.text("scenarios/hotplug-host-map-first.yaml"), "builtin:hotplug-host-map-first");
    }

    @Test
    void theHotAddedDimmIsFoundThroughFitReportedAtItsNamespaceProbeAndHostsAGuest() {
        Runs.Run r = Runs.run(sim, Runs.builtin("hotplug-host"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts() + " " + r.result().steps());
        long notify = r.firstSeq(e -> e.hasAcpiNotify() && e.getTo().equals(Roles.DOM0) && e.getAcpiNotify().getValue() == 0x80);
        long eval = r.firstSeq(e -> e.hasAcpiEval() && e.getAcpiEval().getPath().equals("\\_SB.NVDR._FIT"));
        long add = pmemAddOfNewRange(r);
        long accepted = r.answerTo(add).getSeq();
        assertEquals(0, r.answerTo(add).getHypercallRet().getRc(), "Xen accepts the hot-added range");
        assertTrue(notify < eval && eval < add, "Notify, then _FIT, then the report");
        assertTrue(r.answerTo(eval).getAcpiEvalResult().getStatus() == 0);
        // rfc-v1: Dom0 probes the region and writes its pfn-xen info block, then reports the namespace;
        // nothing but Dom0 touches the range before Xen accepted it, and the guest's mapping comes after.
        assertTrue(firstDom0BusAccess(r) < add, "Dom0's driver reads the new region before it reports it");
        long firstMapping = r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping
                && e.getDomctl().getMemoryMapping().getFirstMfn() >= NEW_SMFN && e.getDomctl().getMemoryMapping().getFirstMfn() < NEW_EMFN);
        assertTrue(accepted < firstMapping, "the guest's mapping of the new range comes after Xen accepted the report");
        // The guest's vNVDIMM lives on the hot-added DIMM, and its data came back.
        assertTrue(r.delivered().stream().anyMatch(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping
                && e.getDomctl().getMemoryMapping().getFirstMfn() >= NEW_SMFN && e.getDomctl().getMemoryMapping().getFirstMfn() < NEW_EMFN));
        assertTrue(r.trace().stream().flatMap(t -> t.getObservedList().stream())
                .anyMatch(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("data-readback") && o.getGuestCheck().getOk()),
                "the guest read back what it wrote");
        assertTrue(r.trace().stream().flatMap(t -> t.getObservedList().stream())
                .anyMatch(o -> o.hasLog() && o.getLog().getText().contains("nd_region region1: [mem 0x680000000-0xa7fffffff]")));
    }

    /**
     * after-map: Dom0's mmu_update for the whole new range comes before the report and Xen accepts
     * it (the frames are in d0's iomem_caps); Xen then accepts XENPF_pmem_add and takes the reserved
     * area from Dom0, but the PTEs stay. report-before-map fires at the mapping's answer, isolation
     * at the pmem_add's answer; before-map (hotplug-host) has neither.
     */
    @Test
    void mapFirstMapsTheRangeBeforeTheReportAndItsPtesOutliveXenTakingTheReservedArea() throws Exception {
        Scenario s = mapFirst();
        assertEquals(List.of(REPORT_BEFORE_MAP, Oracles.ISOLATION), s.getExpect().getViolationsList());
        Runs.Run r = Runs.run(sim, s, 1);
        long map = r.firstSeq(e -> e.hasMmuUpdate() && e.getMmuUpdate().getMfn() == NEW_SMFN);
        long add = pmemAddOfNewRange(r);
        assertTrue(map < add, "after-map: the mapping comes before XENPF_pmem_add");
        assertEquals(NEW_EMFN - NEW_SMFN, r.bySeq(map).getMmuUpdate().getNrPtes());
        assertEquals(0, r.answerTo(map).getHypercallRet().getRc(), "Xen validates PTEs onto frames it has never heard of");
        assertEquals(0, r.answerTo(add).getHypercallRet().getRc(), "and then accepts a report of frames Dom0 maps");
        assertTrue(firstDom0BusAccess(r) > map, "the probe goes through the new mapping");
        List<Verdict> v = r.result().verdicts();
        assertEquals(2, v.size(), v.toString());
        assertEquals(REPORT_BEFORE_MAP, v.get(0).getOracle());
        assertEquals(r.answerTo(map).getSeq(), v.get(0).getSeq(), "fires where Xen accepted the mapping");
        assertEquals(Oracles.ISOLATION, v.get(1).getOracle());
        assertEquals(r.answerTo(add).getSeq(), v.get(1).getSeq(), "fires where Xen accepted the reserved area Dom0 still maps");
        long rsv = r.bySeq(add).getPlatformOp().getPmemAdd().getRsvSpfn();
        assertTrue(v.get(1).getDetail().contains(String.format("%#x", rsv)), v.get(1).getDetail());
        assertTrue(r.result().passed(), "the scenario expects both: " + r.result().summary().getOutcome());
        // The same DIMM reported before it is mapped: no mmu_update before the report, no verdict.
        Runs.Run b = Runs.run(sim, Runs.builtin("hotplug-host"), 1);
        assertEquals(-1, b.lastSeq(e -> e.hasMmuUpdate()));
        assertTrue(b.result().verdicts().isEmpty(), b.result().verdicts().toString());
    }

    /**
     * rfc-v4: Xen registered only the boot NFIT's region, so xl pmem-setup -m on the hot-added
     * DIMM's frames is refused with -EINVAL (not inside a registered RAW region); xl stops there.
     */
    @Test
    void underRfcV4TheHotAddedDimmIsUnknownToXenAndPmemSetupOnItFailsWithEinval() {
        Runs.Run r = Runs.run(sim, Runs.builtin("hotplug-host-rfc-v4"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome() + " " + r.result().verdicts());
        assertTrue(r.result().verdicts().isEmpty(), r.result().verdicts().toString());
        assertEquals(List.of(5), r.result().summary().getFailedStepsList().stream().map(StepOutcome::getStep).toList());
        assertEquals("EINVAL", r.result().summary().getFailedSteps(0).getErrno());
        assertTrue(r.result().summary().getFailedSteps(0).getExpected());
        long notify = r.firstSeq(e -> e.hasAcpiNotify() && e.getTo().equals(Roles.DOM0) && e.getAcpiNotify().getValue() == 0x80);
        long refused = r.firstSeq(e -> e.hasSysctl() && e.getSysctl().getNvdimm().hasPmemSetup()
                && e.getSysctl().getNvdimm().getPmemSetup().getType() == PMEM_REGION_TYPE_MGMT
                && e.getSysctl().getNvdimm().getPmemSetup().getSmfn() == NEW_SMFN);
        assertTrue(notify < refused && refused < Long.MAX_VALUE, "Notify, then the refused pmem_setup");
        assertEquals(Errno.EINVAL.neg(), r.answerTo(refused).getHypercallRet().getRc());
        // xl stops at -m: no DATA setup names the new DIMM, and Xen never registered it (no XENPF_pmem_add under rfc-v4).
        assertEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasSysctl() && e.getSysctl().getNvdimm().hasPmemSetup()
                && e.getSysctl().getNvdimm().getPmemSetup().getType() == PMEM_REGION_TYPE_DATA
                && e.getSysctl().getNvdimm().getPmemSetup().getSmfn() >= NEW_SMFN));
        assertEquals(-1, r.lastSeq(e -> e.hasPlatformOp() && e.getPlatformOp().getCmd() == XENPF_pmem_add));
        // The RAW list xl read just before lists the boot region only.
        long list = r.lastSeq(e -> e.hasSysctl() && e.getSysctl().getNvdimm().hasPmemRegions() && e.getSeq() < refused);
        assertEquals(1, r.answerTo(list).getHypercallRet().getNvdimm().getPmemRegions().getNumRegions());
        // The guest booted on the boot DIMM before the hotplug.
        assertTrue(r.trace().stream().flatMap(t -> t.getObservedList().stream())
                .anyMatch(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("data-readback") && o.getGuestCheck().getOk()));
    }
}
