package org.vnvdimm.xen;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;

/**
 * The hypervisor actor: the state every hypercall family shares (domains with their p2m, iomem_caps
 * and E820, the heap of host RAM, the pmem registry), the dispatch to one handler class per hypercall
 * family as Xen's tree splits them, and boot (the E820, the NFIT, building the PV Dom0).
 *
 * <ul>
 *   <li>{@link DomctlHypercall}: common/domctl.c</li>
 *   <li>{@link SysctlHypercall}: common/sysctl.c with rfc-v3/v4's XEN_SYSCTL_nvdimm_op</li>
 *   <li>{@link PlatformHypercall}: arch/x86/platform_hypercall.c with rfc-v1's XENPF_pmem_add</li>
 *   <li>{@link PmemSetup}: common/pmem.c (management and data areas, shared by the two above)</li>
 *   <li>{@link MemoryHypercall}: common/memory.c and arch/x86/mm.c's memory_op</li>
 *   <li>{@link DmOpHypercall}: arch/x86/hvm/dm.c</li>
 *   <li>{@link PvMmu}: a PV Dom0's accesses to machine memory (arch/x86/mm.c get_page_from_l1e)</li>
 *   <li>{@link VcpuAccess}: HVM vCPU loads, stores and port I/O (the EPT walk, ioreqs) and privcmd
 *       foreign-memory access</li>
 * </ul>
 */
public final class Xen extends ComponentBehavior {

    /**
     * Which design runs (DESIGN.md section 4). rfcV4: the profile `rfc-v4` (Xen parses the boot NFIT,
     * hides it from Dom0 as TFIN, denies Dom0 the regions, has XEN_SYSCTL_nvdimm_op and no
     * XENPF_pmem_add); otherwise `seeds` (rfc-v1: Xen knows pmem only from Dom0's XENPF_pmem_add).
     */
    public record Config(boolean mappingCheck, boolean iommuSharesHap, boolean frametableBootClaim, long dom0MemBytes,
                         boolean rfcV4, boolean iommu, boolean dmaLease) {
        public static Config of(Design d) {
            return new Config(!"off".equals(d.getMappingCheck()), "shared-ept".equals(d.getIommu()), "boot-claim".equals(d.getFrametable()),
                    512L << 20, "rfc-v4".equals(d.getProfile()), !d.getIommu().isEmpty() && !"none".equals(d.getIommu()),
                    "lease".equals(d.getDma()));
        }
    }

    /**
     * Pages XENMEM_populate_pmem_map handles before hypercall_preempt_check() finds work pending and
     * the call continues with -ERESTART [inferred: when real Xen preempts depends on the load; the
     * simulation preempts at this fixed count so the continuation shows].
     */
    static final int PMEM_POPULATE_PREEMPT_PAGES = 4096;

    /** Xen's own memory (image, heap metadata, frame table for RAM): never given to a domain. */
    static final long XEN_RESERVED_BYTES = 64L << 20;
    static final int MAX_DOMAINS = 4096;
    static final long LAPIC_MFN = 0xfee00;
    static final long IOAPIC_MFN = 0xfec00;

    // ---- state shared by the handler classes
    final Config cfg;
    final HostMemory heap = new HostMemory();
    final PmemRegistry pmem = new PmemRegistry();
    final TreeMap<Integer, Domain> domains = new TreeMap<>();
    /** Looked up by domid only. */
    final Map<Integer, Envelope> pendingPortIo = new HashMap<>();
    /** A vCPU's load or store waiting for its device model (IOREQ_TYPE_COPY); looked up by domid only. */
    final Map<Integer, Envelope> pendingMmio = new HashMap<>();
    final List<E820Entry> hostE820 = new ArrayList<>();
    List<AcpiTableBlob> firmwareTables = List.of();
    int paddrBits = 46;
    private boolean booted;

