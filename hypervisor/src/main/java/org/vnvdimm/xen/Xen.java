package org.vnvdimm.xen;

import java.util.Locale;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.ranges.ExtentMap;
import org.vnvdimm.ranges.RangeSet;

/**
 * The hypervisor. Owns the domains (p2m, iomem_caps, E820), the heap of host RAM, and the pmem
 * registry (ranges noted at boot, reported by Dom0, management and data areas, owners of mapped
 * frames). Every hypercall validates all of its arguments, then the caller's rights, and only then
 * touches state, in the order Xen 4.10's handlers do.
 */
public final class Xen extends ComponentBehavior {

    /** Which design runs (DESIGN.md section 4). */
    public record Config(boolean mappingCheck, boolean iommuSharesHap, boolean frametableBootClaim, long dom0MemBytes,
                         boolean hideNfit) {
        public static Config of(Design d) {
            return new Config(!"off".equals(d.getMappingCheck()), "shared-ept".equals(d.getIommu()), "boot-claim".equals(d.getFrametable()),
                    512L << 20, false);
        }
    }

    /** Xen's own memory (image, heap metadata, frame table for RAM): never given to a domain. */
    static final long XEN_RESERVED_BYTES = 64L << 20;
    static final int MAX_DOMAINS = 4096;
    static final long LAPIC_MFN = 0xfee00;
    static final long IOAPIC_MFN = 0xfec00;

