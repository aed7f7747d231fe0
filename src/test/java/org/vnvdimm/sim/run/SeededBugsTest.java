package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.sim.platform.PlatformModel;
import org.vnvdimm.sim.record.MemoryRecorder;
import org.vnvdimm.sim.wire.Wire;

/**
 * Seeded bugs: deliberately broken component variants, built only here, each run through the
 * `boot` scenario (or its design variants). For every oracle at least two variants; each test
 * asserts that the run fails, that the right oracle fires, and that it fires at the delivery where
 * the bug first showed on the wire. This is how we know an oracle is not blind.
 *
 * <p>A variant is the real component with its input or output altered on the way (the wire and
 * the other components do not know), or, for crashes, a component that throws.
 */
class SeededBugsTest {
    static Simulator sim;
    static final long GIB = 1L << 30;

    @BeforeAll
    static void start() { sim = new Simulator(); }

    @AfterAll
    static void stop() { sim.close(); }

    // ------------------------------------------------------------------ plumbing

    /** Rewrites what a component sent while handling `in`. */
    interface OutMutator extends BiFunction<Envelope, StepResult, StepResult> {}

    /**
     * The real component for roles matching `which`, with what it receives passed through `in`
     * (which may throw: a failure outside the component's own handler) and what it answers the wire
     * passed through `out`.
     */
    static UnaryOperator<Wire.ComponentFactory> broken(Predicate<String> which, UnaryOperator<Envelope> in, OutMutator out) {
        return real -> (role, wire) -> {
            if (!which.test(role)) return real.create(role, wire);
            return Behaviors.setup(ctx -> {
                Envelope[] last = new Envelope[1];
                ActorRef<StepResult> tap = ctx.spawnAnonymous(Behaviors.<StepResult>receiveMessage(r -> {
                    wire.tell(out.apply(last[0], r));
                    return Behaviors.same();
                }));
                return Behaviors.intercept(() -> new BehaviorInterceptor<Envelope, Envelope>(Envelope.class) {
                    @Override
                    public Behavior<Envelope> aroundReceive(TypedActorContext<Envelope> c, Envelope msg, ReceiveTarget<Envelope> target) {
                        Envelope m = in.apply(msg);
                        last[0] = m;
                        return target.apply(c, m);
                    }
                }, real.create(role, tap));
            });
        };
    }

    static UnaryOperator<Wire.ComponentFactory> brokenOut(String role, OutMutator out) {
        return broken(role::equals, UnaryOperator.identity(), out);
    }

    static StepResult mapSent(StepResult r, UnaryOperator<Envelope> f) {
        StepResult.Builder b = r.toBuilder().clearSent();
        for (Envelope e : r.getSentList()) {
            Envelope x = f.apply(e);
            if (x != null) b.addSent(x);
        }
        return b.build();
    }

    static Runs.Run run(Scenario s, UnaryOperator<Wire.ComponentFactory> variant) {
        MemoryRecorder mem = new MemoryRecorder();
        RunResult r = sim.run(s, 1, null, mem, variant);
        return new Runs.Run(r, mem.records());
    }

    static Scenario boot() { return Runs.builtin("boot"); }

    static long pmemBase() { return new PlatformModel(boot().getPlatform()).dimms().get(0).spa(); }

    /** The run failed, `oracle` fired, and its first verdict is at `seq`. */
    static Verdict caught(Runs.Run r, String oracle, long seq) {
        assertFalse(r.result().passed(), "a broken component must fail the run: " + r.result().summary().getOutcome());
        assertNotEquals(Long.MAX_VALUE, seq, "the bug never showed on the wire");
        Verdict v = r.result().verdicts().stream().filter(x -> x.getOracle().equals(oracle)).findFirst()
                .orElseThrow(() -> new AssertionError(oracle + " did not fire; fired: " + r.result().firedOracles() + " — " + r.result().summary().getOutcome()));
        assertEquals(seq, v.getSeq(), oracle + " fired at the wrong delivery: " + v);
        // and the verdict is in the trace record of that very delivery (verdicts made at the end of
        // the run, such as liveness, have no record of their own: they are in the summary)
        boolean atEnd = seq == r.result().summary().getDeliveries() && oracle.equals("liveness");
        if (!atEnd) assertTrue(r.trace().get((int) seq - 1).getVerdictsList().stream().anyMatch(x -> x.getOracle().equals(oracle)));
        return v;
    }