    private final DomctlHypercall domctl = new DomctlHypercall(this);
    final PmemSetup pmemSetup = new PmemSetup(this);
    private final SysctlHypercall sysctl = new SysctlHypercall(this);
    private final PlatformHypercall platformOp = new PlatformHypercall(this);
    private final MemoryHypercall memoryOp = new MemoryHypercall(this);
    private final DmOpHypercall dmOp = new DmOpHypercall(this);
    private final PvMmu pvMmu = new PvMmu(this);
    private final VcpuAccess vcpu = new VcpuAccess(this);
    final PassthroughDma dma = new PassthroughDma(this);

    public static Behavior<Envelope> create(ActorRef<StepResult> wire, Config cfg) {
        return Behaviors.setup(ctx -> new Xen(ctx, wire, cfg));
    }

    private Xen(ActorContext<Envelope> ctx, ActorRef<StepResult> wire, Config cfg) {
        super(ctx, Roles.XEN, wire);
        this.cfg = cfg;
    }

    @Override
    protected void handle(Envelope e) {
        switch (e.getPayloadCase()) {
            case FIRMWARE_HANDOFF -> boot(e);
            case DOMCTL -> domctl.handle(e);
            case SYSCTL -> sysctl.handle(e);
            case PLATFORM_OP -> platformOp.handle(e);
            case MEMORY_OP -> memoryOp.handle(e);
            case DM_OP -> dmOp.handle(e);
            case MEM_ACCESS -> pvMmu.access(e);
            case MMU_UPDATE -> pvMmu.mmuUpdate(e);
            case FOREIGN_MEM_ACCESS -> vcpu.foreignMem(e);
            case GUEST_MEM_ACCESS -> vcpu.mem(e);
            case GUEST_IO -> vcpu.io(e);
            case IOREQ_DONE -> vcpu.ioreqDone(e);
            default -> throw new ProtocolError("xen has no handler for " + e.getPayloadCase());
        }
    }

    // ------------------------------------------------------------------ state dump

