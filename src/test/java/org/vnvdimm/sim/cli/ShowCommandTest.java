package org.vnvdimm.sim.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.sim.cli.CliTest.vnvdimm;

import com.google.protobuf.util.JsonFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.DumpRange;
import org.vnvdimm.proto.DumpSection;
import org.vnvdimm.proto.StateDump;
import org.vnvdimm.proto.StateDumps;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.journal.RecordedRun;
import org.vnvdimm.sim.journal.Replay;
import org.vnvdimm.sim.run.Simulator;

/**
 * `vnvdimm show RUN --step N`: the components' state replayed to N (Xen's p2m, pmem owners, QEMU's
 * mappings before and after QEMU's memory_mapping loop; Dom0's namespace after pmem_add), from a
 * journal run id and from a run folder; --role, --json, and bad N. The dump does not change the run.
 */
class ShowCommandTest {
    static final Pattern RECORDED = Pattern.compile("recorded as (run-hostile-qemu-1-[0-9]+) in the journal");
    @TempDir static Path tmp;
    static Path folder;
    static String journalUrl;
    static String runId;
    static RecordedRun hostile;
    static Simulator sim;
    /** The first legitimate memory_mapping request, and the reply that ends the loop (pmem MFNs, before the hostile call). */
    static long firstMap, loopDone;

    @BeforeAll
    static void record() throws Exception {
        folder = tmp.resolve("hostile");
        journalUrl = "jdbc:h2:file:" + tmp.resolve("j/journal");
        CliTest.Out r = vnvdimm("run", "hostile-qemu", "-q", "--out", folder.toString(), "--journal", journalUrl);
        assertEquals(0, r.rc(), r.err());
        Matcher m = RECORDED.matcher(r.out());
        assertTrue(m.find(), r.out());
        runId = m.group(1);
        hostile = RecordedRun.fromFolder(folder);
        List<Long> mapRequests = new ArrayList<>();
        try (RecordedRun.CloseableIterator<TraceRecord> it = hostile.deliveries()) {
            while (it.hasNext()) {
                TraceRecord t = it.next();
                var e = t.getDelivered();
                if (e.hasDomctl() && e.getDomctl().hasMemoryMapping() && e.getDomctl().getMemoryMapping().getFirstMfn() >= 0x280000) {
                    mapRequests.add(e.getSeq());
                }
                if (e.getInReplyTo() != 0 && !mapRequests.isEmpty() && e.getInReplyTo() == mapRequests.get(mapRequests.size() - 1)) loopDone = e.getSeq();
            }
        }
        firstMap = mapRequests.get(0);
        assertTrue(mapRequests.size() > 100 && loopDone > firstMap, mapRequests.size() + " mapping calls");
        sim = new Simulator();
    }

    @AfterAll
    static void stop() { if (sim != null) sim.close(); }

    static StateDump of(Replay.Shown s, String role) {
        return s.dumps().stream().filter(d -> d.getRole().equals(role)).findFirst().orElseThrow(() -> new AssertionError("no dump of " + role));
    }

    static DumpSection section(StateDump d, String name) {
        return d.getSectionsList().stream().filter(x -> x.getName().equals(name)).findFirst().orElse(null);
    }

    static long total(DumpSection s, String type) {
        long n = 0;
        if (s != null) for (DumpRange r : s.getRangesList()) if (r.getType().startsWith(type)) n += r.getCount();
        return n;
    }

