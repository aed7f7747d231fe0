package org.vnvdimm.sim.record;

import static org.vnvdimm.contract.XenAbi.*;

import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.XenAbi;
import org.vnvdimm.proto.*;

/** One line per message, in Xen's vocabulary, for people reading a trace. */
public final class TraceFormatter {
    private TraceFormatter() {}

    public static String hex(long v) { return "0x" + Long.toHexString(v); }

    /** A size as xfs_io's commands take it: 2m, 64k or bytes. */
    public static String xfsIoSize(long bytes) {
        if (bytes % (1L << 20) == 0) return (bytes >> 20) + "m";
        if (bytes % 1024 == 0) return (bytes >> 10) + "k";
        return Long.toString(bytes);
    }

    static String size(long bytes) {
        if (bytes >= (1L << 40) && bytes % (1L << 40) == 0) return (bytes >> 40) + "TiB";
        if (bytes >= (1L << 30) && bytes % (1L << 30) == 0) return (bytes >> 30) + "GiB";
        if (bytes >= (1L << 20) && bytes % (1L << 20) == 0) return (bytes >> 20) + "MiB";
        if (bytes >= (1L << 10) && bytes % (1L << 10) == 0) return (bytes >> 10) + "KiB";
        return bytes + "B";
    }

    /** The message's own words (no seq, no roles). */
    public static String describe(Envelope e) {
        return switch (e.getPayloadCase()) {
            case POWER_ON -> step(e) + "power on";
            case FIRMWARE_HANDOFF -> firmware(e.getFirmwareHandoff());
            case MEM_ACCESS -> memAccess(e.getMemAccess());
            case MEM_ACCESS_DONE -> memDone(e.getMemAccessDone());
            case MMU_UPDATE -> "mmu_update MMU_NORMAL_PT_UPDATE mfn=" + hex(e.getMmuUpdate().getMfn()) + " nr_ptes=" + hex(e.getMmuUpdate().getNrPtes())
                    + (e.getMmuUpdate().getWritable() ? " rw" : " ro") + " (one call per run [inferred])";
            case ACPI_NOTIFY -> "Notify(" + e.getAcpiNotify().getDevice() + ", " + hex(e.getAcpiNotify().getValue()) + ")";
            case HOTPLUG_DIMM -> step(e) + "hot-add DIMM handle=" + hex(e.getHotplugDimm().getHandle()) + " spa=" + hex(e.getHotplugDimm().getSpa())
                    + " size=" + size(e.getHotplugDimm().getSizeBytes()) + " pxm=" + e.getHotplugDimm().getPxm();
            case ACPI_EVAL -> "evaluate " + e.getAcpiEval().getPath();
            case ACPI_EVAL_RESULT -> "→ " + (e.getAcpiEvalResult().getStatus() == 0 ? "Buffer (" + e.getAcpiEvalResult().getData().size() + " bytes)"
                    : Errno.name(e.getAcpiEvalResult().getStatus()));
            case QMP_COMMAND -> "QMP " + e.getQmpCommand().getJson();
            case QMP_REPLY -> "QMP ↩ " + e.getQmpReply().getJson();
            case DOMCTL -> domctl(e.getDomctl());
            case SYSCTL -> sysctl(e.getSysctl());
            case PLATFORM_OP -> platformOp(e.getPlatformOp());
            case MEMORY_OP -> memoryOp(e.getMemoryOp());
            case DM_OP -> dmOp(e.getDmOp());
            case FOREIGN_MEM_ACCESS -> foreign(e.getForeignMemAccess());
            case HYPERCALL_RET -> ret(e.getHypercallRet());
            case DOMAIN_START -> domainStart(e.getDomainStart());
            case IOREQ -> ioreq(e.getIoreq());
            case IOREQ_DONE -> "ioreq done dom=" + e.getIoreqDone().getDomid() + (e.getIoreqDone().getRc() != 0 ? " rc=" + Errno.name(e.getIoreqDone().getRc()) : "") + (e.getIoreqDone().getBuf().isEmpty() ? " data=" + hex(e.getIoreqDone().getData()) : " " + e.getIoreqDone().getBuf().size() + " bytes");
            case XS_REQUEST -> xs(e.getXsRequest());
            case XS_RESPONSE -> xsResp(e.getXsResponse());
            case XS_WATCH_EVENT -> "XS_WATCH_EVENT " + e.getXsWatchEvent().getPath() + " token=" + e.getXsWatchEvent().getToken();
            case ADMIN_COMMAND -> step(e) + admin(e.getAdminCommand());
            case ADMIN_RESULT -> "result rc=" + Errno.name(e.getAdminResult().getRc())
                    + (e.getAdminResult().getOutput().isEmpty() ? "" : " " + firstLine(e.getAdminResult().getOutput()));
            case FILE_MMAP -> "mmap " + e.getFileMmap().getPath() + " len=" + size(e.getFileMmap().getLen()) + mmapFlags(e.getFileMmap().getFlags());
            case FILE_MMAP_REPLY -> "mmap → " + Errno.name(e.getFileMmapReply().getRc()) + " size=" + size(e.getFileMmapReply().getSize())
                    + " on /dev/" + e.getFileMmapReply().getBdev();
            case FIEMAP -> "ioctl(FS_IOC_FIEMAP) " + e.getFiemap().getPath();
            case FIEMAP_REPLY -> fiemapReply(e.getFiemapReply());
            case SYSFS_READ -> "read " + e.getSysfsRead().getPath();
            case SYSFS_REPLY -> "→ " + (e.getSysfsReply().getRc() == 0 ? e.getSysfsReply().getValue() : Errno.name(e.getSysfsReply().getRc()));
            case DEVICE_MODEL_START -> "spawn qemu-system-i386 " + String.join(" ", e.getDeviceModelStart().getArgvList());
            case IOMEM_GRANT_REQUEST -> "iomem grant dom=" + e.getIomemGrantRequest().getDomid() + " first_mfn=" + hex(e.getIomemGrantRequest().getFirstMfn())
                    + " nr_mfns=" + e.getIomemGrantRequest().getNrMfns();
            case IOMEM_GRANT_REPLY -> "iomem grant → " + Errno.name(e.getIomemGrantReply().getRc());
            case FILE_STAT -> "stat " + e.getFileStat().getPath();
            case FILE_STAT_REPLY -> "stat → " + (e.getFileStatReply().getRc() == 0
                    ? "size=" + size(e.getFileStatReply().getSizeBytes()) + " on /dev/" + e.getFileStatReply().getBdev()
                    : Errno.name(e.getFileStatReply().getRc()));
            case FILE_IO -> (e.getFileIo().getPopulate() ? "write-fault (prealloc) " : e.getFileIo().getWrite() ? "pwrite " : "pread ") + e.getFileIo().getPath() + " off=" + hex(e.getFileIo().getOffset())
                    + " len=" + e.getFileIo().getLen();
            case FILE_IO_REPLY -> "→ " + Errno.name(e.getFileIoReply().getRc());
            case GUEST_MEM_ACCESS -> guestMem(e.getGuestMemAccess());
            case GUEST_IO -> (e.getGuestIo().getWrite() ? "out" : "in") + sizeSuffix(e.getGuestIo().getSize()) + " port " + hex(e.getGuestIo().getPort())
                    + (e.getGuestIo().getWrite() ? " value " + hex(e.getGuestIo().getData()) : "");
            case GUEST_IO_DONE -> "io done data=" + hex(e.getGuestIoDone().getData());
            case GUEST_COMMAND -> "guest_io " + e.getGuestCommand().getIo().getOp() + " vNVDIMM " + e.getGuestCommand().getIo().getVnvdimm()
                    + " offset " + hex(e.getGuestCommand().getIo().getOffsetBytes()) + " length " + e.getGuestCommand().getIo().getLengthBytes();
            case LAYOUT_BREAK -> layoutBreak(e.getLayoutBreak());
            case GUEST_FAULT -> "fault gpa=" + hex(e.getGuestFault().getGpa()) + " " + p2mTypeName(e.getGuestFault().getP2MType())
                    + " " + Errno.name(e.getGuestFault().getRc()) + " " + e.getGuestFault().getReason();
            case GUEST_INTERRUPT -> "interrupt ISA IRQ " + e.getGuestInterrupt().getIsaIrq() + " (GSI " + e.getGuestInterrupt().getGsi() + ") → vCPU0"
                    + (e.getGuestInterrupt().getIsaIrq() == ACPI_SCI_IRQ ? " (SCI)" : "");
            case TIMER_FIRED -> "timer: " + e.getTimerFired().getWhat() + " timed out";
            case STATE_DUMP_REQUEST -> "state dump request after #" + e.getStateDumpRequest().getAfterSeq();
            case PAYLOAD_NOT_SET -> "(empty)";
        };
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " …";
    }

