package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.sim.record.TraceText;

/** The boot happens in the order the seeds describe, whatever the interleaving. */
class BootTraceTest {
    static Simulator sim;
    static Runs.Run boot;

    @BeforeAll
    static void run() {
        sim = new Simulator();
        boot = Runs.run(sim, Runs.builtin("boot"), 1);
    }

    @AfterAll static void down() { sim.close(); }

    @Test
    void bootPassesEveryOracleAndEveryStepSucceeds() {
        assertTrue(boot.result().passed(), boot.result().summary().getOutcome());
        assertEquals(0, boot.result().verdicts().size());
        assertEquals(5, boot.result().steps().size(), "every admin command answered (power on has no answer)");
        for (org.vnvdimm.proto.StepOutcome s : boot.result().steps()) assertEquals(0, s.getRc(), s.toString());
        assertTrue(boot.trace().stream().flatMap(r -> r.getObservedList().stream())
                .anyMatch(o -> o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("data-readback") && o.getGuestCheck().getOk()));
        assertTrue(boot.trace().stream().flatMap(r -> r.getObservedList().stream())
                .anyMatch(o -> o.hasDomainState() && o.getDomainState().getDomid() == 1 && o.getDomainState().getState().equals("booted")));
    }

    static boolean isPmemAddReply(Envelope e, long reqSeq) { return e.getInReplyTo() == reqSeq && e.hasHypercallRet(); }