    static boolean bus(Envelope e) { return e.getTo().equals(Roles.PLATFORM) && e.hasMemAccess(); }

    static boolean vnvdimmGpa(long gpa) { return gpa >= 4 * GIB; }

    // ------------------------------------------------------------------ boot-safety

    @Test
    void bootSafety_xenLaysItsFrameTableOverPmemAtBoot() {
        long spa = pmemBase();
        Runs.Run r = run(boot(), brokenOut(Roles.XEN, (in, out) -> !in.hasFirmwareHandoff() ? out : out.toBuilder()
                .addSent(Envelope.newBuilder().setFrom(Roles.XEN).setTo(Roles.PLATFORM).setTag(1 << 30).setMemAccess(MemAccess.newBuilder()
                        .setOp(MemAccess.Op.FILL).setSpa(spa).setLen(64L << 20).setFillTag("xen-frametable+m2p").setInitiatorDomid(DOMID_XEN))).build()));
        caught(r, "boot-safety", r.firstSeq(e -> bus(e) && e.getMemAccess().getInitiatorDomid() == DOMID_XEN && e.getMemAccess().getSpa() == spa));
    }

    @Test
    void bootSafety_xenPutsTheDataAreasTablesInTheDataArea() {
        long[] dataSpa = {-1};
        Runs.Run r = run(boot(), brokenOut(Roles.XEN, (in, out) -> {
            long data = -1;
            if (in.hasSysctl() && in.getSysctl().getNvdimm().hasPmemSetup() && in.getSysctl().getNvdimm().getPmemSetup().getType() == PMEM_REGION_TYPE_DATA) {
                data = in.getSysctl().getNvdimm().getPmemSetup().getSmfn();
            } else if (in.hasPlatformOp() && in.getPlatformOp().getPmemAdd().getDataEpfn() > 0) {
                data = in.getPlatformOp().getPmemAdd().getDataSpfn();
            }
            if (data < 0) return out;
            long spa = data << PAGE_SHIFT;
            dataSpa[0] = spa;
            return mapSent(out, e -> e.hasMemAccess() && e.getMemAccess().getInitiatorDomid() == DOMID_XEN
                    ? e.toBuilder().setMemAccess(e.getMemAccess().toBuilder().setSpa(spa)).build() : e);
        }));
        caught(r, "boot-safety", r.firstSeq(e -> bus(e) && e.getMemAccess().getInitiatorDomid() == DOMID_XEN && e.getMemAccess().getSpa() == dataSpa[0]));
    }

    // ------------------------------------------------------------------ isolation

    @Test
    void isolation_xenWithoutThePmemCheckMapsHostRamForAHostileQemu() {
        Scenario s = boot().toBuilder().setDesign(Design.newBuilder().setMappingCheck("off").setQemu("hostile-ram")).build();
        Runs.Run r = run(s, UnaryOperator.identity());
        org.vnvdimm.ranges.RangeSet ram = new PlatformModel(s.getPlatform()).ramPages();
        caught(r, "isolation", r.firstSeq(e -> {
            if (!e.hasHypercallRet() || !Roles.isQemu(e.getTo()) || e.getHypercallRet().getRc() < 0) return false;
            Envelope call = r.bySeq(e.getInReplyTo());
            return call.hasDomctl() && call.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping
                    && ram.contains(call.getDomctl().getMemoryMapping().getFirstMfn()) && call.getDomctl().getMemoryMapping().getAddMapping() == DPCI_ADD_MAPPING;
        }));
    }