    private static String sizeSuffix(int size) {
        return switch (size) { case 1 -> "b"; case 2 -> "w"; default -> "l"; };
    }

    private static String mmapFlags(int f) {
        StringBuilder b = new StringBuilder(" ");
        b.append((f & MAP_SHARED_VALIDATE) == MAP_SHARED_VALIDATE ? "MAP_SHARED_VALIDATE" : (f & MAP_SHARED) != 0 ? "MAP_SHARED" : "MAP_PRIVATE");
        if ((f & MAP_SYNC) != 0) b.append("|MAP_SYNC");
        return b.toString();
    }

    private static String firmware(FirmwareHandoff f) {
        StringBuilder b = new StringBuilder("E820 (").append(f.getE820Count()).append(" entries");
        for (E820Entry x : f.getE820List()) {
            if (x.getType() == E820_PMEM) b.append(", ").append(hex(x.getAddr())).append('+').append(size(x.getSize())).append(" type 7");
        }
        b.append("), ACPI");
        for (AcpiTableBlob t : f.getAcpiTablesList()) b.append(' ').append(t.getSignature()).append('@').append(hex(t.getAddress()));
        return b.toString();
    }

    private static String memAccess(MemAccess m) {
        String who = m.getInitiatorDomid() == DOMID_XEN ? "xen" : "d" + m.getInitiatorDomid();
        String gpa = m.getGpa() != 0 ? " (gpa " + hex(m.getGpa()) + ")" : "";
        return switch (m.getOp()) {
            case READ -> "read spa=" + hex(m.getSpa()) + " len=" + m.getLen() + " by " + who + gpa;
            case WRITE -> "write spa=" + hex(m.getSpa()) + " len=" + m.getData().size() + " by " + who + gpa;
            case FILL -> "fill spa=" + hex(m.getSpa()) + " len=" + size(m.getLen()) + " with " + (m.getFillTag().isEmpty() ? "zeros" : m.getFillTag()) + " by " + who;
            case COPY -> "copy spa=" + hex(m.getSrcSpa()) + " to spa=" + hex(m.getSpa()) + " len=" + size(m.getLen()) + " by " + who;
            case FLUSH -> "clwb+sfence spa=" + hex(m.getSpa()) + " len=" + m.getLen() + " by " + who + gpa;
            case UNRECOGNIZED -> "memory access (unknown op)";
        };
    }

