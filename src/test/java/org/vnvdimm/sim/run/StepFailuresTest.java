package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.*;

/** A run passes only when every step did what the scenario expects of it. */
class StepFailuresTest {
    static Simulator sim;

    @BeforeAll
    static void start() { sim = new Simulator(); }

    @AfterAll
    static void stop() { sim.close(); }

    static Scenario boot() { return Runs.builtin("boot"); }

    static int stepIndex(Scenario s, Step.ActionCase c) {
        for (int i = 0; i < s.getStepsCount(); i++) if (s.getSteps(i).getActionCase() == c) return i;
        throw new AssertionError(c.toString());
    }

    static Scenario expecting(Scenario s, int step, String errno) {
        return s.toBuilder().setExpect(s.getExpect().toBuilder().addStepFailures(ExpectedStepFailure.newBuilder().setStep(step).setErrno(errno))).build();
    }

    @Test
    void mkfsOnAMissingDeviceFailsTheRunAndNamesTheStep() {
        Scenario s = boot();
        int mkfs = stepIndex(s, Step.ActionCase.MKFS);
        s = s.toBuilder().setSteps(mkfs, s.getSteps(mkfs).toBuilder().setMkfs(s.getSteps(mkfs).getMkfs().toBuilder().setDev("/dev/pmem9"))).build();
        RunResult r = sim.run(s, 1);
        assertFalse(r.passed());
        StepOutcome f = r.summary().getFailedSteps(0);
        assertEquals(mkfs + 1, f.getStep(), "1-based, as listed under steps:");
        assertEquals("ENODEV", f.getErrno());
        assertFalse(f.getExpected());
        assertTrue(r.summary().getFirstProblem().startsWith("step " + (mkfs + 1) + " (mkfs.xfs /dev/pmem9"), r.summary().getFirstProblem());
        assertTrue(r.summary().getOutcome().contains("failed unexpectedly: ENODEV"), r.summary().getOutcome());
        assertEquals(f.getSeq(), Runs.run(sim, s, 1).firstSeq(e -> e.hasAdminResult() && e.getAdminResult().getRc() != 0));
    }

    @Test
    void anExpectedFailureWithTheWrongErrnoStillFails() {
        Scenario s = boot();
        int mkfs = stepIndex(s, Step.ActionCase.MKFS);
        s = s.toBuilder().setSteps(mkfs, s.getSteps(mkfs).toBuilder().setMkfs(s.getSteps(mkfs).getMkfs().toBuilder().setDev("/dev/pmem9"))).build();
        RunResult wrong = sim.run(expecting(s, mkfs + 1, "EINVAL"), 1);
        assertFalse(wrong.passed());
        assertTrue(wrong.summary().getOutcome().contains("expected to fail with EINVAL and did not"), wrong.summary().getOutcome());
    }

    @Test
    void anExpectedFailureThatDoesNotHappenFailsTheRun() {
        Scenario s = boot();
        RunResult r = sim.run(expecting(s, 2, "ENOSPC"), 1);
        assertFalse(r.passed());
        assertEquals("step 2 was expected to fail with ENOSPC and did not", r.summary().getOutcome());
    }

    /** Two domains; the first is refused by Xen (vcpus beyond HVM_MAX_VCPUS), the second boots. */
    static Scenario refusedThenGood() {
        Scenario s = boot();
        int create = stepIndex(s, Step.ActionCase.XL_CREATE);
        Step good = s.getSteps(create);
        Step refused = good.toBuilder().setXlCreate(good.getXlCreate().toBuilder().setDomain(good.getXlCreate().getDomain().toBuilder()
                .setName("vm0").setVcpus(500).setWorkload(GuestWorkload.newBuilder().setPatternBytes(4096).setPatternSeed(99)))).build();
        return s.toBuilder().clearSteps().addAllSteps(s.getStepsList().subList(0, create)).addSteps(refused).addSteps(good).build();
    }

    @Test
    void aRefusedXlCreateFailsTheRunUnlessExpected() {
        Scenario s = refusedThenGood();
        int refused = stepIndex(s, Step.ActionCase.XL_CREATE) + 1;
        RunResult r = sim.run(s, 1);
        assertFalse(r.passed(), r.summary().getOutcome());
        assertEquals(List.of(refused), r.summary().getFailedStepsList().stream().map(StepOutcome::getStep).toList());
        assertEquals("EINVAL", r.summary().getFailedSteps(0).getErrno());
        RunResult ok = sim.run(expecting(s, refused, "EINVAL"), 1);
        assertTrue(ok.passed(), ok.summary().getOutcome());
        assertTrue(ok.summary().getFailedSteps(0).getExpected());
    }

    @Test
    void theNextGuestRunsItsOwnWorkloadNotTheRefusedOnes() {
        Scenario s = refusedThenGood();
        int refused = stepIndex(s, Step.ActionCase.XL_CREATE) + 1;
        Runs.Run r = Runs.run(sim, expecting(s, refused, "EINVAL"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        // vm0 got domid 1 and was destroyed when max_vcpus failed; Xen's domid rover gives vm1 domid 2.
        // vm1's guest writes its own 16 KiB (4 pages), not vm0's 4 KiB, and no guest-1 ever runs.
        assertTrue(r.delivered().stream().noneMatch(e -> e.getFrom().equals("guest-1")));
        long stores = r.delivered().stream().filter(e -> e.getFrom().equals("guest-2") && e.hasGuestMemAccess()
                && e.getGuestMemAccess().getWrite() && e.getGuestMemAccess().getGpa() >= (4L << 30)).count();
        assertEquals(4, stores);
    }
}