    @Test
    void isolation_xenTranslatesAGuestAccessToTheNextFrame() {
        Runs.Run r = run(boot(), brokenOut(Roles.XEN, (in, out) -> !in.hasGuestMemAccess() || !vnvdimmGpa(in.getGuestMemAccess().getGpa()) ? out
                : mapSent(out, e -> e.hasMemAccess() ? e.toBuilder().setMemAccess(e.getMemAccess().toBuilder().setSpa(e.getMemAccess().getSpa() + PAGE_SIZE)).build() : e)));
        Verdict v = caught(r, "isolation", r.firstSeq(e -> bus(e) && e.getMemAccess().getInitiatorDomid() == 1 && vnvdimmGpa(e.getMemAccess().getGpa())));
        assertTrue(v.getDetail().contains("puts that gfn at MFN"), v.getDetail());
    }

    @Test
    void isolation_xenLetsDom0WriteTheManagementAreaItWithdrew() throws Exception {
        // A Dom0 whose mkfs stores its superblock into the reserved area Xen took with pmem_add. Real
        // Xen refuses Dom0's store (-EPERM); this one forwards it to the bus anyway.
        Scenario base = org.vnvdimm.sim.platform.Dom0WithdrawnAreaTest.scenario();
        Scenario s = base.toBuilder().clearExpect().build();   // this Xen lets mkfs succeed
        UnaryOperator<Wire.ComponentFactory> xen = brokenOut(Roles.XEN, (in, out) -> !in.hasMemAccess() || !in.getFrom().equals(Roles.DOM0) ? out
                : mapSent(out, e -> e.hasMemAccessDone() && e.getMemAccessDone().getRc() < 0
                        ? Envelope.newBuilder().setFrom(Roles.XEN).setTo(Roles.PLATFORM).setTag(e.getTag())
                                .setMemAccess(in.getMemAccess().toBuilder().setInitiatorDomid(0)).build()
                        : e));
        UnaryOperator<Wire.ComponentFactory> dom0 = org.vnvdimm.sim.platform.Dom0WithdrawnAreaTest.misdirectedMkfs();
        Runs.Run r = run(s, f -> xen.apply(dom0.apply(f)));
        Verdict v = caught(r, "isolation", r.firstSeq(e -> bus(e) && e.getMemAccess().getInitiatorDomid() == 0
                && e.getMemAccess().getSpa() == org.vnvdimm.sim.platform.Dom0WithdrawnAreaTest.SUPERBLOCK));
        assertTrue(v.getDetail().startsWith("d0 wrote MFNs"), v.getDetail());
    }

    // ------------------------------------------------------------------ mapping-coherence

    /** QEMU's memory_mapping calls, rewritten by f (gfn, mfn, nr) -> {gfn, mfn}; returns the calls changed. */
    static UnaryOperator<Wire.ComponentFactory> qemuMaps(BiFunction<long[], long[], long[]> f, TreeSet<Long> changedGfns) {
        long[] first = {-1, -1};
        return broken(Roles::isQemu, UnaryOperator.identity(), (in, out) -> mapSent(out, e -> {
            if (!e.hasDomctl() || e.getDomctl().getCmd() != XEN_DOMCTL_memory_mapping) return e;
            DomctlMemoryMapping m = e.getDomctl().getMemoryMapping();
            if (m.getAddMapping() != DPCI_ADD_MAPPING) return e;
            if (first[0] < 0) { first[0] = m.getFirstGfn(); first[1] = m.getFirstMfn(); }
            long[] g = f.apply(first, new long[] {m.getFirstGfn(), m.getFirstMfn()});
            if (g[0] == m.getFirstGfn() && g[1] == m.getFirstMfn()) return e;
            changedGfns.add(g[0]);
            return e.toBuilder().setDomctl(e.getDomctl().toBuilder().setMemoryMapping(m.toBuilder().setFirstGfn(g[0]).setFirstMfn(g[1]))).build();
        }));
    }