    private static String memDone(MemAccessDone d) {
        return "done " + Errno.name(d.getRc()) + (d.getData().isEmpty() ? "" : " " + d.getData().size() + " bytes")
                + (d.getGpa() != 0 ? " gpa=" + hex(d.getGpa()) : "");
    }

    static String domctlName(int cmd) {
        return switch (cmd) {
            case XEN_DOMCTL_createdomain -> "XEN_DOMCTL_createdomain";
            case XEN_DOMCTL_destroydomain -> "XEN_DOMCTL_destroydomain";
            case XEN_DOMCTL_pausedomain -> "XEN_DOMCTL_pausedomain";
            case XEN_DOMCTL_unpausedomain -> "XEN_DOMCTL_unpausedomain";
            case XEN_DOMCTL_max_mem -> "XEN_DOMCTL_max_mem";
            case XEN_DOMCTL_max_vcpus -> "XEN_DOMCTL_max_vcpus";
            case XEN_DOMCTL_iomem_permission -> "XEN_DOMCTL_iomem_permission";
            case XEN_DOMCTL_memory_mapping -> "XEN_DOMCTL_memory_mapping";
            case XEN_DOMCTL_assign_device -> "XEN_DOMCTL_assign_device";
            default -> "XEN_DOMCTL_" + cmd;
        };
    }