    private final Config cfg;
    private final HostMemory heap = new HostMemory();
    private final PmemRegistry pmem = new PmemRegistry();
    private final TreeMap<Integer, Domain> domains = new TreeMap<>();
    // Looked up by domid only.
    private final Map<Integer, Envelope> pendingPortIo = new HashMap<>();
    private final List<E820Entry> hostE820 = new ArrayList<>();
    private List<AcpiTableBlob> firmwareTables = List.of();
    private int paddrBits = 46;
    private int nextDomid = 1;
    private int nextIoreqServerId = 1;
    private boolean booted;

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
            case DOMCTL -> domctl(e);
            case SYSCTL -> sysctl(e);
            case PLATFORM_OP -> platformOp(e);
            case MEMORY_OP -> memoryOp(e);
            case DM_OP -> dmOp(e);
            case FOREIGN_MEM_ACCESS -> foreignMem(e);
            case GUEST_MEM_ACCESS -> vcpuMem(e);
            case GUEST_IO -> vcpuIo(e);
            case IOREQ_DONE -> ioreqDone(e);
            default -> throw new ProtocolError("xen has no handler for " + e.getPayloadCase());
        }
    }

    // ------------------------------------------------------------------ boot

    private void boot(Envelope e) {
        if (!e.getFrom().equals(Roles.PLATFORM)) throw new ProtocolError("firmware hand-off from " + e.getFrom());
        if (booted) throw new ProtocolError("second firmware hand-off");
        booted = true;
        FirmwareHandoff f = e.getFirmwareHandoff();
        if (f.getPaddrBits() >= 32 && f.getPaddrBits() <= 52) paddrBits = f.getPaddrBits();
        log("(XEN) Xen-e820 RAM map:");
        for (E820Entry x : f.getE820List()) {
            hostE820.add(x);
            log("(XEN)  %016x - %016x %s", x.getAddr(), x.getAddr() + x.getSize(), e820TypeName(x.getType()));
            long s = (x.getAddr() + PAGE_SIZE - 1) >>> PAGE_SHIFT;
            long t = (x.getAddr() + x.getSize()) >>> PAGE_SHIFT;
            if (s >= t) continue;
            if (x.getType() == E820_RAM) heap.addRam(s, t);
            if (x.getType() == E820_PMEM) notePmem(s, t, 0, "E820 type 7");
        }
        heap.reserve(0, XEN_RESERVED_BYTES >>> PAGE_SHIFT);
        firmwareTables = List.copyOf(f.getAcpiTablesList());
        for (AcpiTableBlob t : firmwareTables) {
            if (t.getSignature().equals("NFIT")) nfitBootInit(t.getData().toByteArray());
        }
        if (cfg.frametableBootClaim()) {
            // The rejected alternative (seed 001's worry): Xen lays its frame table over pmem it has
            // only just found, before anyone looked at what the media holds.
            for (PmemRegistry.Raw r : pmem.notedRegions()) {
                long need = mgmtPagesFor(r.emfn() - r.smfn());
                xenWrite(r.smfn(), need, "xen-frametable+m2p");
                log("(XEN) pmem: frame table and M2P for MFNs %#x - %#x placed at %#x at boot", r.smfn(), r.emfn(), r.smfn());
            }
        }
        buildDom0();
    }

    private void notePmem(long smfn, long emfn, int pxm, String source) {
        if (pmem.notedSet.intersects(smfn, emfn)) return;
        pmem.note(new PmemRegistry.Raw(smfn, emfn, pxm));
        observe(pmemArea(PmemArea.Kind.RAW, smfn, emfn, pxm));
        log("(XEN) %s: PMEM MFNs %#x - %#x on PXM %d noted", source, smfn, emfn, pxm);
    }

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
            notePmem(r.smfn(), r.emfn(), r.pxm(), "NFIT");
        }
    }

    private void buildDom0() {
        Domain d0 = new Domain(0, true);
        domains.put(0, d0);
        long want = Math.min(cfg.dom0MemBytes() >>> PAGE_SHIFT, heap.freePages() / 2) & ~511L;
        List<long[]> runs = heap.allocate(want, 9);
        if (runs == null) throw new IllegalStateException("cannot allocate dom0 memory");
        List<E820Entry> map = new ArrayList<>();
        for (E820Entry x : hostE820) if (x.getType() != E820_RAM) map.add(x);
        for (long[] r : runs) {
            // PVH Dom0: RAM at the same frame numbers as the machine's (identity), as Xen lays it out.
            d0.p2m.set(r[0], r[1], r[0], p2m_ram_rw);
            d0.ramRuns.add(r);
            d0.totPages += r[1];
            map.add(E820Entry.newBuilder().setAddr(pfnToAddr(r[0])).setSize(pfnToAddr(r[1])).setType(E820_RAM).build());
            observe(p2m(0, r[0], r[1], r[0], p2m_ram_rw, false));
        }
        map.sort(Comparator.comparingLong(E820Entry::getAddr));
        d0.e820 = map;
        d0.e820Set = true;
        // dom0_setup_permissions(): everything, minus the interrupt controllers, minus pmem until
        // Dom0 has reported it (seeds: nothing maps pmem before its range is reported).
        d0.iomemCaps.add(0, 1L << (paddrBits - PAGE_SHIFT));
        d0.iomemCaps.remove(LAPIC_MFN, LAPIC_MFN + 1);
        d0.iomemCaps.remove(IOAPIC_MFN, IOAPIC_MFN + 1);
        for (PmemRegistry.Raw r : pmem.notedRegions()) {
            d0.iomemCaps.remove(r.smfn(), r.emfn());
            log("(XEN) pmem: Dom0 access to MFNs %#x - %#x withheld until Dom0 reports them", r.smfn(), r.emfn());
        }
        d0.paused = false;
        d0.started = true;
        observe(domainState(0, "running"));
        log("(XEN) *** LOADING DOMAIN 0 *** (%d MiB)", (d0.totPages << PAGE_SHIFT) >> 20);
        DomainStart.Builder start = DomainStart.newBuilder().setDomid(0).setHvm(true).setNrPages(d0.totPages);
        for (AcpiTableBlob t : firmwareTables) {
            // rfc-v3/v4 hide the NFIT from Dom0 by renaming it TFIN (acpi_nfit_zap)
            if (cfg.hideNfit() && t.getSignature().equals("NFIT")) continue;
            start.addAcpiTables(t);
        }
        send(Roles.DOM0, Envelope.newBuilder().setDomainStart(start));
    }

    // ------------------------------------------------------------------ helpers

    private int callerDomid(Envelope e) { return Roles.domainOf(e.getFrom()); }

    private boolean privileged(Envelope e) { return callerDomid(e) == 0; }

    private void ret(long rc) { reply(Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(rc))); }

    private void retErr(Errno err, String why) {
        if (why != null) log("(XEN) %s: %s -> -%s", current().getPayloadCase().name().toLowerCase(Locale.ROOT), why, err.name());
        ret(err.neg());
    }

    /** Xen writes its own data (frame table, M2P) to memory. Fire and forget: CPU stores. */
    private void xenWrite(long smfn, long nrPages, String tag) {
        send(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.FILL)
                .setSpa(pfnToAddr(smfn)).setLen(pfnToAddr(nrPages)).setFillTag(tag).setInitiatorDomid(DOMID_XEN)));
    }

    /** Scrub frames before a domain gets them. */
    private void scrub(long mfn, long nr) {
        send(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.FILL)
                .setSpa(pfnToAddr(mfn)).setLen(pfnToAddr(nr)).setInitiatorDomid(DOMID_XEN)));
    }

    private static Observation p2m(int domid, long gfn, long nr, long mfn, int type, boolean remove) {
        return Observation.newBuilder().setP2M(P2mChange.newBuilder().setDomid(domid).setGfn(gfn).setNr(nr).setMfn(mfn)
                .setP2MType(type).setRemove(remove)).build();
    }

    private static Observation pmemArea(PmemArea.Kind k, long s, long e, int pxm) {
        return Observation.newBuilder().setPmemArea(PmemArea.newBuilder().setKind(k).setSmfn(s).setEmfn(e).setPxm(pxm)).build();
    }

    private static Observation domainState(int domid, String state) {
        return Observation.newBuilder().setDomainState(DomainState.newBuilder().setDomid(domid).setState(state)).build();
    }

    /** [first, first+nr) as an inclusive end, or -1 if it wraps or is empty (Xen's "end < start"). */
    private static long inclusiveEnd(long first, long nr) {
        long end = first + nr - 1;
        return Long.compareUnsigned(end, first) < 0 || first < 0 ? -1 : end;
    }

    private boolean beyondPaddr(long mfnEnd) { return (mfnEnd >>> (paddrBits - PAGE_SHIFT)) != 0; }

    // ------------------------------------------------------------------ platform_op

    private void platformOp(Envelope e) {
        PlatformOp op = e.getPlatformOp();
        if (op.getInterfaceVersion() != XENPF_INTERFACE_VERSION) { retErr(Errno.EACCES, "interface version"); return; }
        if (!privileged(e)) { retErr(Errno.EPERM, e.getFrom() + " is not the hardware domain"); return; }
        if (op.getCmd() != XENPF_pmem_add || op.getUCase() != PlatformOp.UCase.PMEM_ADD) { ret(Errno.ENOSYS.neg()); return; }
        XenpfPmemAdd a = op.getPmemAdd();
        long s = a.getSpfn(), t = a.getEpfn();
        if (s < 0 || t <= s || beyondPaddr(t - 1)) { retErr(Errno.EINVAL, "pmem_add: bad range"); return; }
        boolean rsv = a.getRsvEpfn() > a.getRsvSpfn();
        boolean data = a.getDataEpfn() > a.getDataSpfn();
        if (rsv != data) { retErr(Errno.EINVAL, "pmem_add: reserved and data areas go together"); return; }
        if (rsv && (a.getRsvSpfn() < s || a.getRsvEpfn() > t || a.getDataSpfn() < s || a.getDataEpfn() > t
                || (a.getRsvSpfn() < a.getDataEpfn() && a.getDataSpfn() < a.getRsvEpfn()))) {
            retErr(Errno.EINVAL, "pmem_add: areas outside the region or overlapping");
            return;
        }
        if (heap.ram().intersects(s, t)) { retErr(Errno.EINVAL, String.format(Locale.ROOT, "pmem_add: pfns %#x-%#x overlap RAM", s, t)); return; }
        if (pmem.reported().intersects(s, t)) { retErr(Errno.EEXIST, null); return; }
        if (rsv && mgmtPagesFor(a.getRsvEpfn() - a.getRsvSpfn()) + mgmtPagesFor(a.getDataEpfn() - a.getDataSpfn())
                > a.getRsvEpfn() - a.getRsvSpfn()) {
            retErr(Errno.ENOSPC, "pmem_add: reserved area too small for frame table and M2P");
            return;
        }
        pmem.report(new PmemRegistry.Raw(s, t, a.getPxm()));
        domains.get(0).iomemCaps.add(s, t);
        observe(pmemArea(PmemArea.Kind.REPORTED, s, t, a.getPxm()));
        log("(XEN) pmem: pfns %#x - %#x reported by Dom0 (pxm %d)%s", s, t, a.getPxm(),
                rsv ? String.format(Locale.ROOT, ", reserved %#x - %#x, data %#x - %#x", a.getRsvSpfn(), a.getRsvEpfn(), a.getDataSpfn(), a.getDataEpfn()) : "");
        if (rsv) {
            setupMgmt(a.getRsvSpfn(), a.getRsvEpfn());
            setupData(a.getDataSpfn(), a.getDataEpfn(), pmem.mgmtMatching(a.getRsvSpfn(), a.getRsvEpfn()));
        }
        ret(0);
    }

    // ------------------------------------------------------------------ sysctl nvdimm_op

    private void sysctl(Envelope e) {
        Sysctl sc = e.getSysctl();
        if (sc.getInterfaceVersion() != XEN_SYSCTL_INTERFACE_VERSION) { retErr(Errno.EACCES, "interface version"); return; }
        if (!privileged(e)) { retErr(Errno.EPERM, e.getFrom() + " may not use sysctl"); return; }
        if (sc.getCmd() != XEN_SYSCTL_nvdimm_op || sc.getUCase() != Sysctl.UCase.NVDIMM) { ret(Errno.ENOSYS.neg()); return; }
        XenSysctlNvdimmOp op = sc.getNvdimm();
        XenSysctlNvdimmOp.Builder out = op.toBuilder();
        long rc = switch (op.getCmd()) {
            case XEN_SYSCTL_nvdimm_pmem_get_regions_nr -> regionsNr(op, out);
            case XEN_SYSCTL_nvdimm_pmem_get_regions -> regions(op, out);
            case XEN_SYSCTL_nvdimm_pmem_setup -> setup(op);
            default -> Errno.ENOSYS.neg();
        };
        if (rc == Errno.ENOSYS.neg()) { ret(rc); return; }  // unknown sub-op: no copy-back
        out.setErr(rc < 0 ? (int) -rc : 0);
        reply(Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(rc).setNvdimm(out)));
    }

    private long regionsNr(XenSysctlNvdimmOp op, XenSysctlNvdimmOp.Builder out) {
        if (!op.hasPmemRegionsNr()) return Errno.EINVAL.neg();
        int type = op.getPmemRegionsNr().getType();
        int n = switch (type) {
            case PMEM_REGION_TYPE_RAW -> rawView().size();
            case PMEM_REGION_TYPE_MGMT -> pmem.mgmtRegions().size();
            case PMEM_REGION_TYPE_DATA -> pmem.dataRegions().size();
            default -> -1;
        };
        if (n < 0) return Errno.EINVAL.neg();
        out.getPmemRegionsNrBuilder().setNumRegions(n);
        return 0;
    }

    /** RAW: what Xen knows is pmem, noted at boot or reported by Dom0 (reported wins). */
    private List<PmemRegistry.Raw> rawView() {
        List<PmemRegistry.Raw> out = new ArrayList<>(pmem.rawRegions());
        for (PmemRegistry.Raw r : pmem.notedRegions()) if (!pmem.reported().intersects(r.smfn(), r.emfn())) out.add(r);
        out.sort(Comparator.comparingLong(PmemRegistry.Raw::smfn));
        return out;
    }

    private long regions(XenSysctlNvdimmOp op, XenSysctlNvdimmOp.Builder out) {
        if (!op.hasPmemRegions()) return Errno.EINVAL.neg();
        XenSysctlNvdimmPmemRegions in = op.getPmemRegions();
        XenSysctlNvdimmPmemRegions.Builder b = XenSysctlNvdimmPmemRegions.newBuilder().setType(in.getType());
        int cap = in.getNumRegions();
        int n = 0;
        switch (in.getType()) {
            case PMEM_REGION_TYPE_RAW -> {
                for (PmemRegistry.Raw r : rawView()) {
                    if (n == cap) break;
                    b.addRawRegions(XenSysctlNvdimmPmemRawRegion.newBuilder().setSmfn(r.smfn()).setEmfn(r.emfn()).setPxm(r.pxm()));
                    n++;
                }
            }
            case PMEM_REGION_TYPE_MGMT -> {
                for (PmemRegistry.Mgmt m : pmem.mgmtRegions()) {
                    if (n == cap) break;
                    b.addMgmtRegions(XenSysctlNvdimmPmemMgmtRegion.newBuilder().setSmfn(m.smfn).setEmfn(m.emfn).setUsedMfns(m.usedMfns));
                    n++;
                }
            }
            case PMEM_REGION_TYPE_DATA -> {
                for (PmemRegistry.Data d : pmem.dataRegions()) {
                    if (n == cap) break;
                    b.addDataRegions(XenSysctlNvdimmPmemDataRegion.newBuilder().setSmfn(d.smfn()).setEmfn(d.emfn())
                            .setMgmtSmfn(d.mgmtSmfn()).setMgmtEmfn(d.mgmtEmfn()));
                    n++;
                }
            }
            default -> { return Errno.EINVAL.neg(); }
        }
        out.setPmemRegions(b.setNumRegions(n));
        return 0;
    }

    private long setup(XenSysctlNvdimmOp op) {
        if (!op.hasPmemSetup()) return Errno.EINVAL.neg();
        XenSysctlNvdimmPmemSetup p = op.getPmemSetup();
        long s = p.getSmfn(), t = p.getEmfn();
        if (s < 0 || t <= s || beyondPaddr(t - 1)) return Errno.EINVAL.neg();
        if (p.getType() == PMEM_REGION_TYPE_MGMT) {
            if (p.getMgmtSmfn() != s || p.getMgmtEmfn() != t) return Errno.EINVAL.neg();
            if (pmem.rawContaining(s, t) == null) {
                log("(XEN) PMEM: MFNs %#x - %#x not inside one region reported by Dom0", s, t);
                return Errno.EINVAL.neg();
            }
            if (pmem.mgmtAreas().intersects(s, t) || pmem.dataAreas().intersects(s, t)) return Errno.EEXIST.neg();
            long need = mgmtPagesFor(t - s);
            if (need > t - s) {
                log("(XEN) PMEM: insufficient management pages, %#x pages required, %#x pages available", need, t - s);
                return Errno.ENOSPC.neg();
            }
            setupMgmt(s, t);
            return 0;
        }
        if (p.getType() == PMEM_REGION_TYPE_DATA) {
            PmemRegistry.Mgmt m = pmem.mgmtMatching(p.getMgmtSmfn(), p.getMgmtEmfn());
            if (m == null) return Errno.ENXIO.neg();
            if (pmem.rawContaining(s, t) == null) {
                log("(XEN) PMEM: MFNs %#x - %#x not inside one region reported by Dom0", s, t);
                return Errno.EINVAL.neg();
            }
            if (pmem.mgmtAreas().intersects(s, t) || pmem.dataAreas().intersects(s, t)) return Errno.EEXIST.neg();
            long need = mgmtPagesFor(t - s);
            if (m.usedMfns + need > m.emfn - m.smfn) {
                log("(XEN) PMEM: insufficient management pages, %#x pages required, %#x pages available",
                        need, m.emfn - m.smfn - m.usedMfns);
                return Errno.ENOSPC.neg();
            }
            setupData(s, t, m);
            return 0;
        }
        return Errno.EINVAL.neg();
    }

    /** pmem_arch_setup() for a management area: its own frame table and M2P go at its start. */
    private void setupMgmt(long s, long t) {
        long need = mgmtPagesFor(t - s);
        xenWrite(s, need, "xen-frametable+m2p");
        pmem.addMgmt(s, t, need);
        observe(pmemArea(PmemArea.Kind.MGMT, s, t, 0));
        observe(pmemArea(PmemArea.Kind.XEN_USED, s, s + need, 0));
        withdrawFromDom0(s, t);
        log("(XEN) PMEM: management area MFNs %#x - %#x, %#x pages used by Xen", s, t, need);
    }

    private void setupData(long s, long t, PmemRegistry.Mgmt m) {
        long need = mgmtPagesFor(t - s);
        long at = m.smfn + m.usedMfns;
        xenWrite(at, need, "xen-frametable+m2p");
        m.usedMfns += need;
        pmem.addData(new PmemRegistry.Data(s, t, m.smfn, m.emfn));
        observe(pmemArea(PmemArea.Kind.DATA, s, t, 0));
        observe(pmemArea(PmemArea.Kind.XEN_USED, at, at + need, 0));
        log("(XEN) PMEM: data area MFNs %#x - %#x, frame table and M2P at MFNs %#x - %#x", s, t, at, at + need);
    }

    /** The management area is Xen's from now on: Dom0 loses access and any mapping of it. */
    private void withdrawFromDom0(long s, long t) {
        Domain d0 = domains.get(0);
        d0.iomemCaps.remove(s, t);
        for (ExtentMap.Extent<P2m.Run> x : d0.p2m.overlapping(s, t - s)) {
            if (x.value().type() != p2m_mmio_direct) continue;
            d0.p2m.clear(x.start(), x.length());
            observe(p2m(0, x.start(), x.length(), x.value().mfn(), p2m_mmio_direct, true));
        }
        log("(XEN) PMEM: MFNs %#x - %#x withdrawn from Dom0", s, t);
    }

    // ------------------------------------------------------------------ domctl

    private void domctl(Envelope e) {
        Domctl dc = e.getDomctl();
        if (dc.getInterfaceVersion() != XEN_DOMCTL_INTERFACE_VERSION) { retErr(Errno.EACCES, "interface version"); return; }
        if (!privileged(e)) { retErr(Errno.EPERM, e.getFrom() + " is not privileged"); return; }
        switch (dc.getCmd()) {
            case XEN_DOMCTL_createdomain -> createDomain(dc);
            case XEN_DOMCTL_max_mem -> maxMem(dc);
            case XEN_DOMCTL_unpausedomain -> unpause(dc);
            case XEN_DOMCTL_pausedomain -> pause(dc);
            case XEN_DOMCTL_destroydomain -> destroy(dc);
            case XEN_DOMCTL_iomem_permission -> iomemPermission(dc);
            case XEN_DOMCTL_memory_mapping -> memoryMapping(e, dc);
            default -> ret(Errno.ENOSYS.neg());
        }
    }

    private Domain target(Domctl dc) { return domains.get(dc.getDomain()); }

    private void createDomain(Domctl dc) {
        if (!dc.hasCreatedomain()) { retErr(Errno.EINVAL, "no createdomain arguments"); return; }
        DomctlCreateDomain c = dc.getCreatedomain();
        if ((c.getFlags() & XEN_DOMCTL_CDF_hvm_guest) == 0) { retErr(Errno.EINVAL, "only HVM guests are simulated"); return; }
        if (c.getMaxVcpus() > 128) { retErr(Errno.EINVAL, "max_vcpus"); return; }
        int dom = dc.getDomain();
        if (dom > 0 && dom < DOMID_FIRST_RESERVED) {
            if (domains.containsKey(dom)) { retErr(Errno.EINVAL, "domid " + dom + " in use"); return; }
        } else if (dom != 0) {
            retErr(Errno.EINVAL, "domid " + dom + " is reserved");
            return;
        } else {
            dom = allocDomid();
            if (dom < 0) { retErr(Errno.ENOMEM, "no free domid"); return; }
        }
        if (domains.size() >= MAX_DOMAINS) { retErr(Errno.ENOMEM, "domain limit"); return; }
        Domain d = new Domain(dom, true);
        d.maxVcpus = Math.max(1, c.getMaxVcpus());
        domains.put(dom, d);
        observe(domainState(dom, "created"));
        log("(XEN) HVM d%d created (paused)", dom);
        reply(Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0)
                .setDomctl(dc.toBuilder().setDomain(dom))));
    }

    private int allocDomid() {
        for (int i = 0; i < DOMID_FIRST_RESERVED - 1; i++) {
            int dom = nextDomid;
            nextDomid = nextDomid + 1 >= DOMID_FIRST_RESERVED ? 1 : nextDomid + 1;
            if (!domains.containsKey(dom)) return dom;
        }
        return -1;
    }

    private void maxMem(Domctl dc) {
        Domain d = target(dc);
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        if (!dc.hasMaxMem()) { retErr(Errno.EINVAL, "no max_mem arguments"); return; }
        d.maxPages = dc.getMaxMem().getMaxMemkb() >>> (PAGE_SHIFT - 10);
        ret(0);
    }

    private void unpause(Domctl dc) {
        Domain d = target(dc);
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        if (d.domid == 0) { retErr(Errno.EINVAL, "cannot unpause the control domain"); return; }
        d.paused = false;
        if (!d.started) {
            d.started = true;
            observe(domainState(d.domid, "running"));
            send(Roles.guest(d.domid), Envelope.newBuilder().setDomainStart(DomainStart.newBuilder().setDomid(d.domid)
                    .setHvm(true).setNrPages(d.totPages)));
        }
        ret(0);
    }

    private void pause(Domctl dc) {
        Domain d = target(dc);
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        if (d.domid == 0) { retErr(Errno.EINVAL, "cannot pause the control domain"); return; }
        d.paused = true;
        ret(0);
    }

    private void destroy(Domctl dc) {
        Domain d = target(dc);
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        if (d.domid == 0) { retErr(Errno.EINVAL, "cannot destroy the control domain"); return; }
        for (ExtentMap.Extent<P2m.Run> x : d.p2m.all()) {
            observe(p2m(d.domid, x.start(), x.length(), x.value().mfn(), x.value().type(), true));
        }
        for (long[] r : d.ramRuns) heap.release(r[0], r[1]);
        // pmem frames go back to the pool, not to the heap (rfc-v4 RELMEM_pmem)
        for (ExtentMap.Extent<PmemRegistry.Owner> o : pmem.owners().extents()) {
            if (o.value().domid() == d.domid) pmem.owners().remove(o.start(), o.length());
        }
        domains.remove(d.domid);
        pendingPortIo.remove(d.domid);
        observe(domainState(d.domid, "destroyed"));
        log("(XEN) d%d destroyed", d.domid);
        ret(0);
    }

    private void iomemPermission(Domctl dc) {
        if (!dc.hasIomemPermission()) { retErr(Errno.EINVAL, "no iomem_permission arguments"); return; }
        DomctlIomemPermission p = dc.getIomemPermission();
        long mfn = p.getFirstMfn();
        long end = inclusiveEnd(mfn, p.getNrMfns());
        if (end < 0 || p.getNrMfns() == 0) { retErr(Errno.EINVAL, "iomem_permission: range wraps"); return; }
        Domain d = target(dc);
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        Domain caller = domains.get(0);
        if (!caller.iomemCaps.containsAll(mfn, end + 1)) {
            retErr(Errno.EPERM, String.format(Locale.ROOT, "iomem_permission: caller lacks MFNs %#x - %#x", mfn, end));
            return;
        }
        if (p.getAllowAccess() != 0) d.iomemCaps.add(mfn, end + 1); else d.iomemCaps.remove(mfn, end + 1);
        ret(0);
    }

    private void memoryMapping(Envelope e, Domctl dc) {
        if (!dc.hasMemoryMapping()) { retErr(Errno.EINVAL, "no memory_mapping arguments"); return; }
        DomctlMemoryMapping m = dc.getMemoryMapping();
        long gfn = m.getFirstGfn(), mfn = m.getFirstMfn(), nr = m.getNrMfns();
        long mfnEnd = inclusiveEnd(mfn, nr);
        long gfnEnd = inclusiveEnd(gfn, nr);
        if (nr == 0 || mfnEnd < 0 || beyondPaddr(mfnEnd) || gfnEnd < 0 || beyondPaddr(gfnEnd)) {
            retErr(Errno.EINVAL, String.format(Locale.ROOT, "memory_mapping: bad range gfn=%#x mfn=%#x nr=%#x", gfn, mfn, nr));
            return;
        }
        if (m.getAddMapping() != DPCI_ADD_MAPPING && m.getAddMapping() != DPCI_REMOVE_MAPPING) {
            retErr(Errno.EINVAL, "memory_mapping: add_mapping " + m.getAddMapping());
            return;
        }
        Domain d = target(dc);
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        Domain caller = domains.get(callerDomid(e));
        if (!caller.iomemCaps.containsAll(mfn, mfnEnd + 1) || !d.iomemCaps.containsAll(mfn, mfnEnd + 1)) {
            retErr(Errno.EPERM, String.format(Locale.ROOT, "memory_mapping: d%d or caller lacks iomem access to MFNs %#x - %#x", d.domid, mfn, mfnEnd));
            return;
        }
        if (m.getAddMapping() == DPCI_ADD_MAPPING) {
            String refusal = cfg.mappingCheck() ? pmemMappingRefusal(d, mfn, mfnEnd + 1) : null;
            if (refusal != null) { retErr(Errno.EPERM, "memory_mapping: " + refusal); return; }
            P2m.Progress p = d.p2m.mapMmio(gfn, nr, mfn, cfg.iommuSharesHap());
            for (long[] c : p.changed()) {
                observe(p2m(d.domid, c[0], c[1], c[2], p2m_mmio_direct, false));
                if (pmem.isPmem(c[2], c[2] + c[1])) pmem.owners().put(c[2], c[1], new PmemRegistry.Owner(d.domid, c[0], false));
            }
            if (p.pagesDone() > 0) log("(XEN) memory_map:add: dom%d gfn=%x mfn=%x nr=%x", d.domid, gfn, mfn, p.pagesDone());
            ret(p.rc());
        } else {
            List<String> warnings = new ArrayList<>();
            P2m.Progress p = d.p2m.unmapMmio(gfn, nr, mfn, cfg.iommuSharesHap(), warnings);
            for (String w : warnings) log("(XEN) d%d: %s", d.domid, w);
            for (long[] c : p.changed()) {
                observe(p2m(d.domid, c[0], c[1], c[2], p2m_mmio_direct, true));
                pmem.owners().remove(c[2], c[1]);
            }
            if (p.pagesDone() > 0) log("(XEN) memory_map:remove: dom%d gfn=%x mfn=%x nr=%x", d.domid, gfn, mfn, p.pagesDone());
            ret(p.rc());
        }
    }

    /**
     * The sanity check the design doc asked for (a QEMU is not to be trusted): a domain may be
     * given only pmem Xen knows as such — Dom0 what it reported, other domains only data areas
     * handed over with pmem_setup — never RAM, never a management area, never frames another
     * domain has mapped. Null when allowed.
     */
    private String pmemMappingRefusal(Domain d, long s, long t) {
        if (heap.ram().intersects(s, t)) return String.format(Locale.ROOT, "MFNs %#x - %#x are RAM", s, t);
        if (pmem.mgmtAreas().intersects(s, t)) return String.format(Locale.ROOT, "MFNs %#x - %#x are Xen's management area", s, t);
        if (d.domid == 0) {
            return pmem.reported().containsAll(s, t) ? null : String.format(Locale.ROOT, "MFNs %#x - %#x are not pmem reported by Dom0", s, t);
        }
        if (!pmem.dataAreas().containsAll(s, t)) return String.format(Locale.ROOT, "MFNs %#x - %#x are not a pmem data area", s, t);
        for (ExtentMap.Extent<PmemRegistry.Owner> o : pmem.owners().overlapping(s, t - s)) {
            if (o.value().domid() != d.domid && o.value().domid() != 0) {
                return String.format(Locale.ROOT, "MFNs %#x - %#x are mapped by d%d", o.start(), o.end(), o.value().domid());
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ memory_op

    private void memoryOp(Envelope e) {
        MemoryOp op = e.getMemoryOp();
        int caller = callerDomid(e);
        switch (op.getCmd()) {
            case XENMEM_memory_map -> {
                Domain d = domains.get(caller);
                if (d == null || !op.hasMemoryMap()) { retErr(Errno.EINVAL, "memory_map"); return; }
                if (!d.e820Set) { ret(Errno.ENOSYS.neg()); return; }
                int n = Math.min(op.getMemoryMap().getNrEntries(), d.e820.size());
                XenMemoryMap.Builder out = XenMemoryMap.newBuilder().setNrEntries(n).addAllBuffer(d.e820.subList(0, n));
                reply(Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0).setMemoryMap(out)));
            }
            case XENMEM_machine_memory_map -> {
                if (caller != 0 || !op.hasMemoryMap()) { retErr(Errno.EPERM, "machine_memory_map"); return; }
                if (op.getMemoryMap().getNrEntries() < hostE820.size() + 1) { retErr(Errno.EINVAL, "machine_memory_map: buffer too small"); return; }
                XenMemoryMap.Builder out = XenMemoryMap.newBuilder().setNrEntries(hostE820.size()).addAllBuffer(hostE820);
                reply(Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0).setMemoryMap(out)));
            }
            case XENMEM_set_memory_map -> {
                if (caller != 0) { retErr(Errno.EPERM, "set_memory_map"); return; }
                if (!op.hasSetMemoryMap()) { retErr(Errno.EINVAL, "set_memory_map arguments"); return; }
                Domain d = domains.get(op.getSetMemoryMap().getDomid());
                if (d == null) { ret(Errno.ESRCH.neg()); return; }
                List<E820Entry> map = op.getSetMemoryMap().getMap().getBufferList();
                if (map.size() > E820MAX || op.getSetMemoryMap().getMap().getNrEntries() != map.size()) {
                    retErr(Errno.EINVAL, "set_memory_map: nr_entries");
                    return;
                }
                d.e820 = List.copyOf(map);
                d.e820Set = true;
                ret(0);
            }
            case XENMEM_populate_physmap -> populatePhysmap(e, op);
            default -> ret(Errno.ENOSYS.neg());
        }
    }

    private void populatePhysmap(Envelope e, MemoryOp op) {
        if (!op.hasReservation()) { retErr(Errno.EINVAL, "populate_physmap arguments"); return; }
        XenMemoryReservation r = op.getReservation();
        int caller = callerDomid(e);
        int dom = r.getDomid() == DOMID_SELF ? caller : r.getDomid();
        if (caller != 0 && dom != caller) { retErr(Errno.EPERM, "populate_physmap for another domain"); return; }
        Domain d = domains.get(dom);
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        if (r.getExtentOrder() > 18 || r.getNrExtents() != r.getExtentStartCount()) { retErr(Errno.EINVAL, "populate_physmap: extents"); return; }
        long n = 1L << r.getExtentOrder();
        int done = 0;
        List<long[]> scrubbed = new ArrayList<>();
        for (long gpfn : r.getExtentStartList()) {
            if ((gpfn & (n - 1)) != 0 || inclusiveEnd(gpfn, n) < 0) break;
            if (!d.p2m.overlapping(gpfn, n).isEmpty()) break;
            if (d.totPages + n > d.maxPages) break;
            List<long[]> runs = heap.allocate(n, r.getExtentOrder());
            if (runs == null) break;
            long g = gpfn;
            for (long[] run : runs) {
                d.p2m.set(g, run[1], run[0], p2m_ram_rw);
                d.ramRuns.add(run);
                coalesce(scrubbed, run[0], run[1], g);
                g += run[1];
            }
            d.totPages += n;
            done++;
        }
        // One scrub and one p2m observation per contiguous run, not per extent.
        for (long[] run : scrubbed) {
            scrub(run[0], run[1]);
            observe(p2m(dom, run[2], run[1], run[0], p2m_ram_rw, false));
        }
        ret(done);
    }

    /** Append {mfn, nr, gfn} to runs, merging with the last when both frame ranges continue it. */
    private static void coalesce(List<long[]> runs, long mfn, long nr, long gfn) {
        if (!runs.isEmpty()) {
            long[] last = runs.get(runs.size() - 1);
            if (last[0] + last[1] == mfn && last[2] + last[1] == gfn) {
                last[1] += nr;
                return;
            }
        }
        runs.add(new long[] {mfn, nr, gfn});
    }

    // ------------------------------------------------------------------ dm_op

    private void dmOp(Envelope e) {
        DmOp op = e.getDmOp();
        if (!privileged(e)) { retErr(Errno.EPERM, e.getFrom() + " is not a device model"); return; }
        Domain d = domains.get(op.getDomid());
        if (d == null) { ret(Errno.ESRCH.neg()); return; }
        if (d.domid == 0) { retErr(Errno.EINVAL, "dm_op on the control domain"); return; }
        switch (op.getUCase()) {
            case CREATE_IOREQ_SERVER -> {
                Domain.IoreqServer s = new Domain.IoreqServer(nextIoreqServerId++, e.getFrom());
                d.ioreqServers.add(s);
                reply(Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0).setDmOp(op.toBuilder()
                        .setCreateIoreqServer(op.getCreateIoreqServer().toBuilder().setId(s.id)))));
            }
            case MAP_IO_RANGE_TO_IOREQ_SERVER -> {
                XenDmOpIoreqServerRange r = op.getMapIoRangeToIoreqServer();
                Domain.IoreqServer s = server(d, r.getId());
                if (s == null) { ret(Errno.ENOENT.neg()); return; }
                if (r.getEnd() < r.getStart() || r.getStart() < 0
                        || (r.getType() == XEN_DMOP_IO_RANGE_PORT && r.getEnd() > 0xffff)
                        || (r.getType() != XEN_DMOP_IO_RANGE_PORT && r.getType() != XEN_DMOP_IO_RANGE_MEMORY)) {
                    retErr(Errno.EINVAL, "map_io_range: bad range");
                    return;
                }
                (r.getType() == XEN_DMOP_IO_RANGE_PORT ? s.ports : s.mmio).add(r.getStart(), r.getEnd() + 1);
                ret(0);
            }
            case SET_IOREQ_SERVER_STATE -> {
                Domain.IoreqServer s = server(d, op.getSetIoreqServerState().getId());
                if (s == null) { ret(Errno.ENOENT.neg()); return; }
                s.enabled = op.getSetIoreqServerState().getEnabled() != 0;
                ret(0);
            }
            case U_NOT_SET -> ret(Errno.EOPNOTSUPP.neg());
        }
    }

    private static Domain.IoreqServer server(Domain d, int id) {
        for (Domain.IoreqServer s : d.ioreqServers) if (s.id == id) return s;
        return null;
    }

    // ------------------------------------------------------------------ memory accesses

    /** privcmd foreign mapping + copy, as QEMU reaches into its guest's RAM. */
    private void foreignMem(Envelope e) {
        ForeignMemAccess f = e.getForeignMemAccess();
        if (!privileged(e)) { memFail(Errno.EPERM, f.getGpa()); return; }
        Domain d = domains.get(f.getDomid());
        if (d == null) { memFail(Errno.ESRCH, f.getGpa()); return; }
        if (!onePage(f.getGpa(), f.getLen()) || (f.getWrite() && f.getData().size() != f.getLen())) {
            memFail(Errno.EINVAL, f.getGpa());
            return;
        }
        ExtentMap.Extent<P2m.Run> x = d.p2m.lookup(f.getGpa() >>> PAGE_SHIFT);
        if (x == null || x.value().type() != p2m_ram_rw) {
            // Foreign mappings are of guest RAM only (XENMAPSPACE_gmfn_foreign).
            memFail(Errno.EFAULT, f.getGpa());
            return;
        }
        long spa = pfnToAddr(x.value().mfn()) | (f.getGpa() & (PAGE_SIZE - 1));
        MemAccess.Builder m = MemAccess.newBuilder().setOp(f.getWrite() ? MemAccess.Op.WRITE : MemAccess.Op.READ)
                .setSpa(spa).setLen(f.getLen()).setInitiatorDomid(0).setReplyTo(e.getFrom()).setReplyTag(e.getTag()).setGpa(f.getGpa());
        if (f.getWrite()) m.setData(f.getData());
        send(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(m));
    }

    private void memFail(Errno err, long gpa) {
        reply(Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setRc(err.neg()).setGpa(gpa)));
    }

    private static boolean onePage(long addr, long len) {
        return addr >= 0 && len > 0 && len <= PAGE_SIZE && (addr >>> PAGE_SHIFT) == ((addr + len - 1) >>> PAGE_SHIFT);
    }

    /** A vCPU load or store: the EPT walk. RAM and direct MMIO reach the bus; anything else faults. */
    private void vcpuMem(Envelope e) {
        GuestMemAccess g = e.getGuestMemAccess();
        int domid = callerDomid(e);
        Domain d = domains.get(domid);
        if (d == null || !d.started) throw new ProtocolError("memory access from a domain that is not running");
        if (!onePage(g.getGpa(), g.getLen()) || (g.getWrite() && g.getData().size() != g.getLen())) {
            fault(g.getGpa(), p2m_invalid, Errno.EINVAL, "access must lie within one page");
            return;
        }
        ExtentMap.Extent<P2m.Run> x = d.p2m.lookup(g.getGpa() >>> PAGE_SHIFT);
        if (x == null) {
            fault(g.getGpa(), p2m_invalid, Errno.EFAULT, "no p2m entry");
            return;
        }
        int t = x.value().type();
        if (t != p2m_ram_rw && t != p2m_mmio_direct) {
            fault(g.getGpa(), t, Errno.EFAULT, "p2m type " + p2mTypeName(t));
            return;
        }
        long spa = pfnToAddr(x.value().mfn()) | (g.getGpa() & (PAGE_SIZE - 1));
        MemAccess.Builder m = MemAccess.newBuilder().setOp(g.getWrite() ? MemAccess.Op.WRITE : MemAccess.Op.READ)
                .setSpa(spa).setLen(g.getLen()).setInitiatorDomid(domid).setReplyTo(e.getFrom()).setReplyTag(e.getTag()).setGpa(g.getGpa());
        if (g.getWrite()) m.setData(g.getData());
        send(Roles.PLATFORM, Envelope.newBuilder().setMemAccess(m));
    }

    private void fault(long gpa, int type, Errno err, String why) {
        reply(Envelope.newBuilder().setGuestFault(GuestFault.newBuilder().setGpa(gpa).setP2MType(type).setRc(err.neg()).setReason(why)));
    }

    /** Port I/O traps to the ioreq server that claimed the port; unclaimed ports float high. */
    private void vcpuIo(Envelope e) {
        GuestIo io = e.getGuestIo();
        int domid = callerDomid(e);
        Domain d = domains.get(domid);
        if (d == null || !d.started) throw new ProtocolError("port I/O from a domain that is not running");
        if (io.getPort() < 0 || io.getPort() > 0xffff || (io.getSize() != 1 && io.getSize() != 2 && io.getSize() != 4)) {
            fault(io.getPort(), p2m_invalid, Errno.EINVAL, "bad port access");
            return;
        }
        Domain.IoreqServer s = d.serverForPort(io.getPort());
        if (s == null) {
            long ones = io.getSize() == 4 ? 0xffffffffL : (1L << (8 * io.getSize())) - 1;
            reply(Envelope.newBuilder().setGuestIoDone(GuestIoDone.newBuilder().setData(io.getWrite() ? 0 : ones)));
            return;
        }
        if (pendingPortIo.containsKey(domid)) throw new ProtocolError("d" + domid + " vcpu0 already waits for an ioreq");
        pendingPortIo.put(domid, e);
        send(s.dmRole, Envelope.newBuilder().setIoreq(Ioreq.newBuilder().setAddr(io.getPort()).setData(io.getWrite() ? io.getData() : 0)
                .setCount(1).setSize(io.getSize()).setDir(io.getWrite() ? IOREQ_WRITE : IOREQ_READ).setType(IOREQ_TYPE_PIO)
                .setState(1).setDomid(domid).setVcpu(0)));
    }

    private void ioreqDone(Envelope e) {
        IoreqDone done = e.getIoreqDone();
        Domain d = domains.get(done.getDomid());
        Envelope waiting = pendingPortIo.get(done.getDomid());
        if (d == null || waiting == null) throw new ProtocolError("ioreq completion for d" + done.getDomid() + " with nothing pending");
        Domain.IoreqServer s = d.serverForPort(waiting.getGuestIo().getPort());
        if (s == null || !s.dmRole.equals(e.getFrom())) throw new ProtocolError("ioreq completion from " + e.getFrom() + ", not the server");
        pendingPortIo.remove(done.getDomid());
        replyTo(waiting, Envelope.newBuilder().setGuestIoDone(GuestIoDone.newBuilder().setData(done.getData())));
    }
}
