package org.vnvdimm.dom0;

import java.util.Locale;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.vnvdimm.acpi.AcpiParseException;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitParser;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.ParsedNfit;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.dom0.fs.DaxFilesystem;
import org.vnvdimm.dom0.fs.FiemapExtent;
import org.vnvdimm.dom0.fs.FileInfo;
import org.vnvdimm.dom0.fs.FileRun;
import org.vnvdimm.dom0.fs.FsOptions;
import org.vnvdimm.dom0.fs.FsResult;
import org.vnvdimm.dom0.fs.FsType;
import org.vnvdimm.dom0.nd.BlockDevice;
import org.vnvdimm.dom0.nd.Libnvdimm;
import org.vnvdimm.dom0.nd.Namespace;
import org.vnvdimm.dom0.nd.NamespaceMode;
import org.vnvdimm.dom0.nd.NdException;
import org.vnvdimm.dom0.nd.NvdimmRegion;
import org.vnvdimm.dom0.nd.PfnInfoBlock;
import org.vnvdimm.dom0.nd.PfnMode;
import org.vnvdimm.proto.*;

/**
 * Dom0's Linux kernel (a PV Dom0): the NFIT driver and libnvdimm (regions, namespaces, pfn info
 * blocks), rfc-v1's Xen pmem component that reports each pfn-xen namespace to Xen, the
 * DAX filesystems, and the file services QEMU uses (stat, mmap, FIEMAP, pread/pwrite, sysfs).
 * Its loads and stores reach the bus through page tables Xen validated against its iomem_caps: each
 * goes to Xen, which passes it on or refuses it (-EPERM), and the kernel reports a refusal as -EIO.
 */
public final class Dom0Kernel extends ComponentBehavior {
    /** Largest pread/pwrite QEMU may ask for. */
    static final int MAX_FILE_IO_BYTES = 1 << 20;

    /**
     * @param seed          the kernel's entropy (namespace UUIDs, fragmentation)
     * @param hotplugReport design key hotplug_report: "before-map" (default: a range found by _FIT is
     *                      reported to Xen before the driver touches it) or "after-map" (probed first)
     */
    public record Config(long seed, String hotplugReport, String invalidation, String hostKernel, org.vnvdimm.dom0.fs.OnMedia onMedia) {
        public Config(long seed) { this(seed, "before-map"); }

        /** Without a power cycle to survive: the filesystems' metadata lives as long as this kernel. */
        public Config(long seed, String hotplugReport, String invalidation, String hostKernel) {
            this(seed, hotplugReport, invalidation, hostKernel, new org.vnvdimm.dom0.fs.OnMedia());
        }

        public Config(long seed, String hotplugReport) { this(seed, hotplugReport, "none", "4.15"); }

        public boolean reportAfterMap() { return "after-map".equals(hotplugReport); }

        /** XFS allows reflink on a DAX mount from Linux 6.2 ("xfs: remove restrictions for fsdax and reflink"). */
        public boolean daxReflink() { return "6.2".equals(hostKernel); }
    }

    private final Config cfg;
    private final Libnvdimm nd;
    private final TreeMap<String, DaxFilesystem> mounts = new TreeMap<>();
    /** A QEMU's mmap of a file for a guest: file pages [0, nrGfns) back guest frames gfn.. of domid. */
    private record Mapper(String qemu, int domid, long gfn, long nrGfns) {}
    /** Mappings of each file into guests, as Dom0's Xen pmem component learnt them at mmap. */
    private final TreeMap<String, List<Mapper>> mappers = new TreeMap<>();
    private boolean started;

    public static Behavior<Envelope> create(ActorRef<StepResult> wire, Config cfg) {
        return Behaviors.setup(ctx -> new Dom0Kernel(ctx, wire, cfg));
    }

    private Dom0Kernel(ActorContext<Envelope> ctx, ActorRef<StepResult> wire, Config cfg) {
        super(ctx, Roles.DOM0, wire);
        this.cfg = cfg;
        this.nd = new Libnvdimm(cfg.seed());
    }

    /**
     * `vnvdimm show`: libnvdimm's regions and namespaces (their SPA layout: info block, reserve, data),
     * each mounted DAX filesystem with every file's extent map (FIEMAP, as ranges) and the QEMU
     * mappings of each file into guests.
     */
    @Override
    protected StateDump.Builder dumpState() {
        StateDump.Builder d = StateDump.newBuilder();
        DumpSection.Builder rs = org.vnvdimm.contract.Dumps.section("regions");
        for (NvdimmRegion r : nd.regions()) {
            rs.addRanges(org.vnvdimm.contract.Dumps.range("spa", r.spa().startBytes(), r.sizeBytes(), r.name() + " pxm " + r.proximityDomain()));
        }
        d.addSections(rs);
        for (Namespace n : nd.namespaces()) {
            DumpSection.Builder ns = org.vnvdimm.contract.Dumps.section(n.name()).addAllFacts(org.vnvdimm.contract.Dumps.facts(
                    "region", n.region().name(), "mode", n.mode().ndctlName(), "map", n.pfnMode().ndctlMap(), "device", n.devicePath(),
                    "data_pages", n.dataPages(), "uuid", n.uuid()));
            ns.addRanges(org.vnvdimm.contract.Dumps.range("spa", n.spa().startBytes(), n.spa().sizeBytes(), "namespace"));
            if (!n.infoBlockSpa().isEmpty()) ns.addRanges(org.vnvdimm.contract.Dumps.range("spa", n.infoBlockSpa().startBytes(), n.infoBlockSpa().sizeBytes(), "pfn info block"));
            if (!n.reserveSpa().isEmpty()) ns.addRanges(org.vnvdimm.contract.Dumps.range("spa", n.reserveSpa().startBytes(), n.reserveSpa().sizeBytes(), "reserve (" + n.pfnMode().ndctlMap() + ")"));
            if (!n.dataSpa().isEmpty()) ns.addRanges(org.vnvdimm.contract.Dumps.range("spa", n.dataSpa().startBytes(), n.dataSpa().sizeBytes(), "data"));
            d.addSections(ns);
        }
        for (DaxFilesystem fs : mounts.values()) {
            d.addSections(org.vnvdimm.contract.Dumps.section(fs.mountPoint()).addAllFacts(org.vnvdimm.contract.Dumps.facts(
                    "type", fs.type(), "device", fs.device().path(), "blocks", fs.totalBlocks(), "free_blocks", fs.freeBlocks(),
                    "free_ranges", fs.freeRangeCount(), "pending_free_blocks", fs.pendingFreeBlocks(), "files", fs.fileCount())));
            for (String path : fs.paths()) {
                DumpSection.Builder f = org.vnvdimm.contract.Dumps.section(path + " extents");
                FsResult<List<FiemapExtent>> ext = fs.extents(path);
                if (!ext.isOk()) {
                    f.addFacts("fiemap=" + ext.message());
                } else {
                    f.addFacts("unwritten_pages=" + fs.unwrittenPages(path));
                    for (FiemapExtent x : ext.value()) {
                        f.addRanges(org.vnvdimm.contract.Dumps.range("offset", x.logicalBytes(), x.lengthBytes(), "spa",
                                fs.device().spaStartBytes() + x.physicalBytes(), (x.flags() & FiemapExtent.FIEMAP_EXTENT_SHARED) != 0 ? "shared" : ""));
                    }
                }
                for (Mapper m : mappers.getOrDefault(path, List.of())) {
                    f.addRanges(org.vnvdimm.contract.Dumps.range("page", 0, m.nrGfns(), "gfn", m.gfn(), "mapped by " + m.qemu() + " for d" + m.domid()));
                }
                d.addSections(f);
            }
        }
        return d;
    }

    @Override
    protected void handle(Envelope e) {
        switch (e.getPayloadCase()) {
            case DOMAIN_START -> boot(e);
            case ADMIN_COMMAND -> admin(e);
            case FILE_STAT -> fileStat(e);
            case FILE_MMAP -> fileMmap(e);
            case FIEMAP -> fiemap(e);
            case SYSFS_READ -> sysfs(e);
            case FILE_IO -> fileIo(e);
            case ACPI_NOTIFY -> acpiNotify(e);
            default -> throw new ProtocolError("dom0 does not expect " + e.getPayloadCase());
        }
    }

    // ------------------------------------------------------------------ plumbing