    @Test
    void beforeAndAfterQemusMemoryMappingLoop() {
        Replay.Shown before = Replay.runTo(sim, hostile, firstMap - 1);
        assertNull(before.divergence());
        StateDump xen = of(before, "xen");
        assertEquals(0, total(section(xen, "d1 p2m"), "p2m_mmio_direct"), "nothing mapped yet");
        assertEquals(0, section(xen, "pmem owners").getRangesCount());
        // QEMU has its plan from FIEMAP already; Xen's p2m is what is mapped
        assertEquals(16384, total(section(of(before, "qemu-1"), "nvdimm slot 0"), "planned from FIEMAP"));

        Replay.Shown after = Replay.runTo(sim, hostile, loopDone);
        assertNull(after.divergence());
        xen = of(after, "xen");
        DumpSection p2m = section(xen, "d1 p2m");
        // 64 MiB of vNVDIMM is 16384 frames, mapped 64 at a time, yet the p2m holds a few ranges
        assertEquals(16384, total(p2m, "p2m_mmio_direct"));
        assertTrue(p2m.getRangesCount() <= 8, p2m.toString());
        DumpRange firstMmio = p2m.getRangesList().stream().filter(r -> r.getType().equals("p2m_mmio_direct")).findFirst().orElseThrow();
        assertEquals(0x100000, firstMmio.getStart());
        assertEquals("mfn", firstMmio.getToUnit());
        assertEquals(16384, total(section(xen, "pmem owners"), "owner d1"));
        assertEquals(16384, total(section(of(after, "qemu-1"), "nvdimm slot 0"), "planned from FIEMAP"));
        // Every owner range maps back: mfn -> gfn agrees with the p2m's gfn -> mfn
        for (DumpRange o : section(xen, "pmem owners").getRangesList()) {
            assertTrue(p2m.getRangesList().stream().anyMatch(r -> r.getStart() <= o.getToStart() && o.getToStart() < r.getStart() + r.getCount()
                    && r.getToStart() + (o.getToStart() - r.getStart()) == o.getStart()), o.toString());
        }
        // The hostile mapping of host RAM (MFN 0x100) is refused: it never reaches the p2m
        Replay.Shown end = Replay.runTo(sim, hostile, hostile.deliveriesRecorded());
        assertTrue(section(of(end, "xen"), "d1 p2m").getRangesList().stream().noneMatch(r -> r.getToStart() == 0x100));
        // The guest read one pmem region from its NFIT, at the vNVDIMM's GPA QEMU put it at
        DumpSection regions = section(of(end, "guest-1"), "pmem regions (NFIT/_FIT)");
        assertEquals(1, regions.getRangesCount(), regions.toString());
        assertEquals(section(of(end, "qemu-1"), "nvdimm slot 0").getRanges(0).getStart(), regions.getRanges(0).getStart());
        assertEquals(64L << 20, regions.getRanges(0).getCount());
        // Dumps are a function of the run and N
        assertEquals(after.dumps(), Replay.runTo(sim, hostile, loopDone).dumps());
    }

    @Test
    void bootStepsShowDom0sNamespaceAndXensPmemRegistry() {
        long pmemAdd = -1;
        try (RecordedRun.CloseableIterator<TraceRecord> it = hostile.deliveries()) {
            while (it.hasNext() && pmemAdd < 0) {
                TraceRecord t = it.next();
                if (t.getDelivered().hasPlatformOp()) pmemAdd = t.getDelivered().getSeq();
            }
        }
        assertTrue(pmemAdd > 0);
        Replay.Shown before = Replay.runTo(sim, hostile, pmemAdd - 1);
        assertEquals(0, total(section(of(before, "xen"), "pmem regions"), "reported by dom0"));
        assertNotNull(section(of(before, "dom0"), "namespace0.0"), "ndctl created the namespace before Dom0 reported it");
        Replay.Shown after = Replay.runTo(sim, hostile, pmemAdd);
        StateDump xen = of(after, "xen");
        assertTrue(total(section(xen, "pmem regions"), "reported by dom0") > 0, xen.toString());
        assertTrue(section(xen, "pmem management areas").getRangesCount() > 0, xen.toString());
        assertEquals(1, section(of(after, "dom0"), "regions").getRangesCount());
    }