    static long replyToFirstMapping(Runs.Run r, TreeSet<Long> gfns) {
        long call = r.firstSeq(e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_memory_mapping && gfns.contains(e.getDomctl().getMemoryMapping().getFirstGfn()));
        Envelope ret = call == Long.MAX_VALUE ? null : r.answerTo(call);
        return ret == null ? Long.MAX_VALUE : ret.getSeq();
    }

    @Test
    void coherence_qemuResumesAPartialMappingOneFrameBack() {
        // libxc resumes after Xen's partial progress at gfn+done, mfn+done; this one resumes at
        // mfn+done-1. The frames stay inside what the toolstack granted, so Xen's checks pass.
        TreeSet<Long> changed = new TreeSet<>();
        long[] prev = {-1, -1};
        Runs.Run r = run(boot(), qemuMaps((first, gm) -> {
            boolean resume = gm[0] == prev[0] + 64 && gm[1] == prev[1] + 64;
            prev[0] = gm[0];
            prev[1] = gm[1];
            return resume ? new long[] {gm[0], gm[1] - 1} : gm;
        }, changed));
        caught(r, "mapping-coherence", replyToFirstMapping(r, new TreeSet<>(List.of(changed.first()))));
    }

    @Test
    void coherence_qemuMapsEveryChunkOnePageOff() {
        TreeSet<Long> changed = new TreeSet<>();
        Runs.Run r = run(boot(), qemuMaps((first, gm) -> new long[] {gm[0] + 1, gm[1]}, changed));
        caught(r, "mapping-coherence", replyToFirstMapping(r, new TreeSet<>(List.of(changed.first()))));
    }

    // ------------------------------------------------------------------ data-integrity

    static long firstVnvdimmLoadAnswer(Runs.Run r) {
        return r.firstSeq(e -> e.getTo().equals("guest-1") && e.hasMemAccessDone() && !e.getMemAccessDone().getData().isEmpty()
                && vnvdimmGpa(e.getMemAccessDone().getGpa()));
    }

    @Test
    void integrity_theMediaReturnsAFlippedBit() {
        Runs.Run r = run(boot(), brokenOut(Roles.PLATFORM, (in, out) -> !in.hasMemAccess() || !in.getMemAccess().getReplyTo().equals("guest-1")
                || !vnvdimmGpa(in.getMemAccess().getGpa()) || in.getMemAccess().getOp() != MemAccess.Op.READ ? out
                : mapSent(out, e -> {
                    if (!e.hasMemAccessDone()) return e;
                    byte[] d = e.getMemAccessDone().getData().toByteArray();
                    d[0] ^= 1;
                    return e.toBuilder().setMemAccessDone(e.getMemAccessDone().toBuilder().setData(ByteString.copyFrom(d))).build();
                })));
        caught(r, "data-integrity", firstVnvdimmLoadAnswer(r));
    }

    @Test
    void integrity_xenServesGuestLoadsFromTheNeighbouringFrame() {
        Runs.Run r = run(boot(), brokenOut(Roles.XEN, (in, out) -> !in.hasGuestMemAccess() || in.getGuestMemAccess().getWrite()
                || !vnvdimmGpa(in.getGuestMemAccess().getGpa()) ? out
                : mapSent(out, e -> e.hasMemAccess() ? e.toBuilder().setMemAccess(e.getMemAccess().toBuilder().setSpa(e.getMemAccess().getSpa() + PAGE_SIZE)).build() : e)));
        caught(r, "data-integrity", firstVnvdimmLoadAnswer(r));
        assertTrue(r.result().firedOracles().contains("isolation"), "the bus also saw the access reach the wrong frame");
    }

    // ------------------------------------------------------------------ acpi