    /**
     * A CPU access by Dom0 to machine memory. A PV kernel reaches a frame only through a PTE Xen
     * validated, so the access goes to Xen, which checks it against Dom0's iomem_caps and either
     * passes it to the bus (the bus answers here) or answers -EPERM itself.
     */
    private void mem(MemAccess.Builder m, Consumer<MemAccessDone> k) {
        call(Roles.XEN, tag -> Envelope.newBuilder().setMemAccess(m.setInitiatorDomid(0).setReplyTo(role).setReplyTag(tag)),
                r -> k.accept(r.getMemAccessDone()));
    }

    /** What a failed store or load means to the caller: the pmem driver reports an I/O error. */
    private static int ioError(MemAccessDone d) { return Errno.EIO.neg(); }

    private void adminDone(Envelope req, long rc, String out) {
        replyTo(req, Envelope.newBuilder().setAdminResult(AdminResult.newBuilder().setRc((int) rc).setOutput(out)));
    }

    private static Observation obs(Observation.Builder b) { return b.build(); }

    // ------------------------------------------------------------------ boot: NFIT, report, probe

    private record Pmem(long base, long size, int pxm, List<Integer> handles) {}

    private void boot(Envelope e) {
        if (started) throw new ProtocolError("dom0 started twice");
        started = true;
        DomainStart start = e.getDomainStart();
        // xen_memory_setup() for the initial domain: the host's map, with XENMEM_machine_memory_map.
        hypercall(Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_machine_memory_map)
                .setMemoryMap(XenMemoryMap.newBuilder().setNrEntries(E820_MAX_ENTRIES))), r -> {
            if (r.getRc() != 0 || r.getMemoryMap().getBufferCount() == 0) {
                // Linux BUG_ON()s here; the simulated kernel says so and carries on without a map.
                log("kernel BUG at arch/x86/xen/setup.c: XENMEM_machine_memory_map returned %s", Errno.name(r.getRc()));
            } else {
                e820 = XenE820.memorySetup(r.getMemoryMap().getBufferList(), start.getNrPages());
                log("e820: BIOS-provided physical RAM map:");
                for (E820Entry x : e820) log("%s", XenE820.printLine("Xen", x));
            }
            List<Pmem> ranges = nfitRanges(start.getAcpiTablesList());
            for (Pmem p : ranges) nfitKnown.add(p.base());
            reportNext(ranges, 0);
        });
    }

    /** E820_MAX_ENTRIES (E820_MAX_ENTRIES_ZEROPAGE 128 + 3 * MAX_NUMNODES, with NODES_SHIFT 6): xen_e820_table's size. */
    static final int E820_MAX_ENTRIES = 128 + 3 * 64;

    /** The kernel's E820 table after xen_memory_setup(). */
    private List<E820Entry> e820 = List.of();

    /** The NFIT driver: every healthy persistent-memory SPA range with its DIMMs. */
    private List<Pmem> nfitRanges(List<AcpiTableBlob> tables) {
        List<Pmem> out = new ArrayList<>();
        for (AcpiTableBlob t : tables) {
            // Linux's acpi_nfit_add stays bound to ACPI0012 without an NFIT ("hotplugged later"); a later Notify 0x80 still reads _FIT.
            if (t.getSignature().equals("TFIN")) log("ACPI: TFIN table (Xen's zapped NFIT); nfit ACPI0012:00: failed to find NFIT at startup");
            if (!t.getSignature().equals("NFIT")) continue;
            ParsedNfit p;
            try {
                p = NfitParser.parseTable(t.getData().toByteArray());
            } catch (AcpiParseException ex) {
                log("nfit ACPI0012:00: %s; NFIT ignored", ex.getMessage());
                continue;
            }
            for (NfitSpaRange spa : p.spaRanges()) {
                if (!Guid.PERSISTENT_MEMORY.equals(spa.rangeTypeGuid())) continue;
                List<Integer> handles = new ArrayList<>();
                for (NfitMemoryDeviceMap m : p.memoryDeviceMaps()) if (m.spaRangeIndex() == spa.rangeIndex()) handles.add((int) m.deviceHandle());
                if (handles.isEmpty()) handles.add(0);
                out.add(new Pmem(spa.rangeBase(), spa.rangeLengthBytes(), (int) spa.proximityDomain(), handles));
            }
        }
        if (out.isEmpty()) log("nfit: no persistent memory in the NFIT");
        return out;
    }

    /**
     * Probe range i, then the next. Dom0 holds pmem in its iomem_caps from boot (upstream's rule,
     * kept by rfc-v1), so it reads the info-block page without asking Xen first; rfc-v1 Xen knows
     * nothing of the range until Dom0 reports a pfn-xen namespace ({@link #reportToXen}).
     */
    private void reportNext(List<Pmem> ranges, int i) {
        if (i == ranges.size()) {
            if (bootDone) return;   // a _FIT hotplug's ranges: Dom0 booted long ago
            bootDone = true;
            observe(obs(Observation.newBuilder().setDomainState(DomainState.newBuilder().setDomid(0).setState("booted"))));
            return;
        }
        Pmem p = ranges.get(i);
        long s = p.base() >>> PAGE_SHIFT, t = (p.base() + p.size()) >>> PAGE_SHIFT;
        // Probe: read what the media holds where a namespace's info block would be.
        mem(MemAccess.newBuilder().setOp(MemAccess.Op.READ).setSpa(p.base() + PAGE_SIZE).setLen(PAGE_SIZE), done -> {
            observe(obs(Observation.newBuilder().setInspected(PmemInspected.newBuilder().setSmfn(s).setEmfn(t))));
            NvdimmRegion region;
            try {
                region = nd.addRegion(p.base(), p.size(), p.pxm(), p.handles());
            } catch (NdException ex) {
                log("nd_region: %s", ex.getMessage());
                reportNext(ranges, i + 1);
                return;
            }
            String found = describeInfoBlock(done);
            log("nd_region %s: [mem %#x-%#x] pxm %d, %s", region.name(), p.base(), p.base() + p.size() - 1, p.pxm(), found);
            Namespace ns = adopt(region, done);
            if (ns != null && !ns.xenReserveSpa().isEmpty()) {
                // rfc-v1 reports a pfn-xen namespace when it is probed: at every boot that finds one.
                reportToXen(ns, " at boot (its info block is on the media)", (rc, out) -> reportNext(ranges, i + 1));
                return;
            }
            reportNext(ranges, i + 1);
        });
    }

    /**
     * The single entry point that reports a region to Xen (rfc-v1's Xen pmem component): when a
     * pfn-xen namespace is probed, XENPF_pmem_add {spfn, epfn, rsv_spfn, rsv_epfn, data_spfn,
     * data_epfn} for its whole region, the area its info block reserves for Xen and its data area.
     * Xen builds its frame table and M2P in the reserved area and takes that area from Dom0. k gets
     * Xen's rc and a line for the operator.
     */
    void reportToXen(Namespace ns, String why, java.util.function.BiConsumer<Long, String> k) {
        if (ns.xenReserveSpa().isEmpty()) {
            k.accept((long) Errno.EINVAL.neg(), ns.name() + " is not a pfn-xen namespace (ndctl --map=xen): nothing to report to Xen");
            return;
        }
        long s = ns.region().spa().startMfn(), t = ns.region().spa().endMfn();
        long rs = ns.xenReserveSpa().startMfn(), rt = ns.xenReserveSpa().endMfn();
        long ds = ns.dataSpa().startMfn(), dt = ns.dataSpa().endMfn();
        log("xen_pmem: %s (pfn-xen) probed%s: reporting pfns %#x-%#x, reserved %#x-%#x, data %#x-%#x with XENPF_pmem_add",
                ns.name(), why, s, t, rs, rt, ds, dt);
        hypercall(Envelope.newBuilder().setPlatformOp(PlatformOp.newBuilder().setCmd(XENPF_pmem_add).setInterfaceVersion(XENPF_INTERFACE_VERSION)
                .setPmemAdd(XenpfPmemAdd.newBuilder().setSpfn(s).setEpfn(t).setRsvSpfn(rs).setRsvEpfn(rt).setDataSpfn(ds).setDataEpfn(dt))), r -> {
            if (r.getRc() != 0) {
                log("xen_pmem: XENPF_pmem_add pfns %#x-%#x failed: %s", s, t, Errno.name(r.getRc()));
                k.accept(r.getRc(), org.vnvdimm.contract.ComponentBehavior.format("xen_pmem: XENPF_pmem_add for %s failed: %s", ns.name(), Errno.name(r.getRc())));
                return;
            }
            log("xen_pmem: reported pfns %#x-%#x to Xen; pfns %#x-%#x now Xen's", s, t, rs, rt);
            k.accept(0L, org.vnvdimm.contract.ComponentBehavior.format("%s reported to Xen: reserved MFNs %#x-%#x, data MFNs %#x-%#x", ns.name(), rs, rt, ds, dt));
        });
    }

    /**
     * Under the `seeds` profile the step `pmem_setup: {from_namespace: X}` stands for the probe of
     * pfn-xen namespace X, where the rfc-v1 kernel reports it to Xen (the scenario driver sends it
     * here, not to xl). Explicit areas are rfc-v4's `xl pmem-setup` and never reach Dom0.
     */
    private void namespaceProbed(Envelope req, XlPmemSetup p) {
        Namespace ns;
        try {
            ns = nd.namespace(p.getFromNamespace());
        } catch (NdException ex) {
            adminDone(req, Errno.ENOENT.neg(), "xen_pmem: " + p.getFromNamespace() + ": no such namespace");
            return;
        }
        reportToXen(ns, " (rfc-v1 reports at probe; the step pmem_setup stands for it)", (rc, out) -> adminDone(req, rc, out));
    }

    /**
     * A namespace whose info block the probe found (the media kept it across a power cycle):
     * nd_pfn_validate accepts it and the namespace comes back with its mode, UUIDs and layout.
     */
    private Namespace adopt(NvdimmRegion region, MemAccessDone d) {
        if (d.getRc() != 0) return null;
        PfnInfoBlock ib;
        try {
            ib = PfnInfoBlock.decode(d.getData().toByteArray());
        } catch (RuntimeException ex) {
            return null;
        }
        try {
            Namespace ns = nd.adoptNamespace(region.name(), ib);
            log("nd_pmem %s: %s found, data at +%#x (%s): %s", ns.name(), ib.signature().trim(), ib.dataOffBytes(),
                    ns.pfnMode().ndctlMap(), ns.blockDeviceName() == null ? "no block device" : ns.blockDeviceName());
            return ns;
        } catch (NdException ex) {
            log("nd_pfn: %s: info block not usable: %s", region.name(), ex.getMessage());
            return null;
        }
    }

    private static String describeInfoBlock(MemAccessDone d) {
        if (d.getRc() != 0) return "probe failed " + Errno.name(d.getRc());
        byte[] b = d.getData().toByteArray();
        try {
            PfnInfoBlock ib = PfnInfoBlock.decode(b);
            return "found " + ib.signature().trim() + " (mode " + ib.pfnMode() + ")";
        } catch (RuntimeException ex) {
            return "no namespace";
        }
    }

    // ------------------------------------------------------------------ _FIT hotplug (acpi_nfit_notify)

    /** Set once the boot's ranges are all reported and probed. */
    private boolean bootDone;
    /** SPA bases of the PMEM ranges the NFIT driver already has (boot NFIT and merged _FITs). */
    private final java.util.TreeSet<Long> nfitKnown = new java.util.TreeSet<>();

    static final String NVDR = "\\_SB.NVDR";
    static final int NFIT_NOTIFY_UPDATE = 0x80;

    /**
     * acpi_nfit_notify: on 0x80 (NFIT_NOTIFY_UPDATE) evaluate _FIT, merge what is new (ranges the
     * driver already has are ignored), then register each new region as at boot: report it to Xen,
     * probe it. With hotplug_report: after-map the driver maps and probes the new ranges first.
     */
    private void acpiNotify(Envelope e) {
        if (!e.getFrom().equals(Roles.PLATFORM)) throw new ProtocolError("an ACPI notification from " + e.getFrom() + "; only the firmware raises them");
        AcpiNotify n = e.getAcpiNotify();
        if (!started || !n.getDevice().equals(NVDR)) {
            log("ACPI: Notify(%s, %#x) with no driver bound; ignored", n.getDevice(), n.getValue());
            return;
        }
        log("nfit ACPI0012:00: event: %#x", n.getValue());   // dev_dbg in __acpi_nfit_notify
        if (n.getValue() != NFIT_NOTIFY_UPDATE) return;       // 0x81 (ARS rescan) is not modelled
        call(Roles.PLATFORM, Envelope.newBuilder().setAcpiEval(AcpiEval.newBuilder().setPath(NVDR + "._FIT")),
                r -> fitEvaluated(r.getAcpiEvalResult()));
    }

    private void fitEvaluated(AcpiEvalResult r) {
        if (r.getStatus() != 0) {
            log("nfit ACPI0012:00: failed to evaluate _FIT");
            return;
        }
        ParsedNfit p;
        try {
            p = NfitParser.parseFit(r.getData().toByteArray());
        } catch (AcpiParseException ex) {
            log("nfit ACPI0012:00: failed to merge updated NFIT");
            return;
        }
        List<Pmem> added = new ArrayList<>();
        for (Pmem x : pmemRanges(p)) if (nfitKnown.add(x.base())) added.add(x);
        if (added.isEmpty()) return;
        if (!cfg.reportAfterMap()) {
            reportNext(added, 0);
            return;
        }
        mapFirst(added, 0);
    }

    /**
     * hotplug_report: after-map: the pmem driver maps each new range for good (memremap of the
     * whole range: mmu_update installing its PTEs) and reads its info-block page, then the ranges are
     * reported as at boot. Xen validates the PTEs now, while the frames are still in Dom0's
     * iomem_caps; when XENPF_pmem_add later takes the reserved area from Dom0, the PTEs stay.
     */
    private void mapFirst(List<Pmem> added, int i) {
        if (i == added.size()) {
            reportNext(added, 0);
            return;
        }
        Pmem p = added.get(i);
        long s = p.base() >>> PAGE_SHIFT, n = p.size() >>> PAGE_SHIFT;
        log("nfit ACPI0012:00: mapping [mem %#x-%#x] before reporting it to Xen (hotplug_report: after-map)", p.base(), p.base() + p.size() - 1);
        call(Roles.XEN, Envelope.newBuilder().setMmuUpdate(MmuUpdate.newBuilder()
                .setCmd(MMU_NORMAL_PT_UPDATE).setMfn(s).setNrPtes(n).setWritable(true).setForeigndom(DOMID_SELF)), r -> {
            long rc = r.getHypercallRet().getRc();
            if (rc != 0) {
                log("nfit ACPI0012:00: memremap of [mem %#x-%#x] failed: %s", p.base(), p.base() + p.size() - 1, Errno.name(rc));
                mapFirst(added, i + 1);
                return;
            }
            log("xen_pmem: pfns %#x-%#x mapped before XENPF_pmem_add; Xen let it (they are in d0's iomem_caps)", s, s + n);
            mem(MemAccess.newBuilder().setOp(MemAccess.Op.READ).setSpa(p.base() + PAGE_SIZE).setLen(PAGE_SIZE), done -> {
                if (done.getRc() != 0) log("nfit ACPI0012:00: probe of [mem %#x] failed: %s", p.base() + PAGE_SIZE, Errno.name(done.getRc()));
                mapFirst(added, i + 1);
            });
        });
    }

    /** The PMEM SPA ranges of a parsed NFIT or _FIT, each with its DIMMs' handles. */
    private static List<Pmem> pmemRanges(ParsedNfit p) {
        List<Pmem> out = new ArrayList<>();
        for (NfitSpaRange spa : p.spaRanges()) {
            if (!Guid.PERSISTENT_MEMORY.equals(spa.rangeTypeGuid())) continue;
            List<Integer> handles = new ArrayList<>();
            for (NfitMemoryDeviceMap m : p.memoryDeviceMaps()) if (m.spaRangeIndex() == spa.rangeIndex()) handles.add((int) m.deviceHandle());
            if (handles.isEmpty()) handles.add(0);
            out.add(new Pmem(spa.rangeBase(), spa.rangeLengthBytes(), (int) spa.proximityDomain(), handles));
        }
        return out;
    }

    // ------------------------------------------------------------------ admin commands

    private void admin(Envelope e) {
        AdminCommand a = e.getAdminCommand();
        switch (a.getCmdCase()) {
            case NDCTL_CREATE_NAMESPACE -> createNamespace(e, a.getNdctlCreateNamespace());
            case MKFS -> mkfs(e, a.getMkfs());
            case MOUNT -> mount(e, a.getMount());
            case CREATE_FILE -> createFile(e, a.getCreateFile());
            case XL_PMEM_SETUP -> namespaceProbed(e, a.getXlPmemSetup());
            case FS -> fsStep(e, a.getFs());
            default -> throw new ProtocolError("dom0 cannot run " + a.getCmdCase());
        }
    }

    private void createNamespace(Envelope req, NdctlCreateNamespace c) {
        Namespace ns;
        try {
            ns = nd.createNamespace(c.getRegion(), NamespaceMode.fromNdctl(c.getMode()), PfnMode.fromMap(c.getMap()), c.getXenReserveBytes());
        } catch (NdException ex) {
            adminDone(req, Errno.EINVAL.neg(), "ndctl: create-namespace: " + ex.getMessage());
            return;
        } catch (IllegalArgumentException ex) {
            adminDone(req, Errno.EINVAL.neg(), "ndctl: create-namespace: " + ex.getMessage());
            return;
        }
        byte[] block = ns.infoBlock() == null ? null : ns.infoBlock().encode();
        Runnable finish = () -> adminDone(req, 0, ndctlJson(ns));
        if (block == null) { finish.run(); return; }
        mem(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE).setSpa(ns.infoBlockSpa().startBytes()).setData(ByteString.copyFrom(block)), d -> {
            if (d.getRc() != 0) {
                log("nd_pmem %s: writing the info block failed: %s", ns.name(), Errno.name(d.getRc()));
                adminDone(req, ioError(d), "ndctl: create-namespace: writing the info block failed: " + Errno.name(ioError(d)));
                return;
            }
            finish.run();
        });
    }

    private static String ndctlJson(Namespace ns) {
        StringBuilder b = new StringBuilder("{\"dev\":\"").append(ns.name()).append("\",\"mode\":\"").append(ns.mode().ndctlName())
                .append("\",\"map\":\"").append(ns.pfnMode().ndctlMap()).append("\",\"size\":").append(ns.dataSpa().sizeBytes())
                .append(",\"uuid\":\"").append(ns.uuid()).append('"');
        if (ns.blockDeviceName() != null) b.append(",\"blockdev\":\"").append(ns.blockDeviceName()).append('"');
        if (!ns.xenReserveSpa().isEmpty()) {
            b.append(",\"xen_reserve\":\"").append(org.vnvdimm.contract.ComponentBehavior.format("%#x-%#x", ns.xenReserveSpa().startMfn(), ns.xenReserveSpa().endMfn())).append('"');
        }
        return b.append('}').toString();
    }

    private void mkfs(Envelope req, Mkfs m) {
        Namespace ns;
        try {
            ns = nd.namespaceByDevice(m.getDev());
        } catch (NdException ex) {
            adminDone(req, Errno.ENODEV.neg(), "mkfs: " + m.getDev() + ": no such block device");
            return;
        }
        if (mounts.containsKey(m.getMount())) { adminDone(req, Errno.EBUSY.neg(), "mount: " + m.getMount() + " is busy"); return; }
        FsType type;
        try {
            type = FsType.valueOf(m.getType().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            adminDone(req, Errno.EINVAL.neg(), "mkfs: unknown type " + m.getType());
            return;
        }
        FsResult<DaxFilesystem> r = DaxFilesystem.mkfs(ns.blockDevice(), FsOptions.of(type, m.getMount()).withAllowDaxReflink(cfg.daxReflink()));
        if (!r.isOk()) { adminDone(req, r.errno().neg(), "mkfs." + m.getType() + ": " + r.message()); return; }
        DaxFilesystem fs = r.value();
        if (m.getFragment() > 0) {
            FsResult<?> f = fs.fragment(m.getFragment(), new SplittableRandom(cfg.seed() ^ 0x6d6b6673L));
            if (!f.isOk()) { adminDone(req, f.errno().neg(), "mkfs: " + f.message()); return; }
        }
        mounts.put(m.getMount(), fs);
        cfg.onMedia().commit(ns.blockDevice().spaStartBytes(), fs);
        BlockDevice dev = ns.blockDevice();
        byte[] sb = new byte[512];
        byte[] magic = (type == FsType.XFS ? "XFSB" : "EXT4").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, sb, 0, magic.length);
        mem(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE).setSpa(dev.spaStartBytes()).setData(ByteString.copyFrom(sb)), d -> {
            if (d.getRc() != 0) {
                mounts.remove(m.getMount());
                log("%s: write failed at [mem %#x]: %s", dev.name(), dev.spaStartBytes(), Errno.name(d.getRc()));
                adminDone(req, ioError(d), "mkfs." + m.getType() + ": pwrite failed: Input/output error");
                return;
            }
            log("%s (%s): mounted filesystem with DAX on %s", m.getType().toUpperCase(java.util.Locale.ROOT), dev.name(), m.getMount());
            adminDone(req, 0, org.vnvdimm.contract.ComponentBehavior.format("%s on %s, %d blocks of 4 KiB", m.getMount(), dev.path(), fs.totalBlocks()));
        });
    }

    /**
     * mount -o dax of an existing filesystem: read the superblock from the media; the filesystem
     * comes back as its metadata stands on the media (files, extents, unwritten ranges).
     */
    private void mount(Envelope req, Mkfs m) {
        Namespace ns;
        try {
            ns = nd.namespaceByDevice(m.getDev());
        } catch (NdException ex) {
            adminDone(req, Errno.ENODEV.neg(), "mount: " + m.getDev() + ": special device does not exist");
            return;
        }
        if (mounts.containsKey(m.getMount())) { adminDone(req, Errno.EBUSY.neg(), "mount: " + m.getMount() + " is busy"); return; }
        BlockDevice dev = ns.blockDevice();
        mem(MemAccess.newBuilder().setOp(MemAccess.Op.READ).setSpa(dev.spaStartBytes()).setLen(512), d -> {
            if (d.getRc() != 0) { adminDone(req, ioError(d), "mount: " + m.getDev() + ": can't read superblock"); return; }
            String magic = new String(d.getData().toByteArray(), 0, 4, StandardCharsets.US_ASCII);
            String want = m.getType().equals("xfs") ? "XFSB" : "EXT4";
            DaxFilesystem fs = cfg.onMedia().at(dev.spaStartBytes());
            if (!magic.equals(want) || fs == null || !fs.type().name().equalsIgnoreCase(m.getType())) {
                log("%s: wrong fs type, bad superblock on %s (magic %s)", m.getType(), dev.name(), magic.replaceAll("[^A-Z0-9]", "?"));
                adminDone(req, Errno.EINVAL.neg(), "mount: " + m.getMount() + ": wrong fs type, bad option, bad superblock on " + m.getDev());
                return;
            }
            mounts.put(m.getMount(), fs);
            log("%s (%s): Mounting Filesystem with DAX on %s: %d file(s)", fs.type().name(), dev.name(), m.getMount(), fs.fileCount());
            adminDone(req, 0, org.vnvdimm.contract.ComponentBehavior.format("%s mounted on %s, %d file(s)", m.getDev(), m.getMount(), fs.fileCount()));
        });
    }

    /** The filesystem holding path (longest mount point that prefixes it). */
    private DaxFilesystem fsOf(String path) {
        DaxFilesystem best = null;
        int len = -1;
        for (Map.Entry<String, DaxFilesystem> m : mounts.entrySet()) {
            String mp = m.getKey();
            if ((path.startsWith(mp + "/") || mp.equals("/")) && mp.length() > len) {
                best = m.getValue();
                len = mp.length();
            }
        }
        return best;
    }

    private void createFile(Envelope req, CreateFile c) {
        DaxFilesystem fs = fsOf(c.getPath());
        if (fs == null) { adminDone(req, Errno.ENOENT.neg(), "fallocate: " + c.getPath() + ": no DAX filesystem mounted there"); return; }
        FsResult<FileInfo> r = fs.create(c.getPath(), c.getSizeBytes(), c.getExtents() > 0 ? c.getExtents() : 1, c.getExtentSizeBytes());
        if (!r.isOk()) { adminDone(req, r.errno().neg(), "fallocate: " + r.message()); return; }
        List<FileRun> runs = fs.mapping(c.getPath(), 0, Long.MAX_VALUE).value();
        observeExtents(fs, c.getPath(), runs);
        // fallocate leaves unwritten extents: nothing is zeroed or written on the media, and reads
        // through the filesystem return zeros until a write converts them.
        adminDone(req, 0, org.vnvdimm.contract.ComponentBehavior.format("%s: %d bytes in %d extent(s)%s", c.getPath(), c.getSizeBytes(), r.value().extentCount(),
                c.getExtentSizeBytes() > 0 ? org.vnvdimm.contract.ComponentBehavior.format(", each a multiple of the %d KiB extent size hint and aligned to it", c.getExtentSizeBytes() >> 10) : ""));
    }

    private void observeExtents(DaxFilesystem fs, String path, List<FileRun> runs) {
        FileExtents.Builder b = FileExtents.newBuilder().setPath(path);
        for (FileRun r : runs) {
            if (r.hole()) continue;
            b.addExtents(FileExtent.newBuilder().setFilePgoff(r.fileOffsetPages()).setMfn(fs.mfnOf(r.block())).setNr(r.nrPages()));
        }
        observe(obs(Observation.newBuilder().setFileExtents(b)));
    }

    // ------------------------------------------------------------------ file services for QEMU and xl

    private void fileStat(Envelope e) {
        String path = e.getFileStat().getPath();
        Namespace dax = devDax(path);
        if (dax != null) {
            reply(Envelope.newBuilder().setFileStatReply(FileStatReply.newBuilder().setRc(0).setSizeBytes(dax.dataSpa().sizeBytes()).setBdev(dax.charDeviceName())));
            return;
        }
        DaxFilesystem fs = fsOf(path);
        FsResult<FileInfo> st = fs == null ? null : fs.stat(path);
        if (st == null || !st.isOk()) {
            reply(Envelope.newBuilder().setFileStatReply(FileStatReply.newBuilder().setRc(Errno.ENOENT.neg())));
            return;
        }
        reply(Envelope.newBuilder().setFileStatReply(FileStatReply.newBuilder().setRc(0).setSizeBytes(st.value().sizeBytes())
                .setBdev(fs.device().name())));
    }

    private void fileMmap(Envelope e) {
        FileMmap m = e.getFileMmap();
        Namespace dax = devDax(m.getPath());
        if (dax != null) {
            // device-dax takes MAP_SHARED (MAP_SYNC is validated and implied: no metadata to sync).
            int drc = (m.getFlags() & MAP_SHARED) == 0 ? Errno.EINVAL.neg() : 0;
            FileMmapReply.Builder b = FileMmapReply.newBuilder().setRc(drc);
            if (drc == 0) b.setSize(dax.dataSpa().sizeBytes()).setBdev(dax.charDeviceName());
            // The device's "extents": all of it, at its data area, for ever.
            if (drc == 0) observe(obs(Observation.newBuilder().setFileExtents(FileExtents.newBuilder().setPath(m.getPath()).addExtents(FileExtent.newBuilder()
                    .setFilePgoff(0).setMfn(dax.dataSpa().startBytes() >>> PAGE_SHIFT).setNr(dax.dataSpa().sizeBytes() >>> PAGE_SHIFT)))));
            reply(Envelope.newBuilder().setFileMmapReply(b));
            return;
        }
        DaxFilesystem fs = fsOf(m.getPath());
        FsResult<FileInfo> st = fs == null ? null : fs.stat(m.getPath());
        int rc = 0;
        if (st == null || !st.isOk()) rc = Errno.ENOENT.neg();
        else if ((m.getFlags() & MAP_SHARED) == 0) rc = Errno.EINVAL.neg();
        else if ((m.getFlags() & MAP_SYNC) != 0 && (m.getFlags() & MAP_SHARED_VALIDATE) == MAP_SHARED_VALIDATE && !fs.options().dax()) {
            rc = Errno.EOPNOTSUPP.neg();   // MAP_SYNC is validated only with MAP_SHARED_VALIDATE, and needs DAX
        }
        FileMmapReply.Builder b = FileMmapReply.newBuilder().setRc(rc);
        if (rc == 0) b.setSize(st.value().sizeBytes()).setBdev(fs.device().name());
        if (rc == 0 && m.getDomid() != 0 && m.getNrGfns() > 0) {
            mappers.computeIfAbsent(m.getPath(), k -> new ArrayList<>()).add(new Mapper(e.getFrom(), m.getDomid(), m.getGfn(), m.getNrGfns()));
        }
        reply(Envelope.newBuilder().setFileMmapReply(b));
    }

    private void fiemap(Envelope e) {
        String path = e.getFiemap().getPath();
        Namespace dax = devDax(path);
        if (dax != null) {
            // [inferred] The whole device is one physically contiguous range: one extent from offset 0.
            reply(Envelope.newBuilder().setFiemapReply(FiemapReply.newBuilder().setRc(0).addExtents(org.vnvdimm.proto.FiemapExtent.newBuilder()
                    .setFeLogical(0).setFePhysical(0).setFeLength(dax.dataSpa().sizeBytes()).setFeFlags(FiemapExtent.FIEMAP_EXTENT_LAST))));
            return;
        }
        DaxFilesystem fs = fsOf(path);
        FsResult<List<FiemapExtent>> x = fs == null ? null : fs.extents(path);
        if (x == null || !x.isOk()) {
            reply(Envelope.newBuilder().setFiemapReply(FiemapReply.newBuilder().setRc(x == null ? Errno.ENOENT.neg() : x.errno().neg())));
            return;
        }
        FiemapReply.Builder b = FiemapReply.newBuilder().setRc(0);
        for (FiemapExtent f : x.value()) {
            b.addExtents(org.vnvdimm.proto.FiemapExtent.newBuilder().setFeLogical(f.logicalBytes()).setFePhysical(f.physicalBytes())
                    .setFeLength(f.lengthBytes()).setFeFlags(f.flags()));
        }
        reply(Envelope.newBuilder().setFiemapReply(b));
    }

    private void sysfs(Envelope e) {
        String path = e.getSysfsRead().getPath();
        String value = sysfsValue(path);
        reply(Envelope.newBuilder().setSysfsReply(value == null
                ? SysfsReply.newBuilder().setRc(Errno.ENOENT.neg()) : SysfsReply.newBuilder().setRc(0).setValue(value)));
    }

    /**
     * The sysfs nodes the toolstack and QEMU read: a block device's SPA (its data area), and for a
     * pfn-xen namespace the frames reserved for Xen and the frames of its data area.
     */
    private String sysfsValue(String path) {
        try {
            return sysfsNode(path);
        } catch (NdException ex) {
            return null;    // no such namespace or device: the node does not exist
        }
    }

    private String sysfsNode(String path) {
        String[] p = path.split("/");
        if (p.length == 6 && path.startsWith("/sys/block/") && p[4].equals("device") && p[5].equals("resource")) {
            return org.vnvdimm.contract.ComponentBehavior.format("%#x", nd.namespaceByDevice(p[3]).resource());
        }
        if (p.length == 7 && path.startsWith("/sys/bus/nd/devices/")) {
            Namespace ns = nd.namespace(p[5]);
            return switch (p[6]) {
                case "xen_reserve" -> ns.xenReserveSpa().isEmpty() ? null
                        : org.vnvdimm.contract.ComponentBehavior.format("%#x %#x", ns.xenReserveSpa().startMfn(), ns.xenReserveSpa().endMfn());
                case "xen_data" -> org.vnvdimm.contract.ComponentBehavior.format("%#x %#x", ns.dataSpa().startMfn(), ns.dataSpa().endMfn());
                case "size" -> Long.toString(ns.dataSpa().sizeBytes());
                case "mode" -> ns.mode().ndctlName();
                default -> null;
            };
        }
        return null;
    }

    /** pread/pwrite on a file: split by extent and page, each piece a bus access by Dom0's CPU. */
    private void fileIo(Envelope e) {
        FileIo io = e.getFileIo();
        Namespace dax = devDax(io.getPath());
        if (dax != null) {
            long dlen = io.getWrite() ? io.getData().size() : io.getLen();
            if (io.getOffset() < 0 || dlen <= 0 || dlen > MAX_FILE_IO_BYTES || io.getOffset() > dax.dataSpa().sizeBytes() - dlen) { fileIoDone(e, Errno.EINVAL.neg(), null); return; }
            MemAccess.Builder m = MemAccess.newBuilder().setSpa(dax.dataSpa().startBytes() + io.getOffset());
            if (io.getWrite()) m.setOp(MemAccess.Op.WRITE).setData(io.getData()); else m.setOp(MemAccess.Op.READ).setLen(dlen);
            Envelope req = e;
            mem(m, d -> fileIoDone(req, d.getRc() != 0 ? ioError(d) : (int) dlen, io.getWrite() || d.getRc() != 0 ? null : d.getData().toByteArray()));
            return;
        }
        DaxFilesystem fs = fsOf(io.getPath());
        long len = io.getWrite() ? io.getData().size() : io.getLen();
        FsResult<FileInfo> st = fs == null ? null : fs.stat(io.getPath());
        if (st == null || !st.isOk()) { fileIoDone(e, Errno.ENOENT.neg(), null); return; }
        long size = st.value().sizeBytes();
        if (io.getOffset() < 0 || len <= 0 || (len > MAX_FILE_IO_BYTES && !io.getPopulate()) || io.getOffset() > size - len) {
            fileIoDone(e, Errno.EINVAL.neg(), null);
            return;
        }
        if (io.getPopulate()) {
            populate(e, fs, io.getPath(), io.getOffset(), io.getLen(), size);
            return;
        }
        if (io.getWrite()) {
            // A write may land in a hole or on shared blocks: allocate (and break layouts) first.
            Envelope w = e;
            prepareWrite(fs, io.getPath(), io.getOffset(), len, rc -> {
                if (rc < 0) { fileIoDone(w, rc, null); return; }
                fileIoPieces(w, fs, io, len);
            });
            return;
        }
        fileIoPieces(e, fs, io, len);
    }

    /**
     * Write faults over [off, +len) (QEMU's prealloc): holes get blocks, and each unwritten extent is
     * zeroed on the media and converted, as dax_iomap_fault does for a write to an unwritten extent.
     */
    private void populate(Envelope req, DaxFilesystem fs, String path, long off, long len, long size) {
        prepareWrite(fs, path, off, len, rc -> {
            if (rc < 0) { fileIoDone(req, rc, null); return; }
            long p0 = off / PAGE_SIZE, p1 = pagesOf(off + len);
            List<long[]> zero = new ArrayList<>();
            for (FileRun run : fs.mapping(path, p0, p1 - p0).value()) {
                if (run.hole()) continue;
                for (org.vnvdimm.ranges.RangeSet.Range u : fs.unwritten(path, run.fileOffsetPages(), run.nrPages())) {
                    zero.add(new long[] {fs.device().spaOf((run.block() + u.start() - run.fileOffsetPages()) * PAGE_SIZE), u.length() * PAGE_SIZE});
                }
            }
            fs.markWritten(path, p0, p1 - p0);
            zeroAll(zero, 0, zrc -> fileIoDone(req, zrc < 0 ? zrc : (int) Math.min(len, Integer.MAX_VALUE), null));
        });
    }

    private void fileIoPieces(Envelope e, DaxFilesystem fs, FileIo io, long len) {
        byte[] buf = io.getWrite() ? io.getData().toByteArray() : new byte[(int) len];
        // One bus access per run of contiguous blocks: a file extent is contiguous on the media.
        List<long[]> pieces = new ArrayList<>(); // {fileOffset, length, spa}
        long end = io.getOffset() + len;
        long firstPage = io.getOffset() / PAGE_SIZE;
        for (FileRun run : fs.mapping(io.getPath(), firstPage, (end + PAGE_SIZE - 1) / PAGE_SIZE - firstPage).value()) {
            if (run.hole()) continue;   // a hole reads as zeros
            // So does an unwritten extent: a read skips its pages (a write converts them afterwards).
            List<long[]> parts = new ArrayList<>();   // file page ranges to access
            long pos = run.fileOffsetPages();
            if (!io.getWrite()) {
                for (org.vnvdimm.ranges.RangeSet.Range u : fs.unwritten(io.getPath(), run.fileOffsetPages(), run.nrPages())) {
                    if (u.start() > pos) parts.add(new long[] {pos, u.start()});
                    pos = u.end();
                }
            }
            if (pos < run.fileOffsetPages() + run.nrPages()) parts.add(new long[] {pos, run.fileOffsetPages() + run.nrPages()});
            for (long[] pt : parts) {
                long s0 = Math.max(io.getOffset(), pt[0] * PAGE_SIZE);
                long s1 = Math.min(end, pt[1] * PAGE_SIZE);
                if (s0 >= s1) continue;
                long spa = fs.device().spaOf(run.block() * PAGE_SIZE + (s0 - run.fileOffsetPages() * PAGE_SIZE));
                pieces.add(new long[] {s0, s1 - s0, spa});
            }
        }
        if (io.getWrite()) fs.markWritten(io.getPath(), firstPage, (end + PAGE_SIZE - 1) / PAGE_SIZE - firstPage);
        Envelope req = e;
        if (pieces.isEmpty()) { fileIoDone(req, (int) len, io.getWrite() ? null : buf); return; }
        int[] left = {pieces.size()};
        int[] rc = {0};
        for (long[] pc : pieces) {
            int off = (int) (pc[0] - io.getOffset());
            MemAccess.Builder m = MemAccess.newBuilder().setSpa(pc[2]);
            if (io.getWrite()) m.setOp(MemAccess.Op.WRITE).setData(ByteString.copyFrom(buf, off, (int) pc[1]));
            else m.setOp(MemAccess.Op.READ).setLen(pc[1]);
            mem(m, d -> {
                if (d.getRc() != 0) rc[0] = ioError(d);
                else if (!io.getWrite()) d.getData().copyTo(buf, off);
                if (--left[0] == 0) fileIoDone(req, rc[0] != 0 ? rc[0] : (int) len, io.getWrite() ? null : buf);
            });
        }
    }

    private void fileIoDone(Envelope req, int rc, byte[] data) {
        FileIoReply.Builder b = FileIoReply.newBuilder().setRc(rc);
        if (data != null) b.setData(ByteString.copyFrom(data));
        replyTo(req, Envelope.newBuilder().setFileIoReply(b));
    }

    // ------------------------------------------------------------------ device-dax: no filesystem

    /** The devdax namespace behind /dev/daxR.N, or null for any other path. */
    private Namespace devDax(String path) {
        if (path == null || !path.startsWith("/dev/dax")) return null;
        try {
            Namespace ns = nd.namespaceByDevice(path);
            return ns.mode() == NamespaceMode.DEVDAX ? ns : null;
        } catch (NdException ex) {
            return null;
        }
    }

    // ------------------------------------------------------------------ block moves (fs steps)

    /** Largest bus access the kernel makes for a copy or a write (one MediaStore access). */
    static final long MAX_BUS_BYTES = 1 << 20;

    private static long pagesOf(long bytes) { return (bytes + PAGE_SIZE - 1) / PAGE_SIZE; }

    /**
     * An `fs` step: reflink, write, punch_hole, truncate, extend, defrag. Every change of blocks goes
     * the kernel's way: break the layouts of the range (dax_layout_busy_page, unmap_mapping_range,
     * and under design `notifier` the guests' p2m entries), then move or free, then tell the
     * mappers, then let the freed blocks go back to the allocator.
     */
    private void fsStep(Envelope req, FsStep f) {
        String cmd = "fs " + f.getOp() + ": " + f.getPath();
        if (devDax(f.getPath()) != null) {
            // A character device: no filesystem, no extents, nothing to move (fallocate(2) on it is ENODEV).
            adminDone(req, Errno.ENODEV.neg(), cmd + ": not a regular file (device-dax has no filesystem; its pages never move)");
            return;
        }
        if (f.getOp().equals("remount")) { remount(req, f.getPath(), cmd); return; }
        DaxFilesystem fs = fsOf(f.getPath());
        if (fs == null) { adminDone(req, Errno.ENOENT.neg(), cmd + ": no DAX filesystem mounted there"); return; }
        FsResult<FileInfo> st = fs.stat(f.getPath());
        boolean exists = st.isOk();
        switch (f.getOp()) {
            case "reflink" -> {
                // FICLONE into a new file: no block of the source moves; a later write to either copies.
                FsResult<FileInfo> r = fs.reflink(f.getPath(), f.getTo());
                if (!r.isOk()) { adminDone(req, r.errno().neg(), "cp: failed to clone '" + f.getTo() + "' from '" + f.getPath() + "': " + r.message()); return; }
                adminDone(req, 0, org.vnvdimm.contract.ComponentBehavior.format("%s -> %s: %d extent(s) shared", f.getPath(), f.getTo(), r.value().extentCount()));
            }
            case "write" -> {
                long off = f.getOffsetBytes(), len = f.getLengthBytes();
                if (!exists) {
                    FsResult<FileInfo> c = fs.createSparse(f.getPath(), 0);
                    if (!c.isOk()) { adminDone(req, c.errno().neg(), cmd + ": " + c.message()); return; }
                }
                long size = fs.stat(f.getPath()).value().sizeBytes();
                if (off + len > size) fs.truncate(f.getPath(), off + len);   // growing: a hole, nothing moves
                byte[] data = org.vnvdimm.contract.Pattern.bytes(f.getPatternSeed(), off, (int) len);
                prepareWrite(fs, f.getPath(), off, len, rc -> {
                    if (rc < 0) { adminDone(req, rc, cmd + ": " + Errno.name(rc)); return; }
                    fs.markWritten(f.getPath(), off / PAGE_SIZE, pagesOf(off + len) - off / PAGE_SIZE);
                    busWrite(fs, f.getPath(), off, data, 0, wrc -> adminDone(req, wrc,
                            wrc < 0 ? cmd + ": pwrite: Input/output error" : org.vnvdimm.contract.ComponentBehavior.format("wrote %d bytes at offset %d of %s", len, off, f.getPath())));
                });
            }
            case "punch_hole", "truncate", "defrag" -> {
                if (!exists) { adminDone(req, Errno.ENOENT.neg(), cmd + ": " + st.message()); return; }
                long size = st.value().sizeBytes();
                long p0, p1;
                if (f.getOp().equals("truncate")) {
                    if (f.getLengthBytes() > size) { adminDone(req, Errno.EINVAL.neg(), cmd + ": truncate grows the file; use extend"); return; }
                    p0 = pagesOf(f.getLengthBytes());
                    p1 = pagesOf(size);
                } else {
                    long len = f.getLengthBytes() == 0 ? size - f.getOffsetBytes() : f.getLengthBytes();
                    p0 = f.getOffsetBytes() / PAGE_SIZE;
                    p1 = pagesOf(f.getOffsetBytes() + len);
                }
                if (f.getOp().equals("defrag") && fs.type() == FsType.EXT4) {
                    // EXT4_IOC_MOVE_EXT refuses DAX inodes: nothing is broken or moved.
                    adminDone(req, Errno.EOPNOTSUPP.neg(), "e4defrag: " + f.getPath() + ": EXT4_IOC_MOVE_EXT: online defrag not supported with DAX");
                    return;
                }
                breakLayouts(fs, f.getPath(), p0, p1, cmd, req, () -> {
                    FsResult<Void> r = switch (f.getOp()) {
                        case "punch_hole" -> fs.punchHole(f.getPath(), f.getOffsetBytes(), f.getLengthBytes() == 0 ? size - f.getOffsetBytes() : f.getLengthBytes());
                        case "truncate" -> fs.truncate(f.getPath(), f.getLengthBytes());
                        default -> fs.defragMove(f.getPath(), f.getOffsetBytes(), f.getLengthBytes() == 0 ? size - f.getOffsetBytes() : f.getLengthBytes());
                    };
                    if (!r.isOk()) { adminDone(req, r.errno().neg(), cmd + ": " + r.message()); return; }
                    finishChange(fs, f.getPath(), p0, p1, r, f.getOp().replace('_', '-'), rc -> adminDone(req, rc, rc < 0 ? cmd + ": copying blocks failed: Input/output error"
                            : org.vnvdimm.contract.ComponentBehavior.format("%s: pages %#x-%#x: %d piece(s) moved or freed%s", f.getPath(), p0, p1, r.invalidations().size(),
                                    f.getOp().equals("defrag") && fs.extsizeBytes(f.getPath()) > 0
                                            ? org.vnvdimm.contract.ComponentBehavior.format(" into a run aligned to the file's %d KiB extent size hint [inferred: xfs_fsr gives its temporary file the same hint]",
                                                    fs.extsizeBytes(f.getPath()) >> 10) : "")));
                });
            }
            case "extend" -> {
                if (!exists) {
                    FsResult<FileInfo> c = fs.createSparse(f.getPath(), f.getLengthBytes());
                    adminDone(req, c.isOk() ? 0 : c.errno().neg(), c.isOk() ? f.getPath() + ": created with a hole of " + f.getLengthBytes() + " bytes" : cmd + ": " + c.message());
                    return;
                }
                if (f.getLengthBytes() < st.value().sizeBytes()) { adminDone(req, Errno.EINVAL.neg(), cmd + ": extend shrinks the file; use truncate"); return; }
                FsResult<Void> r = fs.truncate(f.getPath(), f.getLengthBytes());
                adminDone(req, r.isOk() ? 0 : r.errno().neg(), r.isOk() ? f.getPath() + ": now " + f.getLengthBytes() + " bytes" : cmd + ": " + r.message());
            }
            default -> adminDone(req, Errno.EINVAL.neg(), cmd + ": unknown operation");
        }
    }

    /**
     * umount + mount of the filesystem at mountPoint [inferred: forced, as after a host restart, since
     * a mapped file would keep a real umount busy]. What the metadata holds survives: blocks stay
     * where they are and unwritten extents stay unwritten, so pages a guest stored to through its
     * p2m (no host fault, no conversion) read as zeros through the filesystem from now on. Every
     * mapping of every file is broken as the design says; `refuse` keeps the mount busy (EBUSY).
     */
    private void remount(Envelope req, String mountPoint, String cmd) {
        DaxFilesystem fs = mounts.get(mountPoint);
        if (fs == null) { adminDone(req, Errno.EINVAL.neg(), cmd + ": not a mount point"); return; }
        List<String> mapped = new ArrayList<>();
        for (String p : mappers.keySet()) if (fs.stat(p).isOk()) mapped.add(p);
        if (!mapped.isEmpty() && cfg.invalidation().equals("refuse")) {
            adminDone(req, Errno.EBUSY.neg(), "umount: " + mountPoint + ": target is busy (" + mapped.get(0) + " is mapped into a guest)");
            return;
        }
        log("%s (%s): Unmounting Filesystem", fs.type().name(), fs.device().name());
        remountNext(fs, mapped, 0, () -> {
            long unwritten = 0;
            for (String p : mapped) unwritten += fs.unwrittenPages(p);
            log("%s (%s): Mounting Filesystem with DAX on %s", fs.type().name(), fs.device().name(), mountPoint);
            adminDone(req, 0, org.vnvdimm.contract.ComponentBehavior.format("%s remounted; %d mapped file(s), %d page(s) of them still unwritten (read as zeros)", mountPoint, mapped.size(), unwritten));
        });
    }

    private void remountNext(DaxFilesystem fs, List<String> paths, int i, Runnable k) {
        if (i == paths.size()) { k.run(); return; }
        String path = paths.get(i);
        long pages = pagesOf(fs.stat(path).value().sizeBytes());
        breakLayouts(fs, path, 0, pages, "remount", null, () -> finishChange(fs, path, 0, pages, FsResult.ok(null), "remount",
                rc -> remountNext(fs, paths, i + 1, k)), rc -> remountNext(fs, paths, i + 1, k));
    }

    /**
     * Before a write of [off, +len): if a page is a hole or shared, the write allocates or copies on
     * write, which breaks layouts like any move. k gets 0 or -errno.
     */
    private void prepareWrite(DaxFilesystem fs, String path, long off, long len, java.util.function.IntConsumer k) {
        long p0 = off / PAGE_SIZE, p1 = pagesOf(off + len);
        boolean shared = false;
        List<FileRun> holes = new ArrayList<>();
        for (FileRun r : fs.mapping(path, p0, p1 - p0).value()) {
            shared |= !r.hole() && fs.isShared(r.block());
            if (r.hole()) holes.add(r);
        }
        if (!shared && holes.isEmpty()) { k.accept(0); return; }
        // Filling a hole moves nothing that is mapped; copying shared blocks on write does.
        Runnable change = () -> {
            FsResult<Void> r = fs.cowWrite(path, off, len);
            if (!r.isOk()) { k.accept(r.errno().neg()); return; }
            // Blocks a DAX filesystem allocates are zeroed before use (XFS_BMAPI_ZERO / ext4 zeroout).
            List<long[]> zero = new ArrayList<>();
            for (FileRun h : holes) {
                for (FileRun b : fs.mapping(path, h.fileOffsetPages(), h.nrPages()).value()) {
                    if (!b.hole()) zero.add(new long[] {fs.device().spaOf(b.block() * PAGE_SIZE), b.nrPages() * PAGE_SIZE});
                }
            }
            zeroAll(zero, 0, zrc -> {
                if (zrc < 0) { k.accept(zrc); return; }
                finishChange(fs, path, p0, p1, r, r.invalidations().isEmpty() ? "alloc" : "cow", k);
            });
        };
        if (shared) breakLayouts(fs, path, p0, p1, "write " + path, null, change, k);
        else change.run();
    }

    private void breakLayouts(DaxFilesystem fs, String path, long p0, long p1, String cmd, Envelope req, Runnable k) {
        breakLayouts(fs, path, p0, p1, cmd, req, k, rc -> { });
    }

    /**
     * Break the layouts of pages [p0, p1): the guests that map them (through a QEMU's mmap) lose
     * them first, as design `invalidation` says, then k runs the change. `refuse` fails the command
     * with -ETXTBSY (as for a swap file) when a guest maps any of the pages.
     */
    private void breakLayouts(DaxFilesystem fs, String path, long p0, long p1, String cmd, Envelope req, Runnable k, java.util.function.IntConsumer failed) {
        List<long[]> work = new ArrayList<>();   // {domid, gfn, mfn, nr}
        int mappedBy = -1;
        for (Mapper m : mappers.getOrDefault(path, List.of())) {
            long a = Math.max(p0, 0), b = Math.min(p1, m.nrGfns());
            if (a >= b) continue;
            mappedBy = m.domid();
            for (FileRun r : fs.mapping(path, a, b - a).value()) {
                if (!r.hole()) work.add(new long[] {m.domid(), m.gfn() + r.fileOffsetPages(), fs.mfnOf(r.block()), r.nrPages()});
            }
        }
        if (mappedBy < 0) { k.run(); return; }
        if (work.isEmpty() && !cfg.invalidation().equals("refuse")) { k.run(); return; }   // only holes: nothing mapped there
        switch (cfg.invalidation()) {
            case "refuse" -> {
                log("%s: %s is mapped into d%d: layout change refused (xen pmem)", fs.device().name(), path, mappedBy);
                if (req != null) adminDone(req, Errno.ETXTBSY.neg(), cmd + ": Text file busy (mapped into d" + mappedBy + ")");
                failed.accept(Errno.ETXTBSY.neg());
            }
            case "notifier" -> {
                log("xen_pmem: layout break of %s pages %#x-%#x: removing the guest mappings", path, p0, p1);
                removeAll(work, 0, k);
            }
            case "notifier-racy" -> {
                // Acknowledges the filesystem as soon as the removals are sent, not when Xen has done them.
                log("xen_pmem: layout break of %s pages %#x-%#x: removing the guest mappings (acknowledged at once)", path, p0, p1);
                removeAll(work, 0, () -> { });
                k.run();
            }
            default -> k.run();   // none: nothing tells Xen; only QEMU's own VMA is unmapped
        }
    }

    /** XEN_DOMCTL_memory_mapping DPCI_REMOVE_MAPPING over each run, repeated while Xen reports partial progress. */
    private void removeAll(List<long[]> work, int i, Runnable k) {
        if (i == work.size()) { k.run(); return; }
        long[] w = work.get(i);
        removeLoop((int) w[0], w[1], w[2], w[3], () -> removeAll(work, i + 1, k));
    }

    private void removeLoop(int domid, long gfn, long mfn, long nr, Runnable k) {
        hypercall(Envelope.newBuilder().setDomctl(Domctl.newBuilder().setCmd(XEN_DOMCTL_memory_mapping).setInterfaceVersion(XEN_DOMCTL_INTERFACE_VERSION)
                .setDomain(domid).setMemoryMapping(DomctlMemoryMapping.newBuilder().setFirstGfn(gfn).setFirstMfn(mfn).setNrMfns(nr)
                        .setAddMapping(DPCI_REMOVE_MAPPING))), r -> {
            long rc = r.getRc();
            if (rc > 0 && rc < nr) { removeLoop(domid, gfn + rc, mfn + rc, nr - rc, k); return; }
            // -EINVAL: those frames were not mapped (a range not re-mapped since the last break).
            if (rc < 0) log("xen_pmem: remove d%d gfn %#x nr %d: %s", domid, gfn, nr, Errno.name((int) rc));
            k.run();
        });
    }

    /**
     * After a change: copy moved blocks (CoW, defrag), zero newly allocated ones (DAX hands out
     * zeroed blocks), tell each QEMU that maps the file where the pages are now, then let freed
     * blocks go back to the allocator. k gets 0 or -EIO.
     */
    private void finishChange(DaxFilesystem fs, String path, long p0, long p1, FsResult<Void> r, String cause, java.util.function.IntConsumer k) {
        List<long[]> copies = new ArrayList<>();   // {fromSpa, toSpa, bytes}
        for (org.vnvdimm.dom0.fs.Invalidation inv : r.invalidations()) {
            if (inv.freed()) continue;
            // One bus copy per moved extent: its cost is the extent's, not its pages'.
            copies.add(new long[] {fs.device().spaOf(inv.oldBlock() * PAGE_SIZE), fs.device().spaOf(inv.newBlock() * PAGE_SIZE), inv.nrPages() * PAGE_SIZE});
        }
        List<FileRun> now = fs.mapping(path, p0, p1 - p0).value();
        copyAll(copies, 0, rc -> {
            if (rc < 0) { k.accept(rc); return; }
            for (Mapper m : mappers.getOrDefault(path, List.of())) {
                long a = p0, b = Math.min(p1, m.nrGfns());
                if (a >= b) continue;
                LayoutBreak.Builder lb = LayoutBreak.newBuilder().setPath(path).setFilePgoff(a).setNr(b - a).setCause(cause);
                for (FileRun run : now) {
                    long s0 = Math.max(a, run.fileOffsetPages()), s1 = Math.min(b, run.fileOffsetPages() + run.nrPages());
                    if (run.hole() || s0 >= s1) continue;
                    lb.addNow(FileExtent.newBuilder().setFilePgoff(s0).setMfn(fs.mfnOf(run.block() + (s0 - run.fileOffsetPages()))).setNr(s1 - s0));
                }
                send(m.qemu(), Envelope.newBuilder().setLayoutBreak(lb));
            }
            if (r.invalidationSeq() > 0) fs.acknowledge(r.invalidationSeq());
            k.accept(0);
        });
    }

    private void zeroAll(List<long[]> runs, int i, java.util.function.IntConsumer k) {
        if (i == runs.size()) { k.accept(0); return; }
        mem(MemAccess.newBuilder().setOp(MemAccess.Op.FILL).setSpa(runs.get(i)[0]).setLen(runs.get(i)[1]), d -> {
            if (d.getRc() != 0) { k.accept(ioError(d)); return; }
            zeroAll(runs, i + 1, k);
        });
    }

    private void copyAll(List<long[]> copies, int i, java.util.function.IntConsumer k) {
        if (i == copies.size()) { k.accept(0); return; }
        long[] c = copies.get(i);
        // The moved blocks are contiguous on the device, so are their SPAs (one namespace, one region).
        mem(MemAccess.newBuilder().setOp(MemAccess.Op.COPY).setSrcSpa(c[0]).setSpa(c[1]).setLen(c[2]), d -> {
            if (d.getRc() != 0) { k.accept(ioError(d)); return; }
            copyAll(copies, i + 1, k);
        });
    }

    /** Dom0's store of data at file offset off (the blocks exist): one bus access per contiguous piece. */
    private void busWrite(DaxFilesystem fs, String path, long off, byte[] data, int done, java.util.function.IntConsumer k) {
        if (done >= data.length) { k.accept(0); return; }
        long at = off + done;
        long spa = fs.device().spaOf(fs.physicalOf(path, at).value());
        int n = (int) Math.min(data.length - done, PAGE_SIZE - (at % PAGE_SIZE));
        mem(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE).setSpa(spa).setData(ByteString.copyFrom(data, done, n)), d -> {
            if (d.getRc() != 0) { k.accept(ioError(d)); return; }
            busWrite(fs, path, off, data, done + n, k);
        });
    }
}
