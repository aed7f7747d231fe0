package org.vnvdimm.dom0;

import java.util.Locale;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.QmpJson;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;

/**
 * xl and libxl in Dom0: builds HVM domains (createdomain, RAM, memory map, xenstore, device model),
 * sets up pmem areas with XEN_SYSCTL_nvdimm_op, and grants iomem to a guest on its QEMU's request.
 * Every step waits for the previous one's answer, as libxl's synchronous calls do.
 */
public final class Toolstack extends ComponentBehavior {
    /** HVM_BELOW_4G_RAM_END: guest RAM above this goes above 4 GiB. */
    static final long HVM_BELOW_4G_RAM_END = 0xF0000000L;
    static final long FOUR_GIB = 1L << 32;
    static final long DEFAULT_DM_ACPI_BYTES = 64L << 10;
    static final int EXTENTS_PER_CALL = 1024;
    static final int SUPERPAGE_ORDER = 9;

    /** A domain this toolstack built. */
    static final class Guest {
        final DomainConfig cfg;
        final Envelope request;
        int domid;
        long lowmemBytes;
        long dmAcpiAddr;
        long dmAcpiBytes;
        boolean unpaused;
        /** libxl's device-model spawn timeout, armed while waiting for "running" (0: none). */
        long dmTimer;
        /** vNVDIMMs xl has named so far (xen_nvdimm1..N; hot-added ones continue the count). */
        int nvdimmsNamed;
        /** The QEMU id of the vNVDIMM in each known slot. */
        final TreeMap<Integer, String> idBySlot = new TreeMap<>();

        Guest(DomainConfig cfg, Envelope request) {
            this.cfg = cfg;
            this.request = request;
        }
    }

    private final TreeMap<Integer, Guest> guests = new TreeMap<>();

    public static Behavior<Envelope> create(ActorRef<StepResult> wire) {
        return create(wire, false);
    }

    /** @param preallocBackends design key qemu_prealloc: give every file backend QEMU's prealloc=on */
    public static Behavior<Envelope> create(ActorRef<StepResult> wire, boolean preallocBackends) {
        return create(wire, preallocBackends, false);
    }

    /** @param refuseFsdaxDma design key dma: refuse: no fs-dax vNVDIMM for a domain with a passthrough device */
    public static Behavior<Envelope> create(ActorRef<StepResult> wire, boolean preallocBackends, boolean refuseFsdaxDma) {
        return Behaviors.setup(ctx -> new Toolstack(ctx, wire, preallocBackends, refuseFsdaxDma));
    }

    private final boolean preallocBackends;

    private final boolean refuseFsdaxDma;

    private Toolstack(ActorContext<Envelope> ctx, ActorRef<StepResult> wire, boolean preallocBackends, boolean refuseFsdaxDma) {
        super(ctx, Roles.XL, wire);
        this.preallocBackends = preallocBackends;
        this.refuseFsdaxDma = refuseFsdaxDma;
    }

    @Override
    protected void handle(Envelope e) {
        switch (e.getPayloadCase()) {
            case ADMIN_COMMAND -> {
                AdminCommand a = e.getAdminCommand();
                switch (a.getCmdCase()) {
                    case XL_PMEM_SETUP -> pmemSetup(e, a.getXlPmemSetup());
                    case XL_CREATE -> create(e, a.getXlCreate().getDomain());
                    case NVDIMM_HOTPLUG -> nvdimmHotplug(e, a.getNvdimmHotplug());
                    case NVDIMM_UNPLUG -> nvdimmUnplug(e, a.getNvdimmUnplug());
                    case GUEST_IO -> guestIo(e, a.getGuestIo());
                    default -> throw new ProtocolError("xl cannot run " + a.getCmdCase());
                }
            }
            case IOMEM_GRANT_REQUEST -> iomemGrant(e);
            case XS_WATCH_EVENT -> watchFired(e.getXsWatchEvent());
            default -> throw new ProtocolError("xl does not expect " + e.getPayloadCase());
        }
    }

    // ------------------------------------------------------------------ plumbing


    private static Envelope.Builder domctl(int cmd, int domid, Domctl.Builder d) {
        return Envelope.newBuilder().setDomctl(d.setCmd(cmd).setInterfaceVersion(XEN_DOMCTL_INTERFACE_VERSION).setDomain(domid));
    }