    @Test
    void acpi_qemuWritesAnNfitWithABadChecksum() {
        Runs.Run r = run(boot(), broken(Roles::isQemu, UnaryOperator.identity(), (in, out) -> mapSent(out, e -> {
            if (!e.hasForeignMemAccess() || !e.getForeignMemAccess().getWrite() || !e.getForeignMemAccess().getData().startsWith(ByteString.copyFromUtf8("NFIT"))) return e;
            byte[] d = e.getForeignMemAccess().getData().toByteArray();
            d[9] ^= 0x5a;
            return e.toBuilder().setForeignMemAccess(e.getForeignMemAccess().toBuilder().setData(ByteString.copyFrom(d))).build();
        })));
        Verdict v = caught(r, "acpi", r.firstSeq(e -> e.hasXsRequest() && e.getXsRequest().getPath().equals("/local/domain/0/device-model/1/state")
                && e.getXsRequest().getValue().equals("running")));
        assertTrue(v.getDetail().startsWith("NFIT checksum invalid"), v.getDetail());
    }

    @Test
    void acpi_theFirmwareHandsOverACorruptNfit() {
        Runs.Run r = run(boot(), brokenOut(Roles.PLATFORM, (in, out) -> mapSent(out, e -> {
            if (!e.hasFirmwareHandoff()) return e;
            FirmwareHandoff.Builder f = e.getFirmwareHandoff().toBuilder();
            for (int i = 0; i < f.getAcpiTablesCount(); i++) {
                if (!f.getAcpiTables(i).getSignature().equals("NFIT")) continue;
                byte[] d = f.getAcpiTables(i).getData().toByteArray();
                d[d.length - 1] ^= 0x10;
                f.setAcpiTables(i, f.getAcpiTables(i).toBuilder().setData(ByteString.copyFrom(d)));
            }
            return e.toBuilder().setFirmwareHandoff(f).build();
        })));
        caught(r, "acpi", r.firstSeq(Envelope::hasFirmwareHandoff));
    }

    @Test
    void acpi_qemuServesAStaleFitAfterAHotplug() {
        // hotplug-guest with a QEMU whose Read FIT keeps answering the FIT it had at boot
        Scenario s = Runs.builtin("hotplug-guest");
        ByteString[] bootFit = {null};
        Runs.Run r = run(s, broken(Roles::isQemu, UnaryOperator.identity(), (in, out) -> {
            // QEMU answers a _DSM in the step where it got the input page: Read FIT is handle 0x10000, function 1
            if (in == null || !in.hasMemAccessDone() || in.getMemAccessDone().getData().size() < 16) return out;
            ByteString page = in.getMemAccessDone().getData();
            boolean readFit = page.byteAt(0) == 0 && page.byteAt(1) == 0 && page.byteAt(2) == 1 && page.byteAt(3) == 0 && page.byteAt(8) == 1;
            if (!readFit) return out;
            return mapSent(out, e -> {
                if (!e.hasForeignMemAccess() || !e.getForeignMemAccess().getWrite()) return e;
                ByteString d = e.getForeignMemAccess().getData();
                if (d.size() < 9 || d.byteAt(0) == 8) return e;   // only answers that carry FIT bytes
                if (bootFit[0] == null) { bootFit[0] = d; return e; }
                return e.toBuilder().setForeignMemAccess(e.getForeignMemAccess().toBuilder().setData(bootFit[0]).setLen(bootFit[0].size())).build();
            });
        }));
        long added = r.firstSeq(e -> e.hasQmpCommand() && e.getQmpCommand().getJson().contains("device_add"));
        // the read that completes after the hotplug: QEMU's empty success {8, 0} written on the bus
        long done = r.firstSeq(e -> bus(e) && e.getSeq() > added && Roles.isQemu(e.getMemAccess().getReplyTo())
                && e.getMemAccess().getData().size() >= 8 && e.getMemAccess().getData().byteAt(0) == 8 && e.getMemAccess().getData().byteAt(1) == 0
                && e.getMemAccess().getData().byteAt(4) == 0 && e.getMemAccess().getData().byteAt(5) == 0);
        Verdict v = caught(r, "acpi", done);
        assertTrue(v.getDetail().startsWith("d1 read a FIT"), v.getDetail());   // stale head + fresh tail: it does not even parse
    }