    /**
     * `vnvdimm show`: what `xl debug-keys q` (domains), the p2m audit and the pmem registry would
     * show, as ranges: each domain's p2m runs with their types, iomem_caps, pmem pages, ioreq
     * servers; the heap; pmem ranges noted at boot and reported by Dom0, management and data areas,
     * the frames in use and their owners.
     */
    @Override
    protected StateDump.Builder dumpState() {
        StateDump.Builder d = StateDump.newBuilder();
        d.addSections(org.vnvdimm.contract.Dumps.ranges(org.vnvdimm.contract.Dumps.section("host RAM")
                .addFacts("free_pages=" + heap.freePages()), "mfn", heap.ram(), "RAM"));
        for (Domain dom : domains.values()) {
            String n = "d" + dom.domid;
            d.addSections(org.vnvdimm.contract.Dumps.section(n).addAllFacts(org.vnvdimm.contract.Dumps.facts(
                    "type", dom.hvm ? "hvm" : "pv", "max_pages", dom.maxPages == Long.MAX_VALUE ? "unlimited" : dom.maxPages,
                    "tot_pages", dom.totPages, "max_vcpus", dom.maxVcpus, "paused", dom.paused, "started", dom.started, "dying", dom.dying)));
            DumpSection.Builder p2m = org.vnvdimm.contract.Dumps.section(n + " p2m").addFacts("runs=" + dom.p2m.runCount());
            for (org.vnvdimm.ranges.ExtentMap.Extent<P2m.Run> x : dom.p2m.all()) {
                p2m.addRanges(org.vnvdimm.contract.Dumps.range("gfn", x.start(), x.length(), "mfn", x.value().mfn(), p2mTypeName(x.value().type())));
            }
            d.addSections(p2m);
            d.addSections(org.vnvdimm.contract.Dumps.ranges(org.vnvdimm.contract.Dumps.section(n + " iomem_caps"), "mfn", dom.iomemCaps, "allowed"));
            if (!dom.pvMapped.isEmpty()) d.addSections(org.vnvdimm.contract.Dumps.ranges(org.vnvdimm.contract.Dumps.section(n + " pv mapped"), "mfn", dom.pvMapped, "mmu_update PTE"));
            if (!dom.pmemPages.isEmpty()) d.addSections(org.vnvdimm.contract.Dumps.ranges(org.vnvdimm.contract.Dumps.section(n + " pmem_page_list"), "mfn", dom.pmemPages, "pmem"));
            for (Domain.IoreqServer s : dom.ioreqServers) {
                DumpSection.Builder io = org.vnvdimm.contract.Dumps.section(n + " ioreq server " + s.id)
                        .addAllFacts(org.vnvdimm.contract.Dumps.facts("dm", s.dmRole, "enabled", s.enabled));
                org.vnvdimm.contract.Dumps.ranges(io, "port", s.ports, "pio");
                d.addSections(org.vnvdimm.contract.Dumps.ranges(io, "gpa", s.mmio, "mmio"));
            }
        }
        DumpSection.Builder pm = org.vnvdimm.contract.Dumps.section("pmem regions");
        for (PmemRegistry.Raw r : pmem.notedRegions()) pm.addRanges(org.vnvdimm.contract.Dumps.range("mfn", r.smfn(), r.emfn() - r.smfn(), "noted at boot pxm " + r.pxm()));
        for (PmemRegistry.Raw r : pmem.rawRegions()) pm.addRanges(org.vnvdimm.contract.Dumps.range("mfn", r.smfn(), r.emfn() - r.smfn(), "reported by dom0 pxm " + r.pxm()));
        d.addSections(pm);
        DumpSection.Builder mg = org.vnvdimm.contract.Dumps.section("pmem management areas");
        for (PmemRegistry.Mgmt m : pmem.mgmtRegions()) mg.addRanges(org.vnvdimm.contract.Dumps.range("mfn", m.smfn, m.emfn - m.smfn, "used " + m.usedMfns + " frames (frame table + M2P)"));
        d.addSections(mg);
        DumpSection.Builder da = org.vnvdimm.contract.Dumps.section("pmem data areas");
        for (PmemRegistry.Data x : pmem.dataRegions()) {
            da.addRanges(org.vnvdimm.contract.Dumps.range("mfn", x.smfn(), x.emfn() - x.smfn(), "managed by mfn 0x" + Long.toHexString(x.mgmtSmfn())
                    + "-0x" + Long.toHexString(x.mgmtEmfn() - 1)));
        }
        d.addSections(da);
        if (!pmem.inuse().isEmpty()) d.addSections(org.vnvdimm.contract.Dumps.ranges(org.vnvdimm.contract.Dumps.section("pmem in use"), "mfn", pmem.inuse(), "PGC_state_inuse"));
        DumpSection.Builder ow = org.vnvdimm.contract.Dumps.section("pmem owners");
        for (org.vnvdimm.ranges.ExtentMap.Extent<PmemRegistry.Owner> x : pmem.owners().extents()) {
            ow.addRanges(org.vnvdimm.contract.Dumps.range("mfn", x.start(), x.length(), "gfn", x.value().gfn(),
                    "owner d" + x.value().domid() + (x.value().broken() ? " broken" : "")));
        }
        d.addSections(ow);
        return d;
    }

    // ------------------------------------------------------------------ boot