    @Test
    void dom0ReportsThePfnXenNamespaceAtItsProbeBeforeAnyoneMapsIt() {
        // rfc-v1: nothing is reported at boot; Dom0 probes the region (it holds pmem in iomem_caps
        // from boot), ndctl writes the pfn-xen info block, and the step pmem_setup stands for the
        // probe where Dom0's Xen pmem component reports the namespace with XENPF_pmem_add.
        long ndctl = boot.firstSeq(e -> e.hasAdminCommand() && e.getAdminCommand().hasNdctlCreateNamespace());
        Envelope add = boot.delivered().stream().filter(Envelope::hasPlatformOp).findFirst().orElseThrow();
        assertEquals(XENPF_pmem_add, add.getPlatformOp().getCmd());
        assertEquals(org.vnvdimm.contract.Roles.DOM0, add.getFrom());
        assertEquals(1, boot.delivered().stream().filter(Envelope::hasPlatformOp).count(), "one report, for the one namespace");
        XenpfPmemAdd a = add.getPlatformOp().getPmemAdd();
        assertTrue(a.getSpfn() <= a.getRsvSpfn() && a.getRsvSpfn() < a.getRsvEpfn() && a.getRsvEpfn() <= a.getDataSpfn()
                && a.getDataSpfn() < a.getDataEpfn() && a.getDataEpfn() <= a.getEpfn(), a.toString());
        long pmemSetup = boot.firstSeq(e -> e.hasAdminCommand() && e.getAdminCommand().hasXlPmemSetup());
        assertEquals(org.vnvdimm.contract.Roles.DOM0, boot.delivered().stream().filter(e -> e.getSeq() == pmemSetup).findFirst().orElseThrow().getTo(),
                "under seeds the step goes to Dom0's kernel");
        long ndctlAnswered = boot.answerTo(ndctl).getSeq();
        assertTrue(ndctlAnswered < add.getSeq(), "ndctl answered at #" + ndctlAnswered + ", pmem_add at #" + add.getSeq());
        long firstDom0Touch = boot.firstSeq(e -> e.hasMemAccess() && e.getFrom().equals(org.vnvdimm.contract.Roles.DOM0)
                && (e.getMemAccess().getSpa() >>> 12) >= a.getSpfn() && (e.getMemAccess().getSpa() >>> 12) < a.getEpfn());
        assertTrue(firstDom0Touch < add.getSeq(), "Dom0 probes before it reports (iomem_caps from boot)");
        Envelope granted = boot.answerTo(add.getSeq());
        assertEquals(0, granted.getHypercallRet().getRc());
        long firstMap = boot.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping);
        assertTrue(granted.getSeq() < firstMap);
        assertEquals(Long.MAX_VALUE, boot.firstSeq(e -> e.getSeq() > granted.getSeq() && e.hasMemAccess() && e.getFrom().equals(org.vnvdimm.contract.Roles.DOM0)
                && (e.getMemAccess().getSpa() >>> 12) >= a.getRsvSpfn() && (e.getMemAccess().getSpa() >>> 12) < a.getRsvEpfn()),
                "Dom0 leaves the reserved area alone once reported");
    }

    @Test
    void xenWritesPmemOnlyAfterPmemAddHandedItAnArea() {
        long setup = boot.firstSeq(e -> e.hasPlatformOp() && e.getPlatformOp().hasPmemAdd());
        long firstXenPmemWrite = boot.firstSeq(e -> e.hasMemAccess() && e.getMemAccess().getInitiatorDomid() == DOMID_XEN
                && e.getMemAccess().getSpa() >= 0x280000000L);
        assertTrue(setup < firstXenPmemWrite, "pmem_add #" + setup + ", Xen's first pmem write #" + firstXenPmemWrite);
        assertNotEquals(Long.MAX_VALUE, firstXenPmemWrite, "Xen does write its frame table, after the hand-over");
        assertEquals(Long.MAX_VALUE, boot.firstSeq(Envelope::hasSysctl), "rfc-v1 has no XEN_SYSCTL_nvdimm_op");
    }

    @Test
    void tablesAreInGuestMemoryAndXenstoreBeforeHvmloaderReadsThem() {
        long lastTableWrite = boot.lastSeq(e -> e.hasForeignMemAccess() && e.getForeignMemAccess().getWrite()
                && e.getForeignMemAccess().getGpa() < 0x1ffff000L);
        long keysWritten = boot.lastSeq(e -> e.hasXsRequest() && e.getXsRequest().getType() == XS_WRITE && e.getXsRequest().getPath().contains("dm-acpi/SSDT/length"));
        long hvmloaderReads = boot.firstSeq(e -> e.hasXsRequest() && e.getFrom().equals("guest-1") && e.getXsRequest().getPath().contains("dm-acpi/NFIT"));
        long firstTableLoad = boot.firstSeq(e -> e.hasGuestMemAccess() && !e.getGuestMemAccess().getWrite() && e.getGuestMemAccess().getGpa() == 0x1fff0000L);
        assertTrue(lastTableWrite < keysWritten && keysWritten < hvmloaderReads && hvmloaderReads < firstTableLoad,
                List.of(lastTableWrite, keysWritten, hvmloaderReads, firstTableLoad).toString());
        long unpause = boot.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_unpausedomain);
        long running = boot.firstSeq(e -> e.hasXsRequest() && e.getXsRequest().getValue().equals("running"));
        assertTrue(running < unpause, "xl unpauses only once QEMU says it is running");
    }

    @Test
    void theGuestsFirstPmemAccessComesAfterItsMapping() {
        long lastMapAnswer = -1;
        for (Envelope e : boot.delivered()) {
            if (e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping && e.getDomctl().getMemoryMapping().getAddMapping() == DPCI_ADD_MAPPING) {
                Envelope a = boot.answerTo(e.getSeq());
                assertNotNull(a);
                lastMapAnswer = Math.max(lastMapAnswer, a.getSeq());
            }
        }
        long firstPmemAccess = boot.firstSeq(e -> e.hasGuestMemAccess() && e.getFrom().equals("guest-1") && e.getGuestMemAccess().getGpa() >= 0x100000000L);
        assertTrue(lastMapAnswer > 0 && lastMapAnswer < firstPmemAccess, lastMapAnswer + " vs " + firstPmemAccess);
    }

    @Test
    void mappingUsesRealNumbersAndTheLibxcLoop() {
        List<Envelope> maps = boot.delivered().stream().filter(e -> e.hasDomctl() && e.getDomctl().getCmd() == 39).toList();
        assertTrue(maps.size() > 64, "a 64 MiB vNVDIMM with 4 KiB p2m entries takes hundreds of calls: " + maps.size());
        int partial = 0;
        for (Envelope m : maps) {
            long rc = boot.answerTo(m.getSeq()).getHypercallRet().getRc();
            assertTrue(rc == 0 || rc == 64, "rc " + rc);
            if (rc == 64) {
                partial++;
                Envelope next = maps.get(maps.indexOf(m) + 1);
                assertEquals(m.getDomctl().getMemoryMapping().getFirstGfn() + 64, next.getDomctl().getMemoryMapping().getFirstGfn());
                assertEquals(m.getDomctl().getMemoryMapping().getNrMfns() - 64, next.getDomctl().getMemoryMapping().getNrMfns());
            }
        }
        assertTrue(partial > 0);
        assertTrue(boot.delivered().stream().anyMatch(e -> e.hasDomctl() && e.getDomctl().getCmd() == 20), "XEN_DOMCTL_iomem_permission is 20");
    }

    @Test
    void theTextTraceReadsLikeTheIssueExample() {
        List<String> lines = TraceText.lines(boot.trace(), TraceText.Detail.NORMAL);
        assertTrue(lines.get(0).startsWith("#0001 admin     → platform   step 1: power on"), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.matches("#\\d{4} qemu-1\\s+→ xen\\s+XEN_DOMCTL_memory_mapping dom=1 first_gfn=0x100000 first_mfn=0x[0-9a-f]+ nr_mfns=\\d+ add → 64 \\(partial\\)")),
                "a memory_mapping line with its partial progress");
        assertTrue(lines.stream().anyMatch(l -> l.contains("… ") && l.contains("more rounds of this exchange")), "the 4 KiB loop is folded");
        assertTrue(lines.size() < boot.trace().size(), "folding shortens the printed trace");
    }
}
