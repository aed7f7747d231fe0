package org.vnvdimm.sim.fault;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.run.Runs;
import org.vnvdimm.sim.run.Simulator;
import org.vnvdimm.sim.scenario.FaultOptions;
import org.vnvdimm.sim.scenario.ScenarioException;

/** Each fault kind takes effect where it says, and the system ends as the real one would. */
public class FaultsTest {
    static Simulator sim;

    @BeforeAll static void up() { sim = new Simulator(); }

    @AfterAll static void down() { sim.close(); }

    public static Scenario boot(String... faults) {
        try {
            return FaultOptions.append(Runs.builtin("boot"), List.of(faults));
        } catch (ScenarioException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    static boolean logged(TraceRecord t, String text) {
        return t.getObservedList().stream().anyMatch(o -> o.hasLog() && o.getLog().getText().contains(text));
    }

    static long firstLogged(Runs.Run r, String text) {
        return r.trace().stream().filter(t -> logged(t, text)).mapToLong(t -> t.getDelivered().getSeq()).min().orElse(Long.MAX_VALUE);
    }

    static boolean stepFailed(Runs.Run r, int step, Errno errno) {
        return r.result().steps().stream().anyMatch(s -> s.getStep() == step && s.getRc() == errno.neg());
    }

    /** d1's gfns at and above 4 GiB (its vNVDIMM) mapped after the records up to and including seq. */
    static TreeSet<Long> vnvdimmGfnsMapped(Runs.Run r, long upToSeq) {
        TreeSet<Long> mapped = new TreeSet<>();
        for (TraceRecord t : r.trace()) {
            if (t.getDelivered().getSeq() > upToSeq) break;
            for (Observation o : t.getObservedList()) {
                if (!o.hasP2M() || o.getP2M().getDomid() != 1 || o.getP2M().getGfn() < 0x100000) continue;
                for (long g = o.getP2M().getGfn(); g < o.getP2M().getGfn() + o.getP2M().getNr(); g++) {
                    if (o.getP2M().getRemove()) mapped.remove(g); else mapped.add(g);
                }
            }
        }
        return mapped;
    }

    @Test
    void hypercallErrorRunsLibxcsUndoAndLeavesNoPartialMapping() {
        Runs.Run r = Runs.run(sim, Runs.builtin("hypercall-enomem-undo"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        Envelope third = r.delivered().stream().filter(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping).skip(2).findFirst().orElseThrow();
        TraceRecord at = r.trace().get((int) third.getSeq() - 1);
        // Xen changed nothing: no p2m change and no console line of its own at that call
        assertTrue(at.getObservedList().stream().noneMatch(Observation::hasP2M));
        assertTrue(logged(at, "fault: hypercall_error XEN_DOMCTL_memory_mapping nth 3 -ENOMEM"));
        assertEquals(Errno.ENOMEM.neg(), r.answerTo(third.getSeq()).getHypercallRet().getRc());
        assertEquals("xen", r.answerTo(third.getSeq()).getFrom());
        // the two calls before it mapped 128 frames; libxc's undo removed them all before QEMU gave up
        assertEquals(128, vnvdimmGfnsMapped(r, third.getSeq()).size());
        long gaveUp = firstLogged(r, "qemu-system-i386: xc_domain_memory_mapping gfn 0x100000 mfn 0x28a300 nr 5632: -ENOMEM");
        assertNotEquals(Long.MAX_VALUE, gaveUp);
        assertEquals(List.of(), List.copyOf(vnvdimmGfnsMapped(r, gaveUp)));
        assertTrue(stepFailed(r, 6, Errno.ETIMEDOUT));
        assertEquals(List.of("#" + third.getSeq() + ": hypercall_error XEN_DOMCTL_memory_mapping nth 3 -ENOMEM: Xen answers XEN_DOMCTL_memory_mapping"
                + " with -ENOMEM and changes nothing"), r.result().summary().getFaultsAppliedList());
    }

    @Test
    void aFailedMaxMemMakesLibxlDestroyTheHalfBuiltDomain() {
        Runs.Run r = Runs.run(sim, boot("hypercall_error: {hypercall: XEN_DOMCTL_max_mem, errno: ENOMEM}"), 1);
        assertTrue(stepFailed(r, 6, Errno.ENOMEM), r.result().steps().toString());
        long destroy = r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_destroydomain);
        assertNotEquals(Long.MAX_VALUE, destroy, "libxl's cleanup destroys the domain createdomain made");
        assertEquals(0, r.answerTo(destroy).getHypercallRet().getRc());
        assertEquals(List.of(), List.copyOf(r.result().firedOracles()), "a destroyed domain is no liveness failure");
    }

    @Test
    void qemuDyingMidMappingEndsInLibxlsTimeoutAndTheDomainIsDestroyed() {
        Runs.Run r = Runs.run(sim, Runs.builtin("qemu-crash-mid-mapping"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        Envelope tenth = r.delivered().stream().filter(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping).skip(9).findFirst().orElseThrow();
        assertTrue(logged(r.trace().get((int) tenth.getSeq() - 1), "after this delivery, qemu-1 (QEMU) dies"));
        // Xen's answer to the dead QEMU is dropped; nothing else of QEMU's comes
        Envelope answer = r.answerTo(tenth.getSeq());
        assertTrue(logged(r.trace().get((int) answer.getSeq() - 1), "qemu-1 was killed at #" + tenth.getSeq() + "; message dropped"));
        assertEquals(tenth.getSeq(), r.lastSeq(e -> e.getFrom().equals("qemu-1")));
        long timeout = r.firstSeq(e -> e.hasTimerFired() && e.getTo().equals("xl"));
        assertTrue(r.bySeq(timeout).getVtimeNs() >= 60_000_000_000L, "libxl waits 60 s of virtual time");
        long destroy = r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_destroydomain);
        assertTrue(destroy > timeout);
        assertEquals(List.of(), List.copyOf(vnvdimmGfnsMapped(r, destroy)), "destroying the domain unmapped what QEMU had mapped");
        assertFalse(r.result().firedOracles().contains("crash"), "an injected death is not a crash verdict");
    }

    @Test
    void xenstoredRestartLosesXlsWatch() {
        Runs.Run r = Runs.run(sim, Runs.builtin("xenstored-restart-during-create"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        long died = firstLogged(r, "xenstored dies and is started again");
        assertNotEquals(Long.MAX_VALUE, died);
        // xl's read, sent into the dead connection, is lost; the new xenstored has an empty store:
        // QEMU's read of what xl wrote before the restart finds nothing
        assertTrue(logged(r.trace().get((int) died), "lost with its connection"));
        long read = r.firstSeq(e -> e.hasXsRequest() && e.getFrom().equals("qemu-1") && e.getXsRequest().getPath().endsWith("hvmloader/dm-acpi/address"));
        assertTrue(read > died);
        assertTrue(r.answerTo(read).getXsResponse().getError().contains("ENOENT"));
        assertEquals(-1, r.lastSeq(e -> e.hasXsWatchEvent() && e.getSeq() > died), "xl's watch died with the old xenstored");
        assertTrue(stepFailed(r, 6, Errno.ETIMEDOUT));
        assertNotEquals(Long.MAX_VALUE, r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_destroydomain));
    }

    @Test
    void dom0CrashTakesTheHostDown() {
        Runs.Run r = Runs.run(sim, boot("crash: {role: dom0, after_step: 5}"), 1);
        assertTrue(stepFailed(r, 6, Errno.ETIMEDOUT));
        long down = firstLogged(r, "Hardware Dom0 crashed");
        assertNotEquals(Long.MAX_VALUE, down);
        assertTrue(r.trace().stream().filter(t -> t.getDelivered().getSeq() >= down).allMatch(t -> logged(t, "the host is down")));
        assertEquals(1, r.result().summary().getFaultsAppliedCount());
    }

    @Test
    void aGuestPanicOrItsQemuDyingLeavesTheGuestUnbooted() {
        Runs.Run panic = Runs.run(sim, boot("crash: {role: guest-1, on_message: guest_io, nth: 1}"), 1);
        assertEquals(List.of("liveness"), List.copyOf(panic.result().firedOracles()));
        assertNotEquals(Long.MAX_VALUE, firstLogged(panic, "d1's kernel panics"));
        Runs.Run qemu = Runs.run(sim, boot("crash: {role: qemu-1, on_message: ioreq, nth: 1}"), 1);
        assertEquals(List.of("liveness"), List.copyOf(qemu.result().firedOracles()));
        long ioreq = qemu.firstSeq(Envelope::hasIoreq);
        assertTrue(logged(qemu.trace().get((int) ioreq - 1), "instead of handling this, qemu-1 (QEMU) dies: ioreqs for d1 go unanswered"));
        assertEquals(-1, qemu.lastSeq(Envelope::hasIoreqDone), "the vCPU's ioreq is never answered");
    }

    @Test
    void aDroppedWatchEventEndsInLibxlsTimeout() {
        Runs.Run r = Runs.run(sim, boot("drop: {from: xenstored, to: xl, message: xs_watch_event, nth: 2}"), 1);
        long dropped = firstLogged(r, "fault: drop xenstored→xl xs_watch_event nth 2: dropped, never delivered");
        assertTrue(r.bySeq(dropped).hasXsWatchEvent());
        assertTrue(stepFailed(r, 6, Errno.ETIMEDOUT));
        assertNotEquals(Long.MAX_VALUE, firstLogged(r, "libxl: error: libxl_exec.c: domain 1 device model: startup timed out"));
    }

    @Test
    void aDuplicatedAnswerIsRefusedAndADelayedRequestOnlyCostsTime() {
        Runs.Run dup = Runs.run(sim, boot("duplicate: {from: xen, to: qemu-1, message: hypercall_ret, nth: 1}"), 1);
        assertTrue(dup.result().passed(), dup.result().summary().getOutcome());
        long copy = firstLogged(dup, "(the copy of #");
        assertNotEquals(Long.MAX_VALUE, copy);
        assertTrue(logged(dup.trace().get((int) copy - 1), "qemu-1: rejected HYPERCALL_RET from xen"));
        Runs.Run plain = Runs.run(sim, Runs.builtin("boot"), 1);
        Runs.Run late = Runs.run(sim, boot("delay: {from: xl, to: xenstored, nth: 1, ns: 1000000000}"), 1);
        assertTrue(late.result().passed());
        assertEquals(plain.result().summary().getVtimeNs() + 1_000_000_000L, late.result().summary().getVtimeNs());
        long delayed = firstLogged(late, "delivered 1000000000 ns late");
        assertEquals("xl", late.bySeq(delayed).getFrom());
        assertEquals("xenstored", late.bySeq(delayed).getTo());
    }

    @Test
    void aReorderedMessageIsOvertakenOnItsLink() {
        // xenstored answers xl's XS_WATCH and fires the new watch once, both in one step: reorder
        // the answer behind the event, and xl must cope with the event coming first
        Runs.Run r = Runs.run(sim, boot("reorder: {from: xenstored, to: xl, nth: 7}"), 1);
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        long late = firstLogged(r, "fault: reorder xenstored→xl nth 7: held back behind the messages after it on xenstored→xl (overtaken by 1)");
        assertNotEquals(Long.MAX_VALUE, late);
        assertTrue(r.bySeq(late).hasXsResponse());
        long cause = r.bySeq(late).getCause();
        assertTrue(r.delivered().stream().anyMatch(e -> e.hasXsWatchEvent() && e.getCause() == cause && e.getSeq() < late),
                "the watch event xenstored sent after the answer was delivered first");
        Runs.Run none = Runs.run(sim, boot("reorder: {from: guest-1, to: xen, nth: 3}"), 1);
        assertNotEquals(Long.MAX_VALUE, firstLogged(none, "nothing was queued behind it, so it goes in order"));
    }

    @Test
    void aFaultWhoseTriggerNeverCameIsAWarningAndFaultedRunsAreDeterministic() {
        Runs.Run r = Runs.run(sim, boot("drop: {from: xl, to: xen, message: XENPF_pmem_add}"), 1);
        assertEquals(List.of("fault 1 (drop xl→xen XENPF_pmem_add nth 1) never took effect: its trigger never came"),
                r.result().summary().getFaultWarningsList());
        Scenario s = boot("drop: {from: qemu-1, to: xenstored, probability: 0.2}", "delay: {from: xen, to: '*', probability: 0.1, ns: 5000}");
        String a = Runs.run(sim, s, 7).result().summary().getTraceSha256();
        assertEquals(a, Runs.run(sim, s, 7).result().summary().getTraceSha256());
        assertNotEquals(a, Runs.run(sim, s, 8).result().summary().getTraceSha256());
    }

    @Test
    void badFaultsArePreciseErrors() {
        ScenarioException e = assertThrows(ScenarioException.class, () -> FaultOptions.append(Runs.builtin("boot"),
                List.of("hypercall_error: {hypercall: XEN_DOMCTL_memory_map, errno: ENOMEM}")));
        assertEquals(1, e.line());
        assertEquals(30, e.column());
        assertTrue(e.getMessage().contains("faults[0].hypercall_error.hypercall: expected one of XEN_DOMCTL_createdomain"), e.getMessage());
        e = assertThrows(ScenarioException.class, () -> FaultOptions.append(Runs.builtin("boot"), List.of("crash: {role: qemu-1, after_step: 6, restart: true}")));
        assertTrue(e.getMessage().contains("only xenstored can be started again"), e.getMessage());
        e = assertThrows(ScenarioException.class, () -> FaultOptions.append(Runs.builtin("boot"), List.of("crash: {role: xl}")));
        assertTrue(e.getMessage().contains("exactly one trigger: after_step or on_message"), e.getMessage());
        e = assertThrows(ScenarioException.class, () -> FaultOptions.append(Runs.builtin("boot"), List.of("drop: {from: xl, to: xenstore}")));
        assertTrue(e.getMessage().contains("faults[0].drop.to: expected a role"), e.getMessage());
        e = assertThrows(ScenarioException.class, () -> FaultOptions.append(Runs.builtin("boot"), List.of("drop: {from: xl, to: xen}\nduplicate: {}")));
        assertTrue(e.getMessage().startsWith("--fault:"), e.getMessage());
        e = assertThrows(ScenarioException.class, () -> org.vnvdimm.sim.scenario.ScenarioLoader.parse(
                "name: x\nplatform: {ram_bytes: 1GiB, dimms: [{size_bytes: 1GiB}]}\nsteps: [{power_on: {}}]\nfaults:\n  - delay: {from: xl, to: xen}\n", "f.yaml"));
        assertEquals("f.yaml", e.file());
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("faults[0].delay.ns"), e.getMessage());
    }
}