    private void xsWrite(String path, String value, LongConsumer k) {
        call(Roles.XENSTORED, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_WRITE).setPath(path).setValue(value)),
                r -> k.accept(r.getXsResponse().getType() == XS_ERROR ? -1 : 0));
    }

    /** Write (path, value) pairs one after another, then continue. */
    private void xsWriteAll(List<String[]> kv, int i, LongConsumer k) {
        if (i == kv.size()) { k.accept(0); return; }
        xsWrite(kv.get(i)[0], kv.get(i)[1], rc -> {
            if (rc != 0) { k.accept(rc); return; }
            xsWriteAll(kv, i + 1, k);
        });
    }

    private void done(Envelope request, long rc, String output) {
        replyTo(request, Envelope.newBuilder().setAdminResult(AdminResult.newBuilder().setRc((int) rc).setOutput(output)));
    }

    // ------------------------------------------------------------------ xl pmem-setup

    /**
     * rfc-v4's `xl pmem-list -r` then `xl pmem-setup -m` and `-d` with the areas the scenario names
     * (the admin reads the RAW list before choosing; listing first is this simulator's admin script).
     */
    private void pmemSetup(Envelope req, XlPmemSetup p) {
        hypercall(nvdimmOp(XenSysctlNvdimmOp.newBuilder().setCmd(XEN_SYSCTL_nvdimm_pmem_get_regions_nr)
                .setPmemRegionsNr(XenSysctlNvdimmPmemRegionsNr.newBuilder().setType(PMEM_REGION_TYPE_RAW))), r1 -> {
            if (r1.getRc() != 0) { done(req, r1.getRc(), "xl: pmem-list -r failed: " + Errno.name(r1.getRc())); return; }
            int n = r1.getNvdimm().getPmemRegionsNr().getNumRegions();
            hypercall(nvdimmOp(XenSysctlNvdimmOp.newBuilder().setCmd(XEN_SYSCTL_nvdimm_pmem_get_regions)
                    .setPmemRegions(XenSysctlNvdimmPmemRegions.newBuilder().setType(PMEM_REGION_TYPE_RAW).setNumRegions(n))), r2 -> {
                if (r2.getRc() != 0) { done(req, r2.getRc(), "xl: pmem-list -r failed: " + Errno.name(r2.getRc())); return; }
                for (XenSysctlNvdimmPmemRawRegion x : r2.getNvdimm().getPmemRegions().getRawRegionsList()) {
                    log("xl pmem-list -r: smfn %#x emfn %#x pxm %d [inferred: the admin lists before pmem-setup]", x.getSmfn(), x.getEmfn(), x.getPxm());
                }
                setupMgmtThenData(req, p.getMgmtSmfn(), p.getMgmtEmfn(), p.getDataSmfn(), p.getDataEmfn());
            });
        });
    }

    private static Envelope.Builder nvdimmOp(XenSysctlNvdimmOp.Builder op) {
        return Envelope.newBuilder().setSysctl(Sysctl.newBuilder().setCmd(XEN_SYSCTL_nvdimm_op).setInterfaceVersion(XEN_SYSCTL_INTERFACE_VERSION)
                .setNvdimm(op));
    }

    private static Envelope.Builder pmemSetupCall(int type, long s, long e, long ms, long me) {
        return Envelope.newBuilder().setSysctl(Sysctl.newBuilder().setCmd(XEN_SYSCTL_nvdimm_op).setInterfaceVersion(XEN_SYSCTL_INTERFACE_VERSION)
                .setNvdimm(XenSysctlNvdimmOp.newBuilder().setCmd(XEN_SYSCTL_nvdimm_pmem_setup)
                        .setPmemSetup(XenSysctlNvdimmPmemSetup.newBuilder().setType(type).setSmfn(s).setEmfn(e).setMgmtSmfn(ms).setMgmtEmfn(me))));
    }

    private void setupMgmtThenData(Envelope req, long ms, long me, long ds, long de) {
        hypercall(pmemSetupCall(PMEM_REGION_TYPE_MGMT, ms, me, ms, me), r1 -> {
            if (r1.getRc() != 0) {
                done(req, r1.getRc(), org.vnvdimm.contract.ComponentBehavior.format("xl: pmem-setup -m %#x %#x failed: %s", ms, me, Errno.name(r1.getRc())));
                return;
            }
            hypercall(pmemSetupCall(PMEM_REGION_TYPE_DATA, ds, de, ms, me), r2 -> {
                if (r2.getRc() != 0) {
                    done(req, r2.getRc(), org.vnvdimm.contract.ComponentBehavior.format("xl: pmem-setup -d %#x %#x %#x %#x failed: %s", ds, de, ms, me, Errno.name(r2.getRc())));
                    return;
                }
                done(req, 0, org.vnvdimm.contract.ComponentBehavior.format("management MFNs %#x-%#x, data MFNs %#x-%#x", ms, me, ds, de));
            });
        });
    }

    // ------------------------------------------------------------------ xl create

    private void create(Envelope req, DomainConfig cfg) {
        if (refuseFsdaxDma && cfg.getPassthrough()) {
            // As Linux 4.15's get_user_pages_longterm refuses long-term pins of fs-dax pages
            // (-EOPNOTSUPP) and allows device-dax: a device's DMA cannot be stopped by a block move.
            for (VnvdimmConfig v : cfg.getVnvdimmsList()) {
                if (isMfn(v) || v.getFile().startsWith("/dev/")) continue;
                done(req, Errno.EOPNOTSUPP.neg(), "libxl: error: " + cfg.getName() + ": vNVDIMM " + v.getFile()
                        + " is a file on a DAX filesystem and the domain has a passthrough device: DMA into fs-dax pages is refused"
                        + " (as get_user_pages_longterm, Linux 4.15) [inferred]");
                return;
            }
        }
        Guest g = new Guest(cfg, req);
        long memBytes = (cfg.getMemoryBytes() + (2L << 20) - 1) & -(2L << 20);
        int vcpus = Math.max(1, cfg.getVcpus());
        // Xen 4.10's createdomain: ssidref, handle, flags and the arch config; the vCPUs follow with
        // XEN_DOMCTL_max_vcpus (libxl__build_pre), as max_vcpus joined createdomain only in 4.12.
        hypercall(domctl(XEN_DOMCTL_createdomain, cfg.getDomid(), Domctl.newBuilder().setCreatedomain(DomctlCreateDomain.newBuilder()
                .setFlags(XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap)
                .setConfig(XenArchDomainconfig.newBuilder().setEmulationFlags(XEN_X86_EMU_ALL)))), r -> {
            if (r.getRc() != 0) { done(req, r.getRc(), "libxl: error: domain creation failed: " + Errno.name(r.getRc())); return; }
            g.domid = r.getDomctl().getDomain();
            guests.put(g.domid, g);
            g.dmAcpiBytes = cfg.getDmAcpiBytes() > 0 ? cfg.getDmAcpiBytes() : DEFAULT_DM_ACPI_BYTES;
            g.lowmemBytes = Math.min(memBytes, HVM_BELOW_4G_RAM_END);
            g.dmAcpiAddr = g.lowmemBytes - g.dmAcpiBytes;
            long maxKb = (memBytes >>> 10) + 1024;
            if (cfg.getPassthrough()) {
                // xl pci = ['00:04.0']: libxl assigns the device (xc_assign_device) [inferred: here, before the build].
                hypercall(domctl(XEN_DOMCTL_assign_device, g.domid, Domctl.newBuilder().setAssignDevice(DomctlAssignDevice.newBuilder()
                        .setDev(0).setMachineSbdf(0x20))), ra -> {
                    if (ra.getRc() != 0) { fail(g, ra.getRc(), "assign_device 0000:00:04.0"); return; }
                    build(g, vcpus, maxKb, memBytes);
                });
                return;
            }
            build(g, vcpus, maxKb, memBytes);
        });
    }

    private void build(Guest g, int vcpus, long maxKb, long memBytes) {
        {
            hypercall(domctl(XEN_DOMCTL_max_vcpus, g.domid, Domctl.newBuilder().setMaxVcpus(DomctlMaxVcpus.newBuilder().setMax(vcpus))), rv -> {
                if (rv.getRc() != 0) { fail(g, rv.getRc(), "max_vcpus"); return; }
                hypercall(domctl(XEN_DOMCTL_max_mem, g.domid, Domctl.newBuilder().setMaxMem(DomctlMaxMem.newBuilder().setMaxMemkb(maxKb))), r2 -> {
                    if (r2.getRc() != 0) { fail(g, r2.getRc(), "max_mem"); return; }
                    List<Long> extents = new ArrayList<>();
                    long step = PAGE_SIZE << SUPERPAGE_ORDER;
                    for (long a = 0; a < g.lowmemBytes; a += step) extents.add(a >>> PAGE_SHIFT);
                    for (long a = FOUR_GIB; a < FOUR_GIB + (memBytes - g.lowmemBytes); a += step) extents.add(a >>> PAGE_SHIFT);
                    populate(g, extents, 0, () -> setMemoryMap(g, memBytes));
                });
            });
        }
    }

    /**
     * A failed build: libxl destroys the half-built domain (domcreate_complete ->
     * libxl__domain_destroy) before xl reports the error, so nothing is left paused.
     */
    private void fail(Guest g, long rc, String what) {
        guests.remove(g.domid);
        hypercall(domctl(XEN_DOMCTL_destroydomain, g.domid, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance())), r ->
                done(g.request, rc, "libxl: error: d" + g.domid + ": " + what + " failed: " + Errno.name(rc)
                        + (r.getRc() == 0 ? "; domain destroyed" : "; destroying it failed: " + Errno.name(r.getRc()))));
    }

    /** xc_domain_populate_physmap in batches; a short count means the heap or max_mem ran out. */
    private void populate(Guest g, List<Long> extents, int from, Runnable k) {
        if (from == extents.size()) { k.run(); return; }
        List<Long> batch = extents.subList(from, Math.min(extents.size(), from + EXTENTS_PER_CALL));
        hypercall(Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_populate_physmap)
                .setReservation(XenMemoryReservation.newBuilder().setDomid(g.domid).setExtentOrder(SUPERPAGE_ORDER)
                        .setNrExtents(batch.size()).addAllExtentStart(batch))), r -> {
            if (r.getRc() <= 0) { fail(g, r.getRc() < 0 ? r.getRc() : Errno.ENOMEM.neg(), "populate_physmap"); return; }
            populate(g, extents, from + (int) r.getRc(), k);
        });
    }

    private void setMemoryMap(Guest g, long memBytes) {
        XenMemoryMap.Builder map = XenMemoryMap.newBuilder();
        map.addBuffer(E820Entry.newBuilder().setAddr(0).setSize(g.dmAcpiAddr).setType(E820_RAM));
        map.addBuffer(E820Entry.newBuilder().setAddr(g.dmAcpiAddr).setSize(g.dmAcpiBytes).setType(E820_RESERVED));
        if (memBytes > g.lowmemBytes) map.addBuffer(E820Entry.newBuilder().setAddr(FOUR_GIB).setSize(memBytes - g.lowmemBytes).setType(E820_RAM));
        map.setNrEntries(map.getBufferCount());
        hypercall(Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_set_memory_map)
                .setSetMemoryMap(XenForeignMemoryMap.newBuilder().setDomid(g.domid).setMap(map))), r -> {
            if (r.getRc() != 0) { fail(g, r.getRc(), "set_memory_map"); return; }
            writeStore(g, memBytes);
        });
    }

    private void writeStore(Guest g, long memBytes) {
        String home = "/local/domain/" + g.domid;
        List<String[]> kv = new ArrayList<>(List.of(
                new String[] {home + "/name", g.cfg.getName()},
                new String[] {home + "/memory/target", Long.toString(memBytes >>> 10)},
                new String[] {home + "/" + HVM_XS_DM_ACPI_ADDRESS, "0x" + Long.toHexString(g.dmAcpiAddr)},
                new String[] {home + "/" + HVM_XS_DM_ACPI_LENGTH, "0x" + Long.toHexString(g.dmAcpiBytes)}));
        kv.addAll(workloadKeys(g.domid, g.cfg));
        xsWriteAll(kv, 0, rc -> {
            if (rc != 0) { fail(g, Errno.EIO.neg(), "xenstore write"); return; }
            String state = "/local/domain/0/device-model/" + g.domid + "/state";
            call(Roles.XENSTORED, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_WATCH).setPath(state)
                    .setToken("dm-" + g.domid)), w -> startDeviceModel(g, memBytes));
        });
    }

    /** Where xl leaves the guest's workload for it (a simulator-only key, like libxl's data/ area for guest agents). */
    static final String WORKLOAD_DIR = "data/vnvdimm-sim";

    /**
     * The domain config's workload as xenstore keys under /local/domain/<domid>/data/vnvdimm-sim:
     * pattern_bytes and pattern_seed, decimal. Written after createdomain, before the unpause.
     */
    static List<String[]> workloadKeys(int domid, DomainConfig cfg) {
        if (!cfg.hasWorkload()) return List.of();
        String dir = "/local/domain/" + domid + "/" + WORKLOAD_DIR;
        return List.of(
                new String[] {dir + "/pattern_bytes", Long.toUnsignedString(cfg.getWorkload().getPatternBytes())},
                new String[] {dir + "/pattern_seed", Long.toUnsignedString(cfg.getWorkload().getPatternSeed())});
    }

    private void startDeviceModel(Guest g, long memBytes) {
        if (g.cfg.getVnvdimmsCount() == 0 && g.cfg.getDeviceModelArgsCount() == 0) {
            // No device model needed for the simulation: the guest runs straight away.
            unpause(g);
            return;
        }
        statAll(g, 0, new ArrayList<>(), sizes -> {
            send(Roles.qemu(g.domid),
                    Envelope.newBuilder().setDeviceModelStart(DeviceModelStart.newBuilder().setDomid(g.domid).addAllArgv(qemuArgv(g, memBytes, sizes, preallocBackends))));
            // libxl__spawn_spawn waits for device-model/N/state with LIBXL_DEVICE_MODEL_START_TIMEOUT.
            g.dmTimer = setTimer(DEVICE_MODEL_START_TIMEOUT_NS, "libxl: domain " + g.domid + " device model startup", () -> dmTimedOut(g));
        });
    }

    /** LIBXL_DEVICE_MODEL_START_TIMEOUT (libxl_internal.h, Xen 4.10): 60 seconds. */
    static final long DEVICE_MODEL_START_TIMEOUT_NS = 60_000_000_000L;

    /**
     * The device model never wrote "running" (it died, or the write or the watch was lost): libxl's
     * spawn times out and domain creation fails; libxl destroys the half-built domain.
     * [inferred: libxl also notices a QEMU that exits during startup through its spawn's middle
     * process; the simulation has only the timeout]
     */
    private void dmTimedOut(Guest g) {
        g.dmTimer = 0;
        if (g.unpaused || !guests.containsKey(g.domid)) return;
        log("libxl: error: libxl_exec.c: domain %d device model: startup timed out", g.domid);
        fail(g, Errno.ETIMEDOUT.neg(), "device model startup");
    }

    private void statAll(Guest g, int i, List<Long> sizes, Consumer<List<Long>> k) {
        if (i == g.cfg.getVnvdimmsCount()) { k.accept(sizes); return; }
        if (isMfn(g.cfg.getVnvdimms(i))) {
            // rfc-v4 type=mfn: the size is nr_pages, no file to stat
            sizes.add(g.cfg.getVnvdimms(i).getNrPages() << PAGE_SHIFT);
            statAll(g, i + 1, sizes, k);
            return;
        }
        String path = g.cfg.getVnvdimms(i).getFile();
        call(Roles.DOM0, Envelope.newBuilder().setFileStat(FileStat.newBuilder().setPath(path)), r -> {
            FileStatReply s = r.getFileStatReply();
            if (s.getRc() != 0) { fail(g, s.getRc(), "vnvdimm " + path); return; }
            sizes.add(s.getSizeBytes());
            statAll(g, i + 1, sizes, k);
        });
    }

    /** The device-model command line, as libxl_dm.c would build it for vnvdimms. */
    static List<String> qemuArgv(Guest g, long memBytes, List<Long> sizes) {
        return qemuArgv(g, memBytes, sizes, false);
    }

    static List<String> qemuArgv(Guest g, long memBytes, List<Long> sizes, boolean preallocBackends) {
        long align2m = 2L << 20;
        long devices = 0;
        for (long s : sizes) devices += (s + (1L << 30) - 1) & -(1L << 30);
        // Memory devices the user added with device_model_args need slots and maxmem room too.
        // Slots kept free for nvdimm_hotplug, 1 GiB of maxmem each. [inferred]
        int slots = sizes.size() + g.cfg.getHotplugSlots();
        devices += (long) g.cfg.getHotplugSlots() << 30;
        List<String> extra = g.cfg.getDeviceModelArgsList();
        for (int i = 0; i + 1 < extra.size(); i++) {
            String opt = extra.get(i), val = extra.get(i + 1);
            if (opt.equals("-device") && (val.startsWith("nvdimm") || val.startsWith("pc-dimm"))) slots++;
            if (opt.equals("-object") && val.startsWith("memory-backend")) devices += (sizeProperty(val) + (1L << 30) - 1) & -(1L << 30);
        }
        List<String> a = new ArrayList<>(List.of("-xen-domid", Integer.toString(g.domid), "-machine", "xenfv,nvdimm=on",
                "-m", (memBytes >>> 20) + "M,slots=" + Math.max(1, slots) + ",maxmem=" + ((memBytes + devices) >>> 20) + "M"));
        for (int i = 0; i < sizes.size(); i++) {
            VnvdimmConfig v = g.cfg.getVnvdimms(i);
            long size = sizes.get(i);
            a.add("-object");
            if (isMfn(v)) {
                // rfc-v4 libxl_dm.c: memory-backend-xen with the host address and size of the pages
                a.add("memory-backend-xen,id=mem" + (i + 1) + ",host-addr=" + (v.getBackend() << PAGE_SHIFT) + ",size=" + size);
            } else {
                a.add("memory-backend-file,id=mem" + (i + 1) + ",mem-path=" + v.getFile() + ",size=" + size + ",share=on"
                        + (size % align2m == 0 ? ",align=2M" : "") + (preallocBackends ? ",prealloc=on" : ""));
            }
            StringBuilder dev = new StringBuilder("nvdimm,id=xen_nvdimm" + (i + 1) + ",memdev=mem" + (i + 1));
            if (v.getLabelBytes() > 0) dev.append(",label-size=").append(v.getLabelBytes());
            if (v.getNode() > 0) dev.append(",node=").append(v.getNode());
            if (v.hasSlot()) dev.append(",slot=").append(v.getSlot());
            a.add("-device");
            a.add(dev.toString());
        }
        a.addAll(extra);
        return a;
    }

    /** The size= property of a QEMU -object option (K/M/G/T suffixes, 1024-based); 0 if absent. */
    static long sizeProperty(String option) {
        for (String kv : option.split(",")) {
            if (!kv.startsWith("size=")) continue;
            String v = kv.substring(5).trim();
            long mul = 1;
            char c = v.isEmpty() ? '0' : Character.toUpperCase(v.charAt(v.length() - 1));
            int shift = "KMGT".indexOf(c);
            if (shift >= 0) {
                mul = 1L << (10 * (shift + 1));
                v = v.substring(0, v.length() - 1);
            }
            try {
                return Long.parseLong(v) * mul;
            } catch (NumberFormatException ex) {
                return 0;   // QEMU itself will name the bad value
            }
        }
        return 0;
    }

    private void watchFired(XsWatchEvent w) {
        if (!w.getToken().startsWith("dm-")) return;
        int domid;
        try {
            domid = Integer.parseInt(w.getToken().substring(3));
        } catch (NumberFormatException ex) {
            throw new ProtocolError("watch token " + w.getToken());
        }
        Guest g = guests.get(domid);
        if (g == null || g.unpaused) return;
        call(Roles.XENSTORED, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_READ).setPath(w.getPath())), r -> {
            if (r.getXsResponse().getType() == XS_ERROR) return;   // not written yet: the first, initial event
            String state = r.getXsResponse().getValue();
            if (state.equals("running") && !g.unpaused) {
                if (g.dmTimer != 0) { cancelTimer(g.dmTimer); g.dmTimer = 0; }
                if (g.cfg.getVnvdimmsList().stream().anyMatch(Toolstack::isMfn)) mapPmem(g, () -> unpause(g));
                else unpause(g);
            }
            else if (!state.equals("running")) log("libxl: device model for d%d reports state \"%s\"", domid, state);
        });
    }

    static boolean isMfn(VnvdimmConfig v) { return v.getType().equals("mfn"); }

    private static final java.util.regex.Pattern QMP_NVDIMM = java.util.regex.Pattern.compile(
            "\"slot\": (\\d+), \"id\": \"([^\"]*)\", \"addr\": (\\d+), \"size\": (\\d+)");

    /**
     * rfc-v4 libxl (libxl_qmp.c, libxl_vnvdimm_add_pages): QMP query-memory-devices; for each nvdimm
     * the id must be xen_nvdimm<slot+1>, addr and size page-aligned and size within the config's
     * nr_pages; then XENMEM_populate_pmem_map {domid, mfn = backend, gfn = addr >> 12, nr_mfns}.
     * A failure aborts the domain's creation.
     */
    private void mapPmem(Guest g, Runnable k) {
        call(Roles.qemu(g.domid), Envelope.newBuilder().setQmpCommand(QmpCommand.newBuilder().setJson("{\"execute\": \"query-memory-devices\"}")), r -> {
            QmpReply q = r.getQmpReply();
            if (q.getError()) { fail(g, Errno.EIO.neg(), "QMP query-memory-devices: " + q.getJson()); return; }
            List<long[]> todo = new ArrayList<>();   // {mfn, gfn, nr}
            java.util.regex.Matcher m = QMP_NVDIMM.matcher(q.getJson());
            while (m.find()) {
                int slot = Integer.parseInt(m.group(1));
                long addr = Long.parseLong(m.group(3)), size = Long.parseLong(m.group(4));
                if (slot >= g.cfg.getVnvdimmsCount() || !m.group(2).equals("xen_nvdimm" + (slot + 1))) continue;
                VnvdimmConfig v = g.cfg.getVnvdimms(slot);
                if (!isMfn(v)) continue;
                if ((addr & (PAGE_SIZE - 1)) != 0 || (size & (PAGE_SIZE - 1)) != 0 || (size >>> PAGE_SHIFT) > v.getNrPages()) {
                    fail(g, Errno.EINVAL.neg(), org.vnvdimm.contract.ComponentBehavior.format("vnvdimm %d: QEMU placed it at %#x size %#x", slot, addr, size));
                    return;
                }
                todo.add(new long[] {v.getBackend(), addr >>> PAGE_SHIFT, size >>> PAGE_SHIFT});
            }
            populatePmem(g, todo, 0, XENMEM_populate_pmem_map, k);
        });
    }

    /**
     * xc_domain_populate_pmem_map: one call per device (nr_mfns fits an unsigned int here). Xen's
     * continuation shows on the wire as -ERESTART with the cmd to re-issue; in real Xen that re-issue
     * happens inside the hypervisor (hypercall_create_continuation) and libxc never sees it [inferred:
     * the simulation makes the continuation a visible round trip].
     */
    private void populatePmem(Guest g, List<long[]> todo, int i, int cmd, Runnable k) {
        populatePmem(g, todo, i, cmd, k, null);
    }

    /** As above; onError (null: the domain's creation fails) gets a refusal's rc. */
    private void populatePmem(Guest g, List<long[]> todo, int i, int cmd, Runnable k, java.util.function.IntConsumer onError) {
        if (i == todo.size()) { k.run(); return; }
        long[] t = todo.get(i);
        hypercall(Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(cmd).setPmemMap(XenPmemMap.newBuilder()
                .setDomid(g.domid).setMfn(t[0]).setGfn(t[1]).setNrMfns((int) t[2]))), r -> {
            if (r.getRc() == Errno.ERESTART.neg() && r.hasContinuationCmd()) {
                log("libxc: XENMEM_populate_pmem_map continues from page %d [inferred: real Xen re-enters it through its own continuation]",
                        Integer.toUnsignedLong(r.getContinuationCmd()) >>> MEMOP_EXTENT_SHIFT);
                populatePmem(g, todo, i, r.getContinuationCmd(), k, onError);
                return;
            }
            if (r.getRc() != 0) {
                String what = org.vnvdimm.contract.ComponentBehavior.format("populate_pmem_map mfn %#x gfn %#x nr %d", t[0], t[1], t[2]);
                if (onError == null) fail(g, r.getRc(), what);
                else { log("libxl: %s: %s", what, Errno.name(r.getRc())); onError.accept((int) r.getRc()); }
                return;
            }
            populatePmem(g, todo, i + 1, XENMEM_populate_pmem_map, k, onError);
        });
    }

    private void unpause(Guest g) {
        g.unpaused = true;
        hypercall(domctl(XEN_DOMCTL_unpausedomain, g.domid, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance())), r -> {
            if (r.getRc() != 0) { fail(g, r.getRc(), "unpause"); return; }
            done(g.request, 0, "d" + g.domid + " (" + g.cfg.getName() + ") running");
        });
    }

    // ------------------------------------------------------------------ vNVDIMM hotplug through QMP

    /** A domain by name, as xl's find_domain resolves it; null if none. */
    private Guest byName(String name) {
        for (Guest g : guests.values()) if (g.cfg.getName().equals(name)) return g;
        return null;
    }

    /**
     * xl's answer to an unknown domain: find_domain prints "NAME is an invalid domain identifier
     * (rc=-6)" (libxl's ERROR_INVAL) and exits 1; the step fails with -EINVAL.
     */
    private boolean unknownDomain(Envelope req, String name, Guest g) {
        if (g != null && g.unpaused) return false;
        done(req, Errno.EINVAL.neg(), name + " is an invalid domain identifier (rc=-6)");
        return true;
    }

    /**
     * A QMP error ends the command: libxl logs "received an error message from QMP server: DESC"
     * and fails with ERROR_FAIL, xl exits 1; QMP errors carry no errno, so the step fails with
     * -EINVAL [inferred].
     */
    private boolean qmpFailed(Envelope req, Guest g, QmpReply r) {
        if (!r.getError()) return false;
        String desc = r.getJson();
        try {
            Object err = QmpJson.parse(r.getJson()).get("error");
            if (err instanceof java.util.Map<?, ?> m && m.get("desc") != null) desc = String.valueOf(m.get("desc"));
        } catch (QmpJson.JsonError ex) {
            // keep the raw answer
        }
        done(req, Errno.EINVAL.neg(), "libxl: error: libxl_qmp.c: Domain " + g.domid + ":received an error message from QMP server: " + desc);
        return true;
    }

    /** The ids xl gave its boot vNVDIMMs, by the slot QEMU gives them (explicit, else first free in order). */
    private static void knowBootSlots(Guest g) {
        if (g.nvdimmsNamed > 0) return;
        java.util.BitSet used = new java.util.BitSet();
        for (VnvdimmConfig v : g.cfg.getVnvdimmsList()) if (v.hasSlot()) used.set(v.getSlot());
        for (int i = 0; i < g.cfg.getVnvdimmsCount(); i++) {
            VnvdimmConfig v = g.cfg.getVnvdimms(i);
            int slot = v.hasSlot() ? v.getSlot() : used.nextClearBit(0);
            used.set(slot);
            g.idBySlot.put(slot, "xen_nvdimm" + (i + 1));
        }
        g.nvdimmsNamed = g.cfg.getVnvdimmsCount();
    }

    /**
     * nvdimm_hotplug: stat the backing file (its size is the backend's size), then QMP
     * object_add memory-backend-file and device_add nvdimm to the domain's QEMU. Under rfc-v4
     * (type mfn) the backend is memory-backend-xen over host pmem pages, and once QEMU has placed
     * the device xl gives the guest its pages with XENMEM_populate_pmem_map, as at creation.
     */
    private void nvdimmHotplug(Envelope req, NvdimmHotplug h) {
        Guest g = byName(h.getDomain());
        if (unknownDomain(req, h.getDomain(), g)) return;
        knowBootSlots(g);
        if (h.getType().equals("mfn")) {
            java.util.Map<String, Object> obj = new java.util.LinkedHashMap<>();
            obj.put("qom-type", "memory-backend-xen");
            obj.put("host-addr", h.getBackend() << PAGE_SHIFT);
            obj.put("size", h.getNrPages() << PAGE_SHIFT);
            hotAdd(req, g, h, obj, "mfn " + org.vnvdimm.contract.ComponentBehavior.format("%#x", h.getBackend()));
            return;
        }
        call(Roles.DOM0, Envelope.newBuilder().setFileStat(FileStat.newBuilder().setPath(h.getFile())), r -> {
            FileStatReply st = r.getFileStatReply();
            if (st.getRc() != 0) { done(req, st.getRc(), "xl: " + h.getFile() + ": " + Errno.name(st.getRc())); return; }
            java.util.Map<String, Object> obj = new java.util.LinkedHashMap<>();
            obj.put("qom-type", "memory-backend-file");
            obj.put("mem-path", h.getFile());
            obj.put("size", st.getSizeBytes());
            obj.put("share", true);
            if (st.getSizeBytes() % (2L << 20) == 0) obj.put("align", 2L << 20);
            hotAdd(req, g, h, obj, h.getFile());
        });
    }

    /** object_add of the backend (its id inserted after qom-type), then device_add nvdimm on it. */
    private void hotAdd(Envelope req, Guest g, NvdimmHotplug h, java.util.Map<String, Object> backend, String what) {
        int n = ++g.nvdimmsNamed;
        String mem = "mem" + n, id = "xen_nvdimm" + n;
        java.util.Map<String, Object> obj = new java.util.LinkedHashMap<>();
        obj.put("qom-type", backend.get("qom-type"));
        obj.put("id", mem);
        for (java.util.Map.Entry<String, Object> x : backend.entrySet()) if (!x.getKey().equals("qom-type")) obj.put(x.getKey(), x.getValue());
        call(Roles.qemu(g.domid), Envelope.newBuilder().setQmpCommand(QmpCommand.newBuilder().setJson(QmpJson.command("object_add", obj))), r1 -> {
            if (qmpFailed(req, g, r1.getQmpReply())) return;
            java.util.Map<String, Object> dev = new java.util.LinkedHashMap<>();
            dev.put("driver", "nvdimm");
            dev.put("id", id);
            dev.put("memdev", mem);
            if (h.getLabelBytes() > 0) dev.put("label-size", h.getLabelBytes());
            if (h.hasSlot()) dev.put("slot", (long) h.getSlot());
            if (h.getNode() > 0) dev.put("node", (long) h.getNode());
            call(Roles.qemu(g.domid), Envelope.newBuilder().setQmpCommand(QmpCommand.newBuilder().setJson(QmpJson.command("device_add", dev))), r2 -> {
                if (qmpFailed(req, g, r2.getQmpReply())) return;
                if (h.hasSlot()) g.idBySlot.put(h.getSlot(), id);
                String ok = "d" + g.domid + " (" + g.cfg.getName() + "): nvdimm " + id + " added (" + what + ")";
                if (!h.getType().equals("mfn")) { done(req, 0, ok); return; }
                populateHotAdded(g, id, h, rc -> done(req, rc, rc == 0 ? ok + ", its pages populated" : "xl: " + id + ": " + Errno.name(rc)));
            });
        });
    }

    /**
     * rfc-v4 after a device_add: query-memory-devices for where QEMU placed the device, then
     * XENMEM_populate_pmem_map its pages at that gfn. [inferred] rfc-v4 wired up only boot-time
     * vNVDIMMs (facts H4); xl doing for a hot-added one what libxl does at creation is the design's
     * evident extension. QEMU has already told the guest (GPE0.4) by then.
     */
    private void populateHotAdded(Guest g, String id, NvdimmHotplug h, java.util.function.IntConsumer k) {
        call(Roles.qemu(g.domid), Envelope.newBuilder().setQmpCommand(QmpCommand.newBuilder().setJson("{\"execute\": \"query-memory-devices\"}")), r -> {
            QmpReply q = r.getQmpReply();
            if (q.getError()) { k.accept(Errno.EIO.neg()); return; }
            java.util.regex.Matcher m = QMP_NVDIMM.matcher(q.getJson());
            while (m.find()) {
                if (!m.group(2).equals(id)) continue;
                long addr = Long.parseLong(m.group(3)), size = Long.parseLong(m.group(4));
                if ((addr & (PAGE_SIZE - 1)) != 0 || (size & (PAGE_SIZE - 1)) != 0 || (size >>> PAGE_SHIFT) > h.getNrPages()) { k.accept(Errno.EINVAL.neg()); return; }
                List<long[]> todo = List.<long[]>of(new long[] {h.getBackend(), addr >>> PAGE_SHIFT, size >>> PAGE_SHIFT});
                populatePmem(g, todo, 0, XENMEM_populate_pmem_map, () -> k.accept(0), k);
                return;
            }
            k.accept(Errno.ENODEV.neg());
        });
    }

    /**
     * guest_io: what the admin asks the guest itself to do (as over its console) [inferred]: xl
     * resolves the name and hands the command to the guest, whose answer is the step's.
     */
    private void guestIo(Envelope req, GuestIoStep io) {
        Guest g = byName(io.getDomain());
        if (unknownDomain(req, io.getDomain(), g)) return;
        call(Roles.guest(g.domid), Envelope.newBuilder().setGuestCommand(GuestCommand.newBuilder().setIo(io)), r -> {
            if (!r.hasAdminResult()) throw new ProtocolError("guest answered " + r.getPayloadCase());
            done(req, r.getAdminResult().getRc(), r.getAdminResult().getOutput());
        });
    }

    /** nvdimm_unplug: QMP device_del of the vNVDIMM in that slot (QEMU refuses it). */
    private void nvdimmUnplug(Envelope req, NvdimmUnplug u) {
        Guest g = byName(u.getDomain());
        if (unknownDomain(req, u.getDomain(), g)) return;
        knowBootSlots(g);
        String id = g.idBySlot.get(u.getSlot());
        if (id == null) { done(req, Errno.ENODEV.neg(), "xl: " + u.getDomain() + " has no vNVDIMM in slot " + u.getSlot()); return; }
        call(Roles.qemu(g.domid), Envelope.newBuilder().setQmpCommand(QmpCommand.newBuilder().setJson(QmpJson.command("device_del",
                java.util.Map.of("id", id)))), r -> {
            if (qmpFailed(req, g, r.getQmpReply())) return;
            g.idBySlot.remove(u.getSlot());
            done(req, 0, "d" + g.domid + ": " + id + " removed");
        });
    }

    // ------------------------------------------------------------------ iomem on QEMU's behalf

    private void iomemGrant(Envelope e) {
        IomemGrantRequest q = e.getIomemGrantRequest();
        // A device model may ask only for the domain it serves.
        if (!Roles.isQemu(e.getFrom()) || Roles.servedDomain(e.getFrom()) != q.getDomid() || !guests.containsKey(q.getDomid())) {
            reply(Envelope.newBuilder().setIomemGrantReply(IomemGrantReply.newBuilder().setRc(Errno.EPERM.neg())));
            return;
        }
        Envelope req = e;
        hypercall(domctl(XEN_DOMCTL_iomem_permission, q.getDomid(), Domctl.newBuilder().setIomemPermission(DomctlIomemPermission.newBuilder()
                .setFirstMfn(q.getFirstMfn()).setNrMfns(q.getNrMfns()).setAllowAccess(1))),
                r -> replyTo(req, Envelope.newBuilder().setIomemGrantReply(IomemGrantReply.newBuilder().setRc((int) r.getRc()))));
    }
}