    @Test
    void acpi_qemuSizesTheHotAddedNvdimmWithAnotherLabelSizeThanAsked() {
        // hotplug-guest with a QEMU that takes a 4 MiB label area from the device_add'ed NVDIMM, not
        // the 128 KiB asked: the FIT still lists two NVDIMMs with the right handles, but the second
        // one's SPA range is ALIGN_DOWN(34 MiB - 4 MiB, 2 MiB) = 30 MiB, not 32 MiB.
        Scenario s = Runs.builtin("hotplug-guest");
        Runs.Run r = run(s, broken(Roles::isQemu, e -> {
            if (!e.hasQmpCommand() || !e.getQmpCommand().getJson().contains("\"device_add\"")) return e;
            String json = e.getQmpCommand().getJson().replace("\"label-size\": 131072", "\"label-size\": 4194304");
            assertNotEquals(e.getQmpCommand().getJson(), json, "the seeded bug must change what QEMU plugs");
            return e.toBuilder().setQmpCommand(e.getQmpCommand().toBuilder().setJson(json)).build();
        }, (in, out) -> out));
        long added = r.firstSeq(e -> e.hasQmpCommand() && e.getQmpCommand().getJson().contains("device_add"));
        // the first Read FIT the guest completes after the hotplug: QEMU's empty success {8, 0}
        long done = r.firstSeq(e -> bus(e) && e.getSeq() > added && Roles.isQemu(e.getMemAccess().getReplyTo())
                && e.getMemAccess().getData().size() >= 8 && e.getMemAccess().getData().byteAt(0) == 8 && e.getMemAccess().getData().byteAt(1) == 0
                && e.getMemAccess().getData().byteAt(4) == 0 && e.getMemAccess().getData().byteAt(5) == 0);
        Verdict v = caught(r, "acpi", done);
        assertTrue(v.getDetail().contains("handle 0x2 has 31457280 bytes, the device 33554432"), v.getDetail());
    }

    // ------------------------------------------------------------------ liveness

    @Test
    void liveness_xlNeverUnpausesTheDomain() {
        Runs.Run r = run(boot(), brokenOut(Roles.XL, (in, out) -> mapSent(out,
                e -> e.hasDomctl() && e.getDomctl().getCmd() == XEN_DOMCTL_unpausedomain ? null : e)));
        caught(r, "liveness", r.result().summary().getDeliveries());
        assertTrue(r.result().summary().getFailedStepsList().stream().anyMatch(s -> s.getStep() == 6 && s.getErrno().equals("ETIMEDOUT")),
                "xl create never finished");
    }

    @Test
    void liveness_xenNeverStartsVcpu0() {
        Runs.Run r = run(boot(), brokenOut(Roles.XEN, (in, out) -> mapSent(out, e -> e.hasDomainStart() && Roles.isGuest(e.getTo()) ? null : e)));
        caught(r, "liveness", r.result().summary().getDeliveries());
    }

    // ------------------------------------------------------------------ crash

    /** A xenstored with a null-pointer bug: it throws inside its handler on the first request. */
    static final class NullXenstored extends ComponentBehavior {
        NullXenstored(ActorContext<Envelope> ctx, ActorRef<StepResult> wire) { super(ctx, Roles.XENSTORED, wire); }

        @Override
        protected void handle(Envelope e) {
            String missing = null;
            log("xenstored: %d", missing.length());
        }
    }

    @Test
    void crash_aComponentThatThrowsInItsHandler() {
        Runs.Run r = run(boot(), real -> (role, wire) -> role.equals(Roles.XENSTORED)
                ? Behaviors.setup(ctx -> new NullXenstored(ctx, wire)) : real.create(role, wire));
        Verdict v = caught(r, "crash", r.firstSeq(e -> e.getTo().equals(Roles.XENSTORED)));
        assertTrue(v.getDetail().contains("NullPointerException"), v.getDetail());
        // nothing answers the request it crashed on, so xl create never finishes, and the run ends
        assertTrue(r.result().summary().getFailedStepsList().stream().anyMatch(s -> s.getStep() == 6), r.result().summary().toString());
    }