    @Test
    void showFromAJournalIdAndFromARunFolderAgreeAndRoleFilters() throws Exception {
        String step = Long.toString(loopDone);
        CliTest.Out byId = vnvdimm("show", runId, "--step", step, "--journal", journalUrl);
        assertEquals(0, byId.rc(), byId.err());
        assertTrue(byId.out().contains("(XEN) d1 p2m: gfn 0x100000-"), byId.out());
        assertTrue(byId.out().contains("p2m_mmio_direct"), byId.out());
        assertTrue(byId.out().contains("(XEN) pmem owners: mfn 0x"), byId.out());
        assertTrue(byId.out().contains("(dom0) /mnt/pmem0/vm1.img extents: offset 0x0-"), byId.out());
        CliTest.Out byFolder = vnvdimm("show", folder.toString(), "--step", step);
        assertEquals(0, byFolder.rc(), byFolder.err());
        assertEquals(byId.out().lines().skip(1).toList(), byFolder.out().lines().skip(1).toList(), "the same state whichever way the run is named");

        CliTest.Out qemu = vnvdimm("show", folder.toString(), "--step", step, "--role", "qemu-1");
        assertEquals(0, qemu.rc(), qemu.err());
        List<String> body = qemu.out().lines().skip(1).filter(l -> !l.isBlank()).toList();
        assertFalse(body.isEmpty());
        for (String l : body) assertTrue(l.startsWith("(qemu-1) "), l);

        CliTest.Out json = vnvdimm("show", folder.toString(), "--step", step, "--json", "--role", "xen", "--role", "dom0");
        assertEquals(0, json.rc(), json.err());
        StateDumps.Builder b = StateDumps.newBuilder();
        JsonFormat.parser().merge(json.out(), b);
        assertEquals(List.of("dom0", "xen"), b.getComponentsList().stream().map(StateDump::getRole).toList());
        assertEquals(loopDone, b.getStep());
    }

    @Test
    void badStepsAndRolesAreOneLineAndExit2() {
        long n = hostile.deliveriesRecorded();
        CliTest.Out beyond = vnvdimm("show", folder.toString(), "--step", Long.toString(n + 1));
        assertEquals(2, beyond.rc());
        assertEquals("vnvdimm show: --step " + (n + 1) + ": " + folder + " has " + n + " deliveries (#1 to #" + n + ")", beyond.err().strip());
        CliTest.Out zero = vnvdimm("show", folder.toString(), "--step", "0");
        assertEquals(2, zero.rc());
        assertTrue(zero.err().strip().startsWith("vnvdimm show: --step 0: "), zero.err());
        CliTest.Out role = vnvdimm("show", folder.toString(), "--step", "10", "--role", "qemu-9");
        assertEquals(2, role.rc());
        assertTrue(role.err().strip().startsWith("vnvdimm show: --role qemu-9: no such live component after #10 (there are: "), role.err());
        assertEquals(1, role.err().strip().lines().count());
        CliTest.Out none = vnvdimm("show", "run-hostile-qemu-1-99", "--step", "1", "--journal", journalUrl);
        assertEquals(2, none.rc());
        assertTrue(none.err().contains("no such run in the journal"), none.err());
    }

    @Test
    void traceAndDiffTakeAJournalRunId() throws Exception {
        CliTest.Out t = vnvdimm("trace", runId, "--journal", journalUrl);
        assertEquals(0, t.rc(), t.err());
        assertEquals(Files.readString(folder.resolve("trace.txt")), t.out());
        CliTest.Out d = vnvdimm("diff", runId, folder.toString(), "--journal", journalUrl);
        assertEquals(0, d.rc(), d.err() + d.out());
        CliTest.Out missing = vnvdimm("trace", "run-hostile-qemu-1-99", "--journal", journalUrl);
        assertEquals(2, missing.rc());
        assertEquals("vnvdimm trace: run-hostile-qemu-1-99: no such run in the journal " + journalUrl.substring("jdbc:h2:file:".length())
                + ".mv.db (`vnvdimm runs` lists them) and no such run folder", missing.err().strip());
    }
}