    /** XEN_DOMCTL_CDF_* by name, joined with '|' as Xen's headers spell them; unknown bits in hex. */
    static String cdfFlags(int flags) {
        String[] names = {"XEN_DOMCTL_CDF_hvm_guest", "XEN_DOMCTL_CDF_hap", "XEN_DOMCTL_CDF_s3_integrity", "XEN_DOMCTL_CDF_oos_off", "XEN_DOMCTL_CDF_xs_domain"};
        StringBuilder b = new StringBuilder();
        int rest = flags;
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) == 0) continue;
            if (b.length() > 0) b.append('|');
            b.append(names[i]);
            rest &= ~(1 << i);
        }
        if (rest != 0) b.append(b.length() > 0 ? "|" : "").append(hex(rest));
        return b.length() == 0 ? "0" : b.toString();
    }

    private static String domctl(Domctl d) {
        StringBuilder b = new StringBuilder(domctlName(d.getCmd())).append(" dom=").append(d.getDomain());
        switch (d.getUCase()) {
            case CREATEDOMAIN -> {
                DomctlCreateDomain c = d.getCreatedomain();
                b.append(" ssidref=").append(c.getSsidref()).append(" flags=").append(cdfFlags(c.getFlags()));
                if (c.hasConfig()) b.append(" emulation_flags=").append(hex(c.getConfig().getEmulationFlags()));
            }
            case MAX_VCPUS -> b.append(" max=").append(d.getMaxVcpus().getMax());
            case ASSIGN_DEVICE -> b.append(" dev=").append(d.getAssignDevice().getDev()).append(" machine_sbdf=").append(hex(d.getAssignDevice().getMachineSbdf()));
            case MAX_MEM -> b.append(" max_memkb=").append(d.getMaxMem().getMaxMemkb());
            case IOMEM_PERMISSION -> b.append(" first_mfn=").append(hex(d.getIomemPermission().getFirstMfn()))
                    .append(" nr_mfns=").append(d.getIomemPermission().getNrMfns())
                    .append(d.getIomemPermission().getAllowAccess() != 0 ? " allow" : " deny");
            case MEMORY_MAPPING -> {
                DomctlMemoryMapping m = d.getMemoryMapping();
                b.append(" first_gfn=").append(hex(m.getFirstGfn())).append(" first_mfn=").append(hex(m.getFirstMfn()))
                        .append(" nr_mfns=").append(m.getNrMfns()).append(m.getAddMapping() == DPCI_ADD_MAPPING ? " add" : " remove");
            }
            default -> { }
        }
        return b.toString();
    }

    static String nvdimmCmdName(int cmd) {
        return switch (cmd) {
            case XEN_SYSCTL_nvdimm_pmem_get_regions_nr -> "pmem_get_regions_nr";
            case XEN_SYSCTL_nvdimm_pmem_get_regions -> "pmem_get_regions";
            case XEN_SYSCTL_nvdimm_pmem_setup -> "pmem_setup";
            default -> "cmd " + cmd;
        };
    }

    static String regionType(int t) {
        return switch (t) { case PMEM_REGION_TYPE_RAW -> "RAW"; case PMEM_REGION_TYPE_MGMT -> "MGMT"; case PMEM_REGION_TYPE_DATA -> "DATA"; default -> "type " + t; };
    }

    private static String sysctl(Sysctl s) {
        if (s.getUCase() != Sysctl.UCase.NVDIMM) return "XEN_SYSCTL_" + s.getCmd();
        XenSysctlNvdimmOp n = s.getNvdimm();
        StringBuilder b = new StringBuilder("XEN_SYSCTL_nvdimm_op ").append(nvdimmCmdName(n.getCmd()));
        switch (n.getUCase()) {
            case PMEM_REGIONS_NR -> b.append(" type=").append(regionType(n.getPmemRegionsNr().getType()));
            case PMEM_REGIONS -> b.append(" type=").append(regionType(n.getPmemRegions().getType())).append(" num_regions=").append(n.getPmemRegions().getNumRegions());
            case PMEM_SETUP -> {
                XenSysctlNvdimmPmemSetup p = n.getPmemSetup();
                b.append(' ').append(regionType(p.getType())).append(" smfn=").append(hex(p.getSmfn())).append(" emfn=").append(hex(p.getEmfn()));
                if (p.getType() == PMEM_REGION_TYPE_DATA) b.append(" mgmt=").append(hex(p.getMgmtSmfn())).append('-').append(hex(p.getMgmtEmfn()));
            }
            default -> { }
        }
        return b.toString();
    }

    private static String platformOp(PlatformOp p) {
        if (p.getUCase() != PlatformOp.UCase.PMEM_ADD) return "XENPF_" + p.getCmd();
        XenpfPmemAdd a = p.getPmemAdd();
        // struct xenpf_pmem_add's six fields; each area as its [spfn-epfn) pair
        return "XENPF_pmem_add spfn=" + hex(a.getSpfn()) + " epfn=" + hex(a.getEpfn())
                + " rsv=" + hex(a.getRsvSpfn()) + "-" + hex(a.getRsvEpfn())
                + " data=" + hex(a.getDataSpfn()) + "-" + hex(a.getDataEpfn());
    }

    private static String memoryOp(MemoryOp m) {
        return switch (m.getArgCase()) {
            case MEMORY_MAP -> (m.getCmd() == XENMEM_machine_memory_map ? "XENMEM_machine_memory_map" : "XENMEM_memory_map")
                    + (m.getMemoryMap().getNullBuffer() ? " buffer=NULL" : " nr_entries=" + m.getMemoryMap().getNrEntries());
            case SET_MEMORY_MAP -> "XENMEM_set_memory_map dom=" + m.getSetMemoryMap().getDomid() + " nr_entries=" + m.getSetMemoryMap().getMap().getBufferCount();
            case RESERVATION -> {
                XenMemoryReservation r = m.getReservation();
                String name = m.getCmd() == XENMEM_populate_physmap ? "XENMEM_populate_physmap" : "XENMEM_" + m.getCmd();
                yield name + " dom=" + r.getDomid() + " nr_extents=" + r.getNrExtents() + " extent_order=" + r.getExtentOrder()
                        + (r.getExtentStartCount() > 0 ? " first_gpfn=" + hex(r.getExtentStart(0)) : "");
            }
            case PMEM_MAP -> {
                XenPmemMap p = m.getPmemMap();
                int start = m.getCmd() >>> MEMOP_EXTENT_SHIFT;
                yield "XENMEM_populate_pmem_map dom=" + p.getDomid() + " mfn=" + hex(p.getMfn()) + " gfn=" + hex(p.getGfn())
                        + " nr_mfns=" + Integer.toUnsignedString(p.getNrMfns()) + (start != 0 ? " (continued from " + start + ")" : "");
            }
            case ARG_NOT_SET -> "XENMEM_" + m.getCmd();
        };
    }

    private static String dmOp(DmOp d) {
        return switch (d.getUCase()) {
            case CREATE_IOREQ_SERVER -> "XEN_DMOP_create_ioreq_server dom=" + d.getDomid();
            case MAP_IO_RANGE_TO_IOREQ_SERVER -> {
                XenDmOpIoreqServerRange r = d.getMapIoRangeToIoreqServer();
                yield "XEN_DMOP_map_io_range_to_ioreq_server dom=" + d.getDomid() + " id=" + r.getId()
                        + (r.getType() == XEN_DMOP_IO_RANGE_PORT ? " port " : " mmio ") + hex(r.getStart()) + "-" + hex(r.getEnd());
            }
            case SET_IOREQ_SERVER_STATE -> "XEN_DMOP_set_ioreq_server_state dom=" + d.getDomid() + " id=" + d.getSetIoreqServerState().getId()
                    + " enabled=" + d.getSetIoreqServerState().getEnabled();
            case SET_ISA_IRQ_LEVEL -> "XEN_DMOP_set_isa_irq_level dom=" + d.getDomid() + " isa_irq=" + d.getSetIsaIrqLevel().getIsaIrq()
                    + " level=" + d.getSetIsaIrqLevel().getLevel();
            case U_NOT_SET -> "XEN_DMOP_" + d.getOp();
        };
    }

    private static String foreign(ForeignMemAccess f) {
        return "xenforeignmemory " + (f.getWrite() ? "write" : "read") + " dom=" + f.getDomid() + " gpa=" + hex(f.getGpa()) + " len=" + f.getLen();
    }

    /** A hypercall's return value as Xen developers read it. */
    public static String rc(long rc) {
        if (rc > 0) return rc + " (partial)";
        return Errno.name(rc);
    }

    private static String ret(HypercallRet r) {
        // A positive rc means different things per call (progress, extents done); the request's
        // line says "(partial)" where it is memory_mapping's progress.
        StringBuilder b = new StringBuilder("ret ").append(Errno.name(r.getRc()));
        switch (r.getOutCase()) {
            case DOMCTL -> { if (r.getDomctl().getCmd() == XEN_DOMCTL_createdomain) b.append(" domid=").append(r.getDomctl().getDomain()); }
            case NVDIMM -> {
                XenSysctlNvdimmOp n = r.getNvdimm();
                if (n.getErr() != 0) b.append(" err=").append(Errno.name(-n.getErr()));
                if (n.hasPmemRegionsNr()) b.append(" num_regions=").append(n.getPmemRegionsNr().getNumRegions());
                if (n.hasPmemRegions()) {
                    for (XenSysctlNvdimmPmemRawRegion x : n.getPmemRegions().getRawRegionsList())
                        b.append(" [").append(hex(x.getSmfn())).append('-').append(hex(x.getEmfn())).append(" pxm ").append(x.getPxm()).append(']');
                }
            }
            case MEMORY_MAP -> b.append(" nr_entries=").append(r.getMemoryMap().getNrEntries());
            case CONTINUATION_CMD -> b.append(" continue with cmd ").append(r.getContinuationCmd() & MEMOP_CMD_MASK)
                    .append(" from ").append(r.getContinuationCmd() >>> MEMOP_EXTENT_SHIFT);
            case DM_OP -> { if (r.getDmOp().hasCreateIoreqServer()) b.append(" id=").append(r.getDmOp().getCreateIoreqServer().getId()); }
            case DATA -> b.append(' ').append(r.getData().size()).append(" bytes");
            default -> { }
        }
        return b.toString();
    }

    private static String domainStart(DomainStart d) {
        if (d.getDomid() == 0) {
            StringBuilder b = new StringBuilder("start PV dom0 kernel, nr_pages=").append(d.getNrPages()).append(", ACPI");
            for (AcpiTableBlob t : d.getAcpiTablesList()) b.append(' ').append(t.getSignature());
            return b.toString();
        }
        return "start d" + d.getDomid() + " vcpu0 (hvmloader)";
    }

    private static String layoutBreak(LayoutBreak b) {
        StringBuilder s = new StringBuilder("layout break (").append(b.getCause()).append(") ").append(b.getPath())
                .append(" pages ").append(hex(b.getFilePgoff())).append('+').append(b.getNr()).append(" now");
        if (b.getNowCount() == 0) s.append(" a hole");
        for (FileExtent x : b.getNowList()) s.append(" [").append(hex(x.getFilePgoff())).append(" → mfn ").append(hex(x.getMfn())).append(" +").append(x.getNr()).append(']');
        return s.toString();
    }

    private static String ioreq(Ioreq q) {
        return "ioreq " + (q.getType() == IOREQ_TYPE_PIO ? "pio" : "mmio") + (q.getDir() == IOREQ_WRITE ? " write " : " read ")
                + hex(q.getAddr()) + " size=" + q.getSize() + (q.getDir() == IOREQ_WRITE && q.getType() == IOREQ_TYPE_PIO ? " data=" + hex(q.getData()) : "") + " d" + q.getDomid();
    }

    private static String xs(XsRequest x) {
        String base = XenAbi.xsTypeName(x.getType()) + " " + x.getPath();
        return switch (x.getType()) {
            case XS_WRITE -> base + " = \"" + x.getValue() + "\"";
            case XS_WATCH, XS_UNWATCH -> base + " token=" + x.getToken();
            default -> base;
        };
    }

    private static String xsResp(XsResponse r) {
        if (r.getType() == XS_ERROR) return "XS_ERROR " + r.getError();
        if (r.getType() == XS_DIRECTORY) return "→ [" + String.join(", ", r.getEntriesList()) + "]";
        if (r.getType() == XS_READ) return "→ \"" + r.getValue() + "\"";
        return "→ OK";
    }

    /** The scenario's step number, as the summary and expect.step_failures count them (the envelope's tag). */
    private static String step(Envelope e) {
        return e.getFrom().equals("admin") && e.getTag() > 0 ? "step " + org.vnvdimm.sim.run.ScenarioDriver.stepOfTag(e.getTag()) + ": " : "";
    }

    private static String admin(AdminCommand a) {
        return switch (a.getCmdCase()) {
            case NDCTL_CREATE_NAMESPACE -> {
                NdctlCreateNamespace n = a.getNdctlCreateNamespace();
                yield "ndctl create-namespace --region=" + n.getRegion() + " --mode=" + n.getMode() + " --map=" + n.getMap()
                        + (n.getXenReserveBytes() > 0 ? " --xen-reserve=" + size(n.getXenReserveBytes()) : "");
            }
            case XL_PMEM_SETUP -> {
                XlPmemSetup p = a.getXlPmemSetup();
                // with from_namespace (profile seeds) the step is the probe where rfc-v1's Dom0 reports the namespace
                yield p.getFromNamespace().isEmpty()
                        ? "xl pmem-list -r; xl pmem-setup -m " + hex(p.getMgmtSmfn()) + " " + hex(p.getMgmtEmfn())
                                + "; xl pmem-setup -d " + hex(p.getDataSmfn()) + " " + hex(p.getDataEmfn()) + " " + hex(p.getMgmtSmfn()) + " " + hex(p.getMgmtEmfn())
                        : "probe pfn-xen " + p.getFromNamespace() + " (Dom0 reports it: XENPF_pmem_add)";
            }
            case MOUNT -> "mount -t " + a.getMount().getType() + " -o dax " + a.getMount().getDev() + " " + a.getMount().getMount();
            case MKFS -> "mkfs." + a.getMkfs().getType() + " " + a.getMkfs().getDev() + " && mount -o dax " + a.getMkfs().getDev() + " " + a.getMkfs().getMount();
            case CREATE_FILE -> (a.getCreateFile().getExtentSizeBytes() > 0 ? "xfs_io -f -c 'extsize " + xfsIoSize(a.getCreateFile().getExtentSizeBytes()) + "' "
                    + a.getCreateFile().getPath() + " && " : "") + "fallocate -l " + size(a.getCreateFile().getSizeBytes()) + " " + a.getCreateFile().getPath();
            case XL_CREATE -> "xl create " + a.getXlCreate().getDomain().getName() + ".cfg";
            case NVDIMM_HOTPLUG -> "xl qemu-monitor-command " + a.getNvdimmHotplug().getDomain() + " object_add + device_add nvdimm " + a.getNvdimmHotplug().getFile();
            case NVDIMM_UNPLUG -> "xl qemu-monitor-command " + a.getNvdimmUnplug().getDomain() + " device_del (slot " + a.getNvdimmUnplug().getSlot() + ")";
            case FS -> org.vnvdimm.sim.run.ScenarioDriver.fsCommand(a.getFs());
            case GUEST_IO -> "in " + a.getGuestIo().getDomain() + ": " + a.getGuestIo().getOp() + " vNVDIMM " + a.getGuestIo().getVnvdimm()
                    + " offset " + hex(a.getGuestIo().getOffsetBytes()) + " length " + a.getGuestIo().getLengthBytes();
            case CMD_NOT_SET -> "(empty admin command)";
        };
    }

    private static String fiemapReply(FiemapReply r) {
        if (r.getRc() != 0) return "FIEMAP → " + Errno.name(r.getRc());
        StringBuilder b = new StringBuilder("FIEMAP → ").append(r.getExtentsCount()).append(" extents");
        int shown = 0;
        for (FiemapExtent x : r.getExtentsList()) {
            if (shown++ == 4) { b.append(" …"); break; }
            b.append(" [log ").append(hex(x.getFeLogical())).append(" phys ").append(hex(x.getFePhysical())).append(" len ").append(size(x.getFeLength())).append(']');
        }
        return b.toString();
    }

    private static String guestMem(GuestMemAccess g) {
        return (g.getFlush() ? "clwb+sfence" : g.getWrite() ? "store" : "load") + " gpa=" + hex(g.getGpa()) + " len=" + g.getLen();
    }

    /** Observations, printed indented under the delivery that produced them. */
    public static String describe(Observation o) {
        return switch (o.getKindCase()) {
            case LOG -> o.getLog().getText();
            case P2M -> {
                P2mChange p = o.getP2M();
                yield p.getRemove()
                        ? "p2m d" + p.getDomid() + " gfn=" + hex(p.getGfn()) + " nr=" + p.getNr() + " removed"
                        : "p2m d" + p.getDomid() + " gfn=" + hex(p.getGfn()) + " nr=" + p.getNr() + " -> mfn=" + hex(p.getMfn()) + " " + p2mTypeName(p.getP2MType());
            }
            case PMEM_AREA -> "pmem " + o.getPmemArea().getKind() + " smfn=" + hex(o.getPmemArea().getSmfn()) + " emfn=" + hex(o.getPmemArea().getEmfn());
            case FILE_EXTENTS -> {
                StringBuilder b = new StringBuilder("extents ").append(o.getFileExtents().getPath()).append(':');
                for (FileExtent x : o.getFileExtents().getExtentsList())
                    b.append(" [pgoff=").append(hex(x.getFilePgoff())).append(" mfn=").append(hex(x.getMfn())).append(" nr=").append(x.getNr()).append(']');
                yield b.toString();
            }
            case VNVDIMM -> {
                VnvdimmLayout v = o.getVnvdimm();
                yield "vnvdimm d" + v.getDomid() + " gfn=" + hex(v.getGfn()) + " nr=" + v.getNr() + " <- " + v.getPath() + " pgoff=" + hex(v.getFilePgoff())
                        + (v.getRemoved() ? " removed" : "");
            }
            case INSPECTED -> "dom0 inspected pmem smfn=" + hex(o.getInspected().getSmfn()) + " emfn=" + hex(o.getInspected().getEmfn());
            case GUEST_CHECK -> "d" + o.getGuestCheck().getDomid() + " check " + o.getGuestCheck().getWhat() + ": "
                    + (o.getGuestCheck().getOk() ? "ok" : "FAILED") + (o.getGuestCheck().getDetail().isEmpty() ? "" : " (" + o.getGuestCheck().getDetail() + ")");
            case DOMAIN_STATE -> "d" + o.getDomainState().getDomid() + " " + o.getDomainState().getState();
            case KIND_NOT_SET -> "(empty observation)";
        };
    }
}