    @Test
    void crash_aComponentActorThatFailsOutsideItsHandler() {
        Runs.Run r = run(boot(), broken(Roles::isGuest, in -> {
            if (in.hasDomainStart()) throw new IllegalStateException("vcpu0 triple fault");
            return in;
        }, (in, out) -> out));
        caught(r, "crash", r.firstSeq(e -> e.hasDomainStart() && Roles.isGuest(e.getTo())));
    }

    // ------------------------------------------------------------------ report-before-map

    /** hotplug-host with a second DIMM hot-added right after the first; nobody ever reports the second. */
    static Scenario twoHotDimms() {
        Scenario s = Runs.builtin("hotplug-host");
        int at = 0;
        while (!s.getSteps(at).hasHotplugDimm()) at++;
        HotplugDimm first = s.getSteps(at).getHotplugDimm();
        Step second = Step.newBuilder().setHotplugDimm(first.toBuilder().setHandle(first.getHandle() + 1).setSpa(0)).build();
        List<Step> steps = new ArrayList<>(s.getStepsList());
        steps.add(at + 1, second);
        return s.toBuilder().clearSteps().addAllSteps(steps).clearExpect().build();
    }

    static long secondHotSpa(Scenario s) {
        PlatformModel m = new PlatformModel(s.getPlatform());
        long spa = -1;
        for (Step st : s.getStepsList()) {
            if (st.hasHotplugDimm()) {
                HotplugDimm h = st.getHotplugDimm();
                spa = m.hotplug(h.getHandle(), h.getSpa(), h.getSizeBytes(), h.getPxm(), h.getLabelBytes()).spa();
            }
        }
        return spa;
    }

    @Test
    void reportBeforeMap_xenLaysTablesOverADimmNobodyReported() {
        Scenario s = twoHotDimms();
        long spa = secondHotSpa(s);
        boolean[] done = {false};
        // when Dom0 reports the first hot-added DIMM, this Xen also writes into the second one
        Runs.Run r = run(s, brokenOut(Roles.XEN, (in, out) -> {
            if (!in.hasPlatformOp() || done[0]) return out;
            done[0] = true;
            return out.toBuilder().addSent(Envelope.newBuilder().setFrom(Roles.XEN).setTo(Roles.PLATFORM).setTag(1L << 40)
                    .setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.FILL).setSpa(spa).setLen(PAGE_SIZE)
                            .setFillTag("xen-frametable+m2p").setInitiatorDomid(DOMID_XEN))).build();
        }));
        caught(r, "report-before-map", r.firstSeq(e -> bus(e) && e.getMemAccess().getSpa() == spa));
    }

    @Test
    void reportBeforeMap_aGuestAccessLandsInADimmNobodyReported() {
        Scenario s = twoHotDimms();
        long spa = secondHotSpa(s);
        Runs.Run r = run(s, brokenOut(Roles.XEN, (in, out) -> !in.hasGuestMemAccess() || !vnvdimmGpa(in.getGuestMemAccess().getGpa()) ? out
                : mapSent(out, e -> e.hasMemAccess() ? e.toBuilder().setMemAccess(e.getMemAccess().toBuilder().setSpa(spa)).build() : e)));
        caught(r, "report-before-map", r.firstSeq(e -> bus(e) && e.getMemAccess().getSpa() == spa && e.getMemAccess().getInitiatorDomid() != DOMID_XEN));
    }

    // ------------------------------------------------------------------ and the unbroken control

    @Test
    void theSameHarnessWithNothingBrokenPasses() {
        Runs.Run r = run(boot(), broken(role -> true, UnaryOperator.identity(), (in, out) -> out));
        assertTrue(r.result().passed(), r.result().summary().getOutcome());
        assertEquals(List.of(), new ArrayList<>(r.result().verdicts()));
    }
}