    private void boot(Envelope e) {
        if (!e.getFrom().equals(Roles.PLATFORM)) throw new ProtocolError("firmware hand-off from " + e.getFrom());
        if (booted) throw new ProtocolError("second firmware hand-off");
        booted = true;
        FirmwareHandoff f = e.getFirmwareHandoff();
        if (f.getPaddrBits() >= 32 && f.getPaddrBits() <= 52) paddrBits = f.getPaddrBits();
        log("(XEN) Xen-e820 RAM map:");
        List<long[]> e820Pmem = new ArrayList<>();
        for (E820Entry x : f.getE820List()) {
            hostE820.add(x);
            log("(XEN)  %016x - %016x %s", x.getAddr(), x.getAddr() + x.getSize(), e820TypeName(x.getType()));
            long s = (x.getAddr() + PAGE_SIZE - 1) >>> PAGE_SHIFT;
            long t = (x.getAddr() + x.getSize()) >>> PAGE_SHIFT;
            if (s >= t) continue;
            if (x.getType() == E820_RAM) heap.addRam(s, t);
            if (x.getType() == E820_PMEM) e820Pmem.add(new long[] {s, t});
        }
        hostE820.sort(java.util.Comparator.comparingLong(E820Entry::getAddr));
        heap.reserve(0, XEN_RESERVED_BYTES >>> PAGE_SHIFT);
        firmwareTables = List.copyOf(f.getAcpiTablesList());
        // rfc-v4 __start_xen: acpi_nfit_boot_init() finds the NFIT and zaps it to TFIN before
        // init_frametable(); acpi_nfit_init() then registers its PMEM ranges. rfc-v1 Xen has no NFIT
        // code: it learns pmem only from Dom0's XENPF_pmem_add.
        if (cfg.rfcV4()) {
            for (AcpiTableBlob t : firmwareTables) {
                if (t.getSignature().equals("NFIT")) nfitBootInit(t.getData().toByteArray());
            }
        }
        // The NFIT says which proximity domain a range is on; E820 says only that it is pmem, so a
        // range only E820 lists is noted without one (PXM 0 in the registry) [inferred].
        for (long[] r : e820Pmem) notePmem(r[0], r[1], -1, "E820 type 7");
        if (cfg.frametableBootClaim()) {
            // The rejected alternative (seed 001's worry): Xen lays its frame table over pmem it has
            // only just found, before anyone looked at what the media holds.
            for (PmemRegistry.Raw r : pmem.notedRegions()) {
                long need = mgmtPagesFor(r.emfn() - r.smfn());
                send(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.FILL)
                        .setSpa(pfnToAddr(r.smfn())).setLen(pfnToAddr(need)).setFillTag("xen-frametable+m2p").setInitiatorDomid(DOMID_XEN)));
                log("(XEN) pmem: frame table and M2P for MFNs %#x - %#x placed at %#x at boot", r.smfn(), r.emfn(), r.smfn());
            }
        }
        buildDom0();
    }

    /** pxm -1: the source does not say (E820). */
    private void notePmem(long smfn, long emfn, int pxm, String source) {
        if (pmem.notedSet.intersects(smfn, emfn) || pmem.reported().intersects(smfn, emfn)) return;
        pmem.note(new PmemRegistry.Raw(smfn, emfn, Math.max(pxm, 0)));
        observe(pmemArea(PmemArea.Kind.RAW, smfn, emfn, Math.max(pxm, 0)));
        if (pxm < 0) log("(XEN) %s: PMEM MFNs %#x - %#x noted", source, smfn, emfn);
        else log("(XEN) %s: PMEM MFNs %#x - %#x on PXM %d noted", source, smfn, emfn, pxm);
    }

    /** rfc-v4 acpi_nfit_init(): each healthy PMEM SPA range is registered (pmem_register) as RAW. */
    private void nfitBootInit(byte[] nfit) {
        List<NfitPmem.Range> ranges;
        try {
            ranges = NfitPmem.pmemRanges(nfit);
        } catch (IllegalArgumentException ex) {
            log("(XEN) ACPI: NFIT: %s; ignoring the table", ex.getMessage());
            return;
        }
        for (NfitPmem.Range r : ranges) {
            if (r.failed()) {
                log("(XEN) NFIT: detected failures on PMEM MFNs %#x - %#x, skipped", r.smfn(), r.emfn());
                continue;
            }
            if (pmem.reported().intersects(r.smfn(), r.emfn())) continue;
            pmem.report(new PmemRegistry.Raw(r.smfn(), r.emfn(), r.pxm()));
            observe(pmemArea(PmemArea.Kind.RAW, r.smfn(), r.emfn(), r.pxm()));
            log("(XEN) NFIT: PMEM MFNs %#x - %#x on PXM %d registered", r.smfn(), r.emfn(), r.pxm());
        }
    }

    /**
     * acpi_nfit_zap(): the table's signature becomes "TFIN" (checksum kept valid, as the DMAR zap
     * does), so Dom0's ACPI never matches an NFIT and its NFIT driver finds no NFIT at boot.
     */
    static AcpiTableBlob zapNfit(AcpiTableBlob t) {
        byte[] b = t.getData().toByteArray();
        if (b.length >= 10) {
            byte[] from = "NFIT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] to = "TFIN".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int delta = 0;
            for (int i = 0; i < 4; i++) {
                delta += (to[i] & 0xff) - (b[i] & 0xff);
                b[i] = to[i];
            }
            b[9] = (byte) (b[9] - delta);
        }
        return t.toBuilder().setSignature("TFIN").setData(com.google.protobuf.ByteString.copyFrom(b)).build();
    }

    /**
     * dom0_build.c for a PV Dom0: its RAM is pseudo-physical, backed by a list of machine frames
     * (the P2M lives in Dom0; Xen keeps only the M2P), so Xen records the frames Dom0 owns and no
     * p2m. Dom0 learns the host map itself with XENMEM_machine_memory_map.
     */
    private void buildDom0() {
        Domain d0 = new Domain(0, false);
        domains.put(0, d0);
        long want = Math.min(cfg.dom0MemBytes() >>> PAGE_SHIFT, heap.freePages() / 2) & ~511L;
        List<long[]> runs = heap.allocate(want, 9);
        if (runs == null) throw new IllegalStateException("cannot allocate dom0 memory");
        for (long[] r : runs) {
            d0.ramRuns.add(r);
            d0.totPages += r[1];
        }
        // dom0_setup_permissions(): all I/O memory, minus the interrupt controllers. Upstream (and
        // rfc-v1) keep E820 type-7 and NFIT pmem in Dom0's iomem_caps (seed 001: Xen is not to
        // withhold it); Dom0 loses only what is handed to Xen later (pmem_add's reserved area).
        d0.iomemCaps.add(0, 1L << (paddrBits - PAGE_SHIFT));
        d0.iomemCaps.remove(LAPIC_MFN, LAPIC_MFN + 1);
        d0.iomemCaps.remove(IOAPIC_MFN, IOAPIC_MFN + 1);
        if (cfg.rfcV4()) {
            // rfc-v4 pmem_dom0_setup_permission(): iomem_deny_access() for every registered region
            for (PmemRegistry.Raw r : pmem.rawRegions()) {
                d0.iomemCaps.remove(r.smfn(), r.emfn());
                log("(XEN) PMEM: MFNs %#x - %#x denied to Dom0", r.smfn(), r.emfn());
            }
        }
        d0.paused = false;
        d0.started = true;
        observe(domainState(0, "running"));
        log("(XEN) *** LOADING DOMAIN 0 *** (%d MiB)", (d0.totPages << PAGE_SHIFT) >> 20);
        DomainStart.Builder start = DomainStart.newBuilder().setDomid(0).setHvm(false).setNrPages(d0.totPages);
        for (AcpiTableBlob t : firmwareTables) {
            // rfc-v3/v4 hide the NFIT from Dom0 by renaming it TFIN (acpi_nfit_zap)
            if (cfg.rfcV4() && t.getSignature().equals("NFIT")) {
                log("(XEN) ACPI: NFIT zapped to TFIN: hidden from Dom0");
                start.addAcpiTables(zapNfit(t));
                continue;
            }
            start.addAcpiTables(t);
        }
        send(Roles.DOM0, Envelope.newBuilder().setDomainStart(start));
    }

    // ------------------------------------------------------------------ for the handler classes
    // ComponentBehavior's protected methods are reachable only from this subclass; the handlers,
    // which share this actor's state and step, go through these.

    int callerDomid(Envelope e) { return Roles.domainOf(e.getFrom()); }

    boolean privileged(Envelope e) { return callerDomid(e) == 0; }

    Envelope delivery() { return current(); }

    void ret(Envelope req, long rc) { answer(req, HypercallRet.newBuilder().setRc(rc)); }

    void answer(Envelope req, HypercallRet.Builder r) { replyTo(req, Envelope.newBuilder().setHypercallRet(r)); }

    /** Fail a hypercall; why (when not null) goes to the console as Xen's gdprintk-style note. */
    void retErr(Envelope req, Errno err, String why) {
        if (why != null) log("(XEN) %s: %s -> -%s", req.getPayloadCase().name().toLowerCase(Locale.ROOT), why, err.name());
        ret(req, err.neg());
    }

    void xlog(String fmt, Object... args) { log(fmt, args); }

    void xobserve(Observation o) { observe(o); }

    void xsend(String to, Envelope.Builder msg) { send(to, msg); }

    void xreplyTo(Envelope req, Envelope.Builder msg) { replyTo(req, msg); }

    long xsetTimer(long delayNs, String what, Runnable onFire) { return setTimer(delayNs, what, onFire); }

    void xcancelTimer(long id) { cancelTimer(id); }

    void xcall(String to, java.util.function.LongFunction<Envelope.Builder> build, Consumer<Envelope> onReply) { call(to, build, onReply); }

    void xreplyOnBehalf(String requester, long tag, Envelope.Builder msg) { replyOnBehalf(requester, tag, msg); }

    /**
     * Xen writes its own data (frame table and M2P named by tag, or zeros for an empty tag) and
     * continues when the bus has taken the write, so the hypercall's answer follows its side effect.
     */
    void xenWrite(long smfn, long nrPages, String tag, Consumer<MemAccessDone> then) {
        call(Roles.PLATFORM, t -> Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.FILL)
                .setSpa(pfnToAddr(smfn)).setLen(pfnToAddr(nrPages)).setFillTag(tag).setInitiatorDomid(DOMID_XEN)
                .setReplyTo(role).setReplyTag(t)), r -> then.accept(r.getMemAccessDone()));
    }

    static Observation p2m(int domid, long gfn, long nr, long mfn, int type, boolean remove) {
        return Observation.newBuilder().setP2M(P2mChange.newBuilder().setDomid(domid).setGfn(gfn).setNr(nr).setMfn(mfn)
                .setP2MType(type).setRemove(remove)).build();
    }

    static Observation pmemArea(PmemArea.Kind k, long s, long e, int pxm) {
        return Observation.newBuilder().setPmemArea(PmemArea.newBuilder().setKind(k).setSmfn(s).setEmfn(e).setPxm(pxm)).build();
    }

    static Observation domainState(int domid, String state) {
        return Observation.newBuilder().setDomainState(DomainState.newBuilder().setDomid(domid).setState(state)).build();
    }

    /** [first, first+nr) as an inclusive end, or -1 if it wraps or is empty (Xen's "end < start"). */
    static long inclusiveEnd(long first, long nr) {
        long end = first + nr - 1;
        return Long.compareUnsigned(end, first) < 0 || first < 0 ? -1 : end;
    }

    boolean beyondPaddr(long mfnEnd) { return (mfnEnd >>> (paddrBits - PAGE_SHIFT)) != 0; }

    /** Whether Dom0 owns every frame of [s, t) as RAM. */
    boolean dom0OwnsRam(long s, long t) {
        long need = t - s;
        for (long[] r : domains.get(0).ramRuns) {
            long a = Math.max(s, r[0]), b = Math.min(t, r[0] + r[1]);
            if (a < b) need -= b - a;
        }
        return need == 0;
    }
}
