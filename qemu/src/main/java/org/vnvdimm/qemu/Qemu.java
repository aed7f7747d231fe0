package org.vnvdimm.qemu;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.qemu.acpi.DsmEmulator;
import org.vnvdimm.qemu.acpi.DsmFitBuffer;
import org.vnvdimm.qemu.acpi.LabelArea;
import org.vnvdimm.qemu.acpi.NfitBuilder;
import org.vnvdimm.qemu.acpi.QemuConfig;
import org.vnvdimm.qemu.acpi.QemuOptionException;
import org.vnvdimm.qemu.acpi.QemuOptions;
import org.vnvdimm.qemu.acpi.SsdtBuilder;

/**
 * QEMU as the device model of one HVM domain. Maps each vNVDIMM's backing file (a DAX file in Dom0)
 * into the guest with XEN_DOMCTL_memory_mapping, builds the guest's NFIT and SSDT, hands them to
 * hvmloader through guest memory and xenstore, and emulates _DSM on the trapped I/O port 0x0A18,
 * keeping namespace labels in the label area at the end of each backing file.
 */
public final class Qemu extends ComponentBehavior {
    /** One vNVDIMM as QEMU set it up. */
    static final class Vnvdimm {
        final QemuConfig.MemoryDevice dev;
        final String path;
        long bdevSpa;
        final List<long[]> runs = new ArrayList<>();   // {gfn, mfn, nr}
        CachedLabels labels;
        /** The backend's prealloc=on: every page is touched (read and written back) at start-up. */
        boolean prealloc;
        /** File pages whose guest mapping a layout break took away and QEMU has not re-mapped yet. */
        final org.vnvdimm.ranges.RangeSet stale = new org.vnvdimm.ranges.RangeSet();

        Vnvdimm(QemuConfig.MemoryDevice dev, String path) {
            this.dev = dev;
            this.path = path;
        }
    }

    /**
     * The label area at the end of the backing file, cached page by page as _DSM calls touch it
     * (QEMU reads it through its mapping, on demand). Writes are flushed to the file before the
     * _DSM call returns to the guest.
     */
    static final class CachedLabels implements LabelArea {
        static final int PAGE = 4096;
        final long sizeBytes;
        final boolean readOnly;
        /** Loaded pages, by index; a loaded all-zero page is stored as null (costs nothing). */
        final TreeMap<Long, byte[]> pages = new TreeMap<>();
        final List<long[]> dirty = new ArrayList<>();   // {offset, length}

        CachedLabels(long sizeBytes, boolean readOnly) {
            this.sizeBytes = sizeBytes;
            this.readOnly = readOnly;
        }

        public long labelSizeBytes() { return sizeBytes; }

        boolean loaded(long page) { return pages.containsKey(page); }

        void load(long page, byte[] data) {
            boolean zero = true;
            for (byte b : data) if (b != 0) { zero = false; break; }
            pages.put(page, zero ? null : data);
        }

        public byte[] read(long offset, int length) {
            byte[] out = new byte[length];
            for (int done = 0; done < length; ) {
                long at = offset + done;
                long page = at / PAGE;
                int in = (int) (at % PAGE), n = Math.min(length - done, PAGE - in);
                if (!pages.containsKey(page)) throw new IllegalStateException("label page " + page + " read before it was loaded");
                byte[] p = pages.get(page);
                if (p != null) System.arraycopy(p, in, out, done, n);
                done += n;
            }
            return out;
        }

        public void write(long offset, byte[] data) {
            for (int done = 0; done < data.length; ) {
                long at = offset + done;
                long page = at / PAGE;
                int in = (int) (at % PAGE), n = Math.min(data.length - done, PAGE - in);
                byte[] p = pages.get(page);
                if (p == null) {
                    if (!pages.containsKey(page)) throw new IllegalStateException("label page " + page + " written before it was loaded");
                    p = new byte[PAGE];
                    pages.put(page, p);
                }
                System.arraycopy(data, done, p, in, n);
                done += n;
            }
            dirty.add(new long[] {offset, data.length});
        }

        public boolean readOnly() { return readOnly; }
    }

    private final int domid;
    private QemuConfig config;
    /** The command line QEMU was started with (without -xen-domid), plus every object and device QMP placed since. */
    private final List<String> argv = new ArrayList<>();
    /** The same without the devices still being mapped: what the guest's FIT describes. */
    private final List<String> pluggedArgv = new ArrayList<>();
    /** Label areas by slot, as the _DSM emulation finds them (hot-added devices join). */
    private final TreeMap<Integer, LabelArea> labelAreas = new TreeMap<>();
    /** PIIX4 PM GPE0 block (0xafe0): status and enable, 16 bits each. */
    private int gpe0Status;
    private int gpe0Enable;
    /** QMP commands run one at a time, as QEMU's monitor dispatches them. */
    private final java.util.ArrayDeque<Envelope> qmpQueue = new java.util.ArrayDeque<>();
    private boolean qmpBusy;
    private final List<Vnvdimm> vnvdimms = new ArrayList<>();
    private DsmFitBuffer fit;
    private DsmEmulator dsm;
    private int ioreqServerId;
    private boolean started;
    private boolean failed;

    /** Frames a hostile device model tries to map besides its vNVDIMMs. */
    static final long HOSTILE_PAGES = 16;

    private final String behaviour;

    public static Behavior<Envelope> create(ActorRef<StepResult> wire, int domid, Design design) {
        return Behaviors.setup(ctx -> new Qemu(ctx, wire, domid, design));
    }

    private Qemu(ActorContext<Envelope> ctx, ActorRef<StepResult> wire, int domid, Design design) {
        super(ctx, Roles.qemu(domid), wire);
        this.domid = domid;
        this.behaviour = design.getQemu().isEmpty() ? "honest" : design.getQemu();
        this.servesUnmapped = design.getInvalidation().startsWith("notifier");
    }

    /**
     * Design `notifier`: the guest's frames of a file may be unmapped under it, so QEMU claims each
     * vNVDIMM range on its ioreq server and serves the accesses that trap there. [inferred]
     */
    private final boolean servesUnmapped;

    /**
     * `vnvdimm show`: each vNVDIMM (device, backing file, its guest mappings as gfn -> mfn runs, the
     * pages a layout break left stale, the label area's cached pages) and the FIT _FIT returns.
     */
    @Override
    protected StateDump.Builder dumpState() {
        StateDump.Builder d = StateDump.newBuilder();
        d.addSections(org.vnvdimm.contract.Dumps.section("machine").addAllFacts(org.vnvdimm.contract.Dumps.facts(
                "started", started, "failed", failed, "behaviour", behaviour, "ioreq_server", ioreqServerId)));
        for (Vnvdimm v : vnvdimms) {
            DumpSection.Builder s = org.vnvdimm.contract.Dumps.section("nvdimm slot " + v.dev.slot()).addAllFacts(org.vnvdimm.contract.Dumps.facts(
                    "id", v.dev.id().orElse("-"), "memdev", v.dev.memdev(), "mem-path", v.path, "size", v.dev.regionSizeBytes(),
                    "label-size", v.dev.labelSizeBytes(), "prealloc", v.prealloc, "bdev_spa", org.vnvdimm.contract.Dumps.hex(v.bdevSpa)));
            s.addRanges(org.vnvdimm.contract.Dumps.range("gpa", v.dev.address(), v.dev.regionSizeBytes(), "nvdimm region"));
            for (long[] r : v.runs) s.addRanges(org.vnvdimm.contract.Dumps.range("gfn", r[0], r[2], "mfn", r[1], "planned from FIEMAP (mapped in this order with memory_mapping)"));
            org.vnvdimm.contract.Dumps.ranges(s, "page", v.stale, "stale (mapping taken by a layout break)");
            if (v.labels != null) s.addFacts("labels_cached_pages=" + v.labels.pages.size() + " labels_dirty=" + v.labels.dirty.size());
            d.addSections(s);
        }
        if (fit != null) d.addSections(org.vnvdimm.contract.Dumps.fit("FIT", fit.currentFit()));
        return d;
    }

    @Override
    protected void handle(Envelope e) {
        switch (e.getPayloadCase()) {
            case DEVICE_MODEL_START -> start(e.getDeviceModelStart());
            case IOREQ -> ioreq(e);
            case LAYOUT_BREAK -> layoutBreak(e.getLayoutBreak());
            case QMP_COMMAND -> {
                qmpQueue.add(e);
                if (!qmpBusy) qmpNext();
            }
            default -> throw new ProtocolError("qemu does not expect " + e.getPayloadCase());
        }
    }

    // ------------------------------------------------------------------ plumbing


    private void die(String fmt, Object... args) {
        failed = true;
        log("qemu-system-i386: " + fmt, args);
    }

    private void xs(int type, String path, String value, Consumer<XsResponse> k) {
        call(Roles.XENSTORED, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(type).setPath(path).setValue(value)),
                r -> k.accept(r.getXsResponse()));
    }

    // ------------------------------------------------------------------ start-up

    private void start(DeviceModelStart s) {
        if (started) throw new ProtocolError("device model started twice");
        if (s.getDomid() != domid) throw new ProtocolError("qemu-" + domid + " asked to serve d" + s.getDomid());
        started = true;
        for (int i = 0; i < s.getArgvCount(); i++) {
            if (s.getArgv(i).equals("-xen-domid") && i + 1 < s.getArgvCount()) { i++; continue; }
            argv.add(s.getArgv(i));
        }
        pluggedArgv.addAll(argv);
        try {
            config = QemuOptions.parse(argv);
        } catch (QemuOptionException ex) {
            die("%s", ex.getMessage());
            return;
        }
        TreeMap<Integer, QemuConfig.MemoryDevice> bySlot = new TreeMap<>();
        for (QemuConfig.MemoryDevice d : config.nvdimms()) bySlot.put(d.slot(), d);
        for (QemuConfig.MemoryDevice d : bySlot.values()) {
            String path = null;
            for (QemuConfig.MemoryBackend b : config.backends()) if (b.id().equals(d.memdev())) path = b.memPath().orElse(null);
            boolean xen = false;
            for (QemuConfig.MemoryBackend b : config.backends()) if (b.id().equals(d.memdev()) && b.qomType().equals("memory-backend-xen")) xen = true;
            if (xen) {
                // rfc-v4: the pages are host pmem Xen gives the guest; libxl maps them with
                // XENMEM_populate_pmem_map after asking QEMU where it placed the device (QMP).
                vnvdimms.add(new Vnvdimm(d, null));
                continue;
            }
            if (path == null) { die("nvdimm in slot %d: backend %s is not a memory-backend-file", d.slot(), d.memdev()); return; }
            Vnvdimm v = new Vnvdimm(d, path);
            for (QemuConfig.MemoryBackend b : config.backends()) {
                if (!b.id().equals(d.memdev())) continue;
                for (String kv : b.option().split(",")) v.prealloc |= kv.equals("prealloc=on") || kv.equals("prealloc=true") || kv.equals("prealloc=yes");
            }
            vnvdimms.add(v);
        }
        setupNext(0);
    }

    private void setupNext(int i) {
        if (i == vnvdimms.size()) {
            if (behaviour.equals("honest")) ioreqServer(); else hostile(this::ioreqServer);
            return;
        }
        setupOne(vnvdimms.get(i), () -> setupNext(i + 1), msg -> die("%s", msg));
    }

    /**
     * One vNVDIMM's backing file: mmap it, learn its extents (FIEMAP) and the block device's SPA,
     * then have xl grant the frames and map them at the device's guest frames. At start-up and on
     * device_add alike; a failure goes to err with QEMU's message.
     */
    private void setupOne(Vnvdimm v, Runnable k, Consumer<String> err) {
        if (v.path == null) {
            log("qemu-%d: nvdimm in slot %d (memory-backend-xen) at gpa %#x: mapped by the toolstack", domid, v.dev.slot(), v.dev.address());
            k.run();
            return;
        }
        long size = v.dev.backendSizeBytes();
        call(Roles.DOM0, Envelope.newBuilder().setFileMmap(FileMmap.newBuilder().setPath(v.path).setLen(size)
                .setFlags(MAP_SHARED_VALIDATE | MAP_SYNC).setDomid(domid).setGfn(v.dev.address() >>> PAGE_SHIFT).setNrGfns(v.dev.regionSizeBytes() >>> PAGE_SHIFT)), r1 -> {
            FileMmapReply m = r1.getFileMmapReply();
            if (m.getRc() != 0) { err.accept(String.format(java.util.Locale.ROOT, "-object %s: mmap %s: %s", v.dev.memdev(), v.path, Errno.name(m.getRc()))); return; }
            if (m.getSize() < size) { err.accept(String.format(java.util.Locale.ROOT, "backing file %s is %d bytes, smaller than size=%d", v.path, m.getSize(), size)); return; }
            if (v.prealloc) {
                touchAll(v, 0, size, () -> setupMapped(v, size, m, k, err), err);
                return;
            }
            setupMapped(v, size, m, k, err);
        });
    }

    /**
     * prealloc=on: QEMU's touch_all_pages reads each page of the backend and writes the byte back,
     * so every page faults for write on the host: the filesystem allocates it and converts an
     * unwritten extent (zeroed, then written), durably (MAP_SYNC). One populate request to Dom0.
     */
    private void touchAll(Vnvdimm v, long off, long size, Runnable k, Consumer<String> err) {
        call(Roles.DOM0, Envelope.newBuilder().setFileIo(FileIo.newBuilder().setPath(v.path).setOffset(off).setLen(size).setPopulate(true)), r -> {
            if (r.getFileIoReply().getRc() < 0) { err.accept(String.format(java.util.Locale.ROOT, "os_mem_prealloc: %s: %s", v.path, Errno.name(r.getFileIoReply().getRc()))); return; }
            k.run();
        });
    }

    /** FIEMAP, the block device's SPA, then the memory_mapping of each run. */
    private void setupMapped(Vnvdimm v, long size, FileMmapReply m, Runnable k, Consumer<String> err) {
        {
            call(Roles.DOM0, Envelope.newBuilder().setFiemap(Fiemap.newBuilder().setPath(v.path).setFmLength(size)), r2 -> {
                FiemapReply f = r2.getFiemapReply();
                if (f.getRc() != 0) { err.accept(String.format(java.util.Locale.ROOT, "FIEMAP %s: %s", v.path, Errno.name(f.getRc()))); return; }
                call(Roles.DOM0, Envelope.newBuilder().setSysfsRead(SysfsRead.newBuilder().setPath("/sys/block/" + m.getBdev() + "/device/resource")), r3 -> {
                    SysfsReply sr = r3.getSysfsReply();
                    if (sr.getRc() != 0) { err.accept(String.format(java.util.Locale.ROOT, "cannot read the SPA of /dev/%s: %s", m.getBdev(), Errno.name(sr.getRc()))); return; }
                    try {
                        v.bdevSpa = Long.decode(sr.getValue().trim());
                    } catch (NumberFormatException ex) {
                        err.accept(String.format(java.util.Locale.ROOT, "bad resource value \"%s\"", sr.getValue()));
                        return;
                    }
                    String bad = computeRuns(v, f.getExtentsList());
                    if (bad != null) { err.accept(bad); return; }
                    observe(Observation.newBuilder().setVnvdimm(VnvdimmLayout.newBuilder().setDomid(domid)
                            .setGfn(v.dev.address() >>> PAGE_SHIFT).setNr(v.dev.regionSizeBytes() >>> PAGE_SHIFT).setPath(v.path).setFilePgoff(0)).build());
                    if (v.dev.labelSizeBytes() > 0) v.labels = new CachedLabels(v.dev.labelSizeBytes(), v.dev.readOnly());
                    mapRuns(v, 0, k, err);
                });
            });
        }
    }

    /** The guest frames of the vNVDIMM, run by run, from the file's extents (holes are refused); null or QEMU's complaint. */
    private String computeRuns(Vnvdimm v, List<FiemapExtent> extents) {
        long pages = v.dev.regionSizeBytes() >>> PAGE_SHIFT;
        long gfn0 = v.dev.address() >>> PAGE_SHIFT;
        long next = 0;
        for (FiemapExtent x : extents) {
            if (next >= pages) break;
            long lp = x.getFeLogical() >>> PAGE_SHIFT;
            if (lp != next || (x.getFeLength() & (PAGE_SIZE - 1)) != 0 || (x.getFePhysical() & (PAGE_SIZE - 1)) != 0) {
                return String.format(java.util.Locale.ROOT, "%s: extent at file offset %#x is not usable for a vNVDIMM (hole or unaligned)", v.path, x.getFeLogical());
            }
            long n = Math.min(x.getFeLength() >>> PAGE_SHIFT, pages - next);
            v.runs.add(new long[] {gfn0 + next, (v.bdevSpa + x.getFePhysical()) >>> PAGE_SHIFT, n});
            next += n;
        }
        if (next < pages) {
            return String.format(java.util.Locale.ROOT, "%s: file has no blocks for pages %#x onwards", v.path, next);
        }
        return null;
    }

    private void mapRuns(Vnvdimm v, int i, Runnable k, Consumer<String> err) {
        if (i == v.runs.size()) { k.run(); return; }
        long[] run = v.runs.get(i);
        call(Roles.XL, Envelope.newBuilder().setIomemGrantRequest(IomemGrantRequest.newBuilder().setDomid(domid)
                .setFirstMfn(run[1]).setNrMfns(run[2])), r -> {
            int rc = r.getIomemGrantReply().getRc();
            if (rc != 0) { err.accept(String.format(java.util.Locale.ROOT, "iomem permission for MFNs %#x+%#x: %s", run[1], run[2], Errno.name(rc))); return; }
            memoryMapping(run[0], run[1], run[2], DPCI_ADD_MAPPING, res -> {
                if (res != 0) { err.accept(String.format(java.util.Locale.ROOT, "xc_domain_memory_mapping gfn %#x mfn %#x nr %d: %s", run[0], run[1], run[2], Errno.name(res))); return; }
                mapRuns(v, i + 1, k, err);
            });
        });
    }

    /**
     * QMP: query-memory-devices lists each nvdimm as {"type":"nvdimm","data":{slot, id, addr, size,
     * memdev, ...}} (what rfc-v4 libxl reads to map the pages). Other commands are not modelled here.
     */
    private void queryMemoryDevices(Envelope e) {
        StringBuilder b = new StringBuilder("{\"return\": [");
        for (int i = 0; i < vnvdimms.size(); i++) {
            Vnvdimm v = vnvdimms.get(i);
            if (i > 0) b.append(", ");
            b.append(String.format(java.util.Locale.ROOT, "{\"type\": \"nvdimm\", \"data\": {\"slot\": %d, \"id\": \"%s\", \"addr\": %d, \"size\": %d, \"memdev\": \"/objects/%s\"}}",
                    v.dev.slot(), v.dev.id().orElse(""), v.dev.address(), v.dev.regionSizeBytes(), v.dev.memdev()));
        }
        qmpAnswer(e, b.append("]}").toString());
    }

    private static Envelope.Builder mappingCall(int domid, long gfn, long mfn, long nr, int add) {
        return Envelope.newBuilder().setDomctl(Domctl.newBuilder().setCmd(XEN_DOMCTL_memory_mapping).setInterfaceVersion(XEN_DOMCTL_INTERFACE_VERSION)
                .setDomain(domid).setMemoryMapping(DomctlMemoryMapping.newBuilder().setFirstGfn(gfn).setFirstMfn(mfn).setNrMfns(nr).setAddMapping(add)));
    }

    /**
     * libxc's xc_domain_memory_mapping(): call with the whole range; on -E2BIG halve the batch; on
     * positive progress continue after it; if an add fails, remove the whole range again; a remove
     * keeps going past errors and reports the first.
     */
    void memoryMapping(long gfn, long mfn, long nr, int add, LongConsumer k) {
        mappingLoop(gfn, mfn, nr, add, 0, nr, 0, k);
    }

    private void mappingLoop(long gfn, long mfn, long nr, int add, long done, long batch, long firstErr, LongConsumer k) {
        if (done >= nr) { k.accept(firstErr); return; }
        long n = Math.min(batch, nr - done);
        hypercall(mappingCall(domid, gfn + done, mfn + done, n, add), r -> {
            long rc = r.getRc();
            if (rc == Errno.E2BIG.neg()) {
                if (batch <= 1) { finishError(gfn, mfn, nr, add, rc, k); return; }
                mappingLoop(gfn, mfn, nr, add, done, batch >> 1, firstErr, k);
            } else if (rc > 0) {
                mappingLoop(gfn, mfn, nr, add, done + rc, batch, firstErr, k);
            } else if (rc == 0) {
                mappingLoop(gfn, mfn, nr, add, done + n, batch, firstErr, k);
            } else if (add == DPCI_REMOVE_MAPPING) {
                mappingLoop(gfn, mfn, nr, add, done + n, batch, firstErr == 0 ? rc : firstErr, k);
            } else {
                finishError(gfn, mfn, nr, add, rc, k);
            }
        });
    }

    private void finishError(long gfn, long mfn, long nr, int add, long rc, LongConsumer k) {
        if (add != DPCI_ADD_MAPPING) { k.accept(rc); return; }
        log("qemu-system-i386: memory_mapping failed (%s): undoing gfn %#x mfn %#x nr %d", Errno.name(rc), gfn, mfn, nr);
        mappingLoop(gfn, mfn, nr, DPCI_REMOVE_MAPPING, 0, nr, 0, ignored -> k.accept(rc));
    }

    /**
     * The untrusted device model of the design doc: besides its vNVDIMMs it asks for frames it has
     * no business with — host RAM (from the machine memory map) or Xen's management area (from the
     * namespace's sysfs) — through the same toolstack and hypercalls. Only Xen's check stands in
     * the way.
     */
    private void hostile(Runnable k) {
        long gfn = 0x100000;
        for (Vnvdimm v : vnvdimms) gfn = Math.max(gfn, (v.dev.address() + v.dev.regionSizeBytes()) >>> PAGE_SHIFT);
        long target = gfn;
        java.util.function.LongConsumer attack = mfn -> call(Roles.XL, Envelope.newBuilder().setIomemGrantRequest(IomemGrantRequest.newBuilder()
                .setDomid(domid).setFirstMfn(mfn).setNrMfns(HOSTILE_PAGES)), g -> memoryMapping(target, mfn, HOSTILE_PAGES, DPCI_ADD_MAPPING, rc -> {
                    log("qemu-%d (%s): mapping MFNs %#x+%#x at gfn %#x: %s", domid, behaviour, mfn, HOSTILE_PAGES, target,
                            rc == 0 ? "granted" : Errno.name(rc));
                    k.run();
                }));
        if (behaviour.equals("hostile-ram")) {
            hypercall(Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_machine_memory_map)
                    .setMemoryMap(XenMemoryMap.newBuilder().setNrEntries(E820MAX))), r -> {
                long mfn = -1;
                for (E820Entry x : r.getMemoryMap().getBufferList()) {
                    if (x.getType() == E820_RAM && x.getAddr() >= (1L << 20) && x.getSize() >= HOSTILE_PAGES * PAGE_SIZE) { mfn = x.getAddr() >>> PAGE_SHIFT; break; }
                }
                if (mfn < 0) { k.run(); return; }
                attack.accept(mfn);
            });
        } else {
            call(Roles.DOM0, Envelope.newBuilder().setSysfsRead(SysfsRead.newBuilder().setPath("/sys/bus/nd/devices/namespace0.0/xen_reserve")), r -> {
                String[] parts = r.getSysfsReply().getValue().trim().split("\\s+");
                if (r.getSysfsReply().getRc() != 0 || parts.length != 2) { k.run(); return; }
                attack.accept(Long.decode(parts[0]));
            });
        }
    }

    private void ioreqServer() {
        hypercall(Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(domid).setOp(XEN_DMOP_create_ioreq_server)
                .setCreateIoreqServer(XenDmOpCreateIoreqServer.newBuilder())), r1 -> {
            if (r1.getRc() != 0) { die("create ioreq server: %s", Errno.name(r1.getRc())); return; }
            ioreqServerId = r1.getDmOp().getCreateIoreqServer().getId();
            hypercall(Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(domid).setOp(XEN_DMOP_map_io_range_to_ioreq_server)
                    .setMapIoRangeToIoreqServer(XenDmOpIoreqServerRange.newBuilder().setId(ioreqServerId).setType(XEN_DMOP_IO_RANGE_PORT)
                            .setStart(NVDIMM_ACPI_IO_BASE).setEnd(NVDIMM_ACPI_IO_BASE + NVDIMM_ACPI_IO_LEN - 1))), r2 -> {
                if (r2.getRc() != 0) { die("map port %#x: %s", NVDIMM_ACPI_IO_BASE, Errno.name(r2.getRc())); return; }
                // The PIIX4 PM GPE0 block, where a hot-added NVDIMM is announced (bit 4).
                hypercall(Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(domid).setOp(XEN_DMOP_map_io_range_to_ioreq_server)
                        .setMapIoRangeToIoreqServer(XenDmOpIoreqServerRange.newBuilder().setId(ioreqServerId).setType(XEN_DMOP_IO_RANGE_PORT)
                                .setStart(ACPI_GPE0_BLK_ADDRESS_V1).setEnd(ACPI_GPE0_BLK_ADDRESS_V1 + ACPI_GPE0_BLK_LEN_V1 - 1))), rg -> {
                if (rg.getRc() != 0) { die("map port %#x: %s", ACPI_GPE0_BLK_ADDRESS_V1, Errno.name(rg.getRc())); return; }
                claimNvdimms(0, () -> hypercall(Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(domid).setOp(XEN_DMOP_set_ioreq_server_state)
                        .setSetIoreqServerState(XenDmOpSetIoreqServerState.newBuilder().setId(ioreqServerId).setEnabled(1))), r3 -> {
                    if (r3.getRc() != 0) { die("enable ioreq server: %s", Errno.name(r3.getRc())); return; }
                    acpiTables();
                }));
                });
            });
        });
    }

    /** Under the notifier designs: each file-backed vNVDIMM's range as MMIO of this ioreq server. */
    private void claimNvdimms(int i, Runnable k) {
        if (!servesUnmapped || i == vnvdimms.size()) { k.run(); return; }
        Vnvdimm v = vnvdimms.get(i);
        if (v.path == null) { claimNvdimms(i + 1, k); return; }
        hypercall(Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(domid).setOp(XEN_DMOP_map_io_range_to_ioreq_server)
                .setMapIoRangeToIoreqServer(XenDmOpIoreqServerRange.newBuilder().setId(ioreqServerId).setType(XEN_DMOP_IO_RANGE_MEMORY)
                        .setStart(v.dev.address()).setEnd(v.dev.address() + v.dev.regionSizeBytes() - 1))), r -> {
            if (r.getRc() != 0) { die("map nvdimm range %#x: %s", v.dev.address(), Errno.name(r.getRc())); return; }
            claimNvdimms(i + 1, k);
        });
    }

    // ------------------------------------------------------------------ block moves under the guest

    private Vnvdimm byPath(String path) {
        for (Vnvdimm v : vnvdimms) if (path.equals(v.path)) return v;
        return null;
    }

    /** Dom0's filesystem unmapped pages of a file QEMU maps (unmap_mapping_range on QEMU's VMA). */
    private void layoutBreak(LayoutBreak b) {
        Vnvdimm v = byPath(b.getPath());
        if (v == null) throw new ProtocolError("layout break of " + b.getPath() + ", which backs no vNVDIMM here");
        log("qemu-%d: %s pages %#x+%d: layout changed (%s); QEMU's own mapping re-faults%s", domid, b.getPath(), b.getFilePgoff(), b.getNr(), b.getCause(),
                servesUnmapped ? ", guest frames re-mapped on their next access" : "");
        if (servesUnmapped) v.stale.add(b.getFilePgoff(), b.getFilePgoff() + b.getNr());
    }

    /**
     * A guest access to a vNVDIMM frame with no p2m entry (IOREQ_TYPE_COPY): served through QEMU's
     * mapping of the file (pread/pwrite in Dom0), then the range it lies in is mapped again
     * (FIEMAP, iomem_permission, memory_mapping add) before the vCPU resumes.
     */
    private void mmio(Ioreq q) {
        Vnvdimm v = null;
        for (Vnvdimm c : vnvdimms) if (c.path != null && q.getAddr() >= c.dev.address() && q.getAddr() < c.dev.address() + c.dev.regionSizeBytes()) v = c;
        if (v == null || q.getSize() <= 0 || q.getSize() > PAGE_SIZE) { mmioDone(Errno.EFAULT.neg(), null); return; }
        Vnvdimm dev = v;
        long off = q.getAddr() - v.dev.address();
        boolean write = q.getDir() == IOREQ_WRITE;
        FileIo.Builder io = FileIo.newBuilder().setPath(v.path).setOffset(off).setLen(q.getSize()).setWrite(write);
        if (write) io.setData(q.getBuf());
        call(Roles.DOM0, Envelope.newBuilder().setFileIo(io), r -> {
            FileIoReply f = r.getFileIoReply();
            if (f.getRc() < 0) { mmioDone(f.getRc(), null); return; }
            remap(dev, off >>> PAGE_SHIFT, () -> mmioDone(0, write ? null : f.getData()));
        });
    }

    private void mmioDone(int rc, com.google.protobuf.ByteString data) {
        IoreqDone.Builder b = IoreqDone.newBuilder().setDomid(domid).setRc(rc);
        if (data != null) b.setBuf(data);
        send(Roles.XEN, Envelope.newBuilder().setIoreqDone(b));
    }

    /** Maps again the broken range holding file page pg: the blocks FIEMAP reports now (holes stay trapped). */
    private void remap(Vnvdimm v, long pg, Runnable k) {
        org.vnvdimm.ranges.RangeSet.Range range = v.stale.rangeAt(pg);
        if (range == null) { k.run(); return; }
        call(Roles.DOM0, Envelope.newBuilder().setFiemap(Fiemap.newBuilder().setPath(v.path).setFmStart(range.start() << PAGE_SHIFT)
                .setFmLength(range.length() << PAGE_SHIFT)), r -> {
            List<long[]> runs = new ArrayList<>();   // {file page, mfn, nr}
            for (FiemapExtent x : r.getFiemapReply().getExtentsList()) {
                long s0 = Math.max(range.start(), x.getFeLogical() >>> PAGE_SHIFT), s1 = Math.min(range.end(), (x.getFeLogical() + x.getFeLength()) >>> PAGE_SHIFT);
                if (s0 >= s1) continue;
                runs.add(new long[] {s0, (v.bdevSpa + x.getFePhysical() + ((s0 << PAGE_SHIFT) - x.getFeLogical())) >>> PAGE_SHIFT, s1 - s0});
            }
            remapRuns(v, runs, 0, k);
        });
    }

    private void remapRuns(Vnvdimm v, List<long[]> runs, int i, Runnable k) {
        if (i == runs.size()) { k.run(); return; }
        long[] run = runs.get(i);
        long gfn = (v.dev.address() >>> PAGE_SHIFT) + run[0];
        call(Roles.XL, Envelope.newBuilder().setIomemGrantRequest(IomemGrantRequest.newBuilder().setDomid(domid).setFirstMfn(run[1]).setNrMfns(run[2])), g -> {
            if (g.getIomemGrantReply().getRc() != 0) { remapRuns(v, runs, i + 1, k); return; }
            memoryMapping(gfn, run[1], run[2], DPCI_ADD_MAPPING, rc -> {
                if (rc == 0) v.stale.remove(run[0], run[0] + run[2]);
                else log("qemu-%d: re-mapping gfn %#x mfn %#x nr %d: %s", domid, gfn, run[1], run[2], Errno.name(rc));
                remapRuns(v, runs, i + 1, k);
            });
        });
    }

    // ------------------------------------------------------------------ guest ACPI through xenstore

    private void acpiTables() {
        String base = "/local/domain/" + domid + "/";
        xs(XS_READ, base + HVM_XS_DM_ACPI_ADDRESS, "", a -> xs(XS_READ, base + HVM_XS_DM_ACPI_LENGTH, "", l -> {
            long addr, len;
            try {
                addr = Long.decode(a.getValue());
                len = Long.decode(l.getValue());
            } catch (NumberFormatException ex) {
                die("no usable %s/%s in xenstore", HVM_XS_DM_ACPI_ADDRESS, HVM_XS_DM_ACPI_LENGTH);
                return;
            }
            if ((addr & (PAGE_SIZE - 1)) != 0 || len < 2 * PAGE_SIZE) { die("DM ACPI area %#x+%#x unusable", addr, len); return; }
            // The last page of the area is the _DSM buffer (MEMA); the tables go before it.
            long mema = addr + len - PAGE_SIZE;
            byte[] nfit = NfitBuilder.build(config).orElse(new byte[0]);
            byte[] ssdt = SsdtBuilder.build(config.ramSlots(), config.oemIdText(), mema);
            long ssdtOff = (nfit.length + 15) & ~15L;
            if (ssdtOff + ssdt.length > len - PAGE_SIZE) { die("DM ACPI area of %#x bytes is too small for NFIT and SSDT", len); return; }
            fit = new DsmFitBuffer(NfitBuilder.buildFit(config));
            for (Vnvdimm v : vnvdimms) labelAreas.put(v.dev.slot(), v.labels != null ? v.labels : org.vnvdimm.qemu.acpi.LabelAreas.none());
            dsm = new DsmEmulator(fit, slot -> java.util.Optional.ofNullable(labelAreas.get(slot)));
            List<String[]> keys = new ArrayList<>();
            List<byte[]> blobs = new ArrayList<>();
            List<Long> at = new ArrayList<>();
            if (nfit.length > 0) {
                blobs.add(nfit);
                at.add(addr);
                keys.add(new String[] {"NFIT", "0", Long.toString(nfit.length)});
            }
            blobs.add(ssdt);
            at.add(addr + ssdtOff);
            keys.add(new String[] {"SSDT", Long.toString(ssdtOff), Long.toString(ssdt.length)});
            writeBlobs(blobs, at, 0, () -> writeBlobKeys(base + HVM_XS_DM_ACPI_ROOT + "/", keys, 0,
                    () -> xs(XS_WRITE, "/local/domain/0/device-model/" + domid + "/state", "running", w -> log("qemu-%d: running", domid))));
        }));
    }

    private void writeBlobs(List<byte[]> blobs, List<Long> at, int i, Runnable k) {
        if (i == blobs.size()) { k.run(); return; }
        writeGuest(at.get(i), blobs.get(i), 0, rc -> {
            if (rc != 0) { die("writing ACPI tables to guest memory: %s", Errno.name(rc)); return; }
            writeBlobs(blobs, at, i + 1, k);
        });
    }

    /** Copy bytes into guest RAM one page-bounded chunk at a time (foreign mapping + memcpy). */
    private void writeGuest(long gpa, byte[] data, int off, LongConsumer k) {
        if (off >= data.length) { k.accept(0); return; }
        long at = gpa + off;
        int n = (int) Math.min(data.length - off, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
        call(Roles.XEN, Envelope.newBuilder().setForeignMemAccess(ForeignMemAccess.newBuilder().setDomid(domid).setGpa(at).setLen(n)
                .setWrite(true).setData(ByteString.copyFrom(data, off, n))), r -> {
            int rc = r.getMemAccessDone().getRc();
            if (rc != 0) { k.accept(rc); return; }
            writeGuest(gpa, data, off + n, k);
        });
    }

    private void writeBlobKeys(String root, List<String[]> keys, int i, Runnable k) {
        if (i == keys.size()) { k.run(); return; }
        String[] kv = keys.get(i);
        String dir = root + kv[0] + "/";
        xs(XS_WRITE, dir + "type", Integer.toString(DM_ACPI_BLOB_TYPE_TABLE), a -> xs(XS_WRITE, dir + "offset", kv[1],
                b -> xs(XS_WRITE, dir + "length", kv[2], c -> writeBlobKeys(root, keys, i + 1, k))));
    }

    // ------------------------------------------------------------------ _DSM over port 0x0A18

    private void ioreq(Envelope e) {
        Ioreq q = e.getIoreq();
        if (!e.getFrom().equals(Roles.XEN) || q.getDomid() != domid) throw new ProtocolError("ioreq for d" + q.getDomid() + " from " + e.getFrom());
        if (q.getType() == IOREQ_TYPE_COPY) { mmio(q); return; }
        if (q.getType() == IOREQ_TYPE_PIO && q.getAddr() >= ACPI_GPE0_BLK_ADDRESS_V1 && q.getAddr() < ACPI_GPE0_BLK_ADDRESS_V1 + ACPI_GPE0_BLK_LEN_V1) {
            gpe0(q);
            return;
        }
        boolean nvdimmPort = q.getType() == IOREQ_TYPE_PIO && q.getAddr() >= NVDIMM_ACPI_IO_BASE && q.getAddr() < NVDIMM_ACPI_IO_BASE + NVDIMM_ACPI_IO_LEN;
        if (!nvdimmPort || q.getDir() == IOREQ_READ || failed || dsm == null) {
            // Reads of the trap register return 0; anything else is not ours to emulate.
            ioreqDone(nvdimmPort && q.getDir() == IOREQ_READ ? 0 : 0xffffffffL);
            return;
        }
        if (q.getSize() != 4 || q.getAddr() != NVDIMM_ACPI_IO_BASE) {
            log("qemu-%d: ignoring %d-byte write to port %#x (the _DSM trap takes a dword at %#x)", domid, q.getSize(), q.getAddr(), NVDIMM_ACPI_IO_BASE);
            ioreqDone(0);
            return;
        }
        long page = q.getData() & 0xffffffffL;
        if ((page & (PAGE_SIZE - 1)) != 0) {
            log("qemu-%d: _DSM buffer %#x is not page aligned; ignored", domid, page);
            ioreqDone(0);
            return;
        }
        call(Roles.XEN, Envelope.newBuilder().setForeignMemAccess(ForeignMemAccess.newBuilder().setDomid(domid).setGpa(page).setLen(PAGE_SIZE)), r -> {
            MemAccessDone d = r.getMemAccessDone();
            if (d.getRc() != 0) { log("qemu-%d: cannot read _DSM buffer %#x: %s", domid, page, Errno.name(d.getRc())); ioreqDone(0); return; }
            byte[] in = d.getData().toByteArray();
            loadLabelsFor(in, () -> {
                byte[] out = dsm.process(in);
                flushLabels(0, () -> writeGuest(page, out, 0, rc -> ioreqDone(0)));
            }, () -> writeGuest(page, unsupported(), 0, rc -> ioreqDone(0)));
        });
    }

    /**
     * A Get/Set Label Data call (functions 5, 6) names an offset and length in its Arg3; the pages
     * it touches are read from the backing file first, so the emulation sees the file's bytes.
     * Anything malformed is left for the emulator to refuse with its status codes.
     */
    private void loadLabelsFor(byte[] in, Runnable k, Runnable failed) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(in).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long handle = b.getInt(0) & 0xffffffffL, function = b.getInt(8) & 0xffffffffL;
        long offset = b.getInt(12) & 0xffffffffL, length = b.getInt(16) & 0xffffffffL;
        Vnvdimm found = null;
        for (Vnvdimm x : vnvdimms) if (x.dev.slot() + 1 == handle) found = x;
        final Vnvdimm v = found;
        if (v == null || v.labels == null || (function != 5 && function != 6) || length == 0 || offset + length > v.labels.sizeBytes) {
            k.run();
            return;
        }
        loadPages(v, offset / CachedLabels.PAGE, (offset + length - 1) / CachedLabels.PAGE, k, failed);
    }

    /** The output page of a call that could not be served: RLEN 8, status 1 ("not supported"). */
    private static byte[] unsupported() {
        byte[] out = new byte[(int) PAGE_SIZE];
        out[0] = 8;
        out[4] = 1;
        return out;
    }

    private void loadPages(Vnvdimm v, long page, long last, Runnable k, Runnable failed) {
        while (page <= last && v.labels.loaded(page)) page++;
        if (page > last) { k.run(); return; }
        long first = page;
        long stop = first;
        while (stop + 1 <= last && !v.labels.loaded(stop + 1)) stop++;
        final long end = stop;
        final long n = (end - first + 1) * CachedLabels.PAGE;
        final long from = first;
        call(Roles.DOM0, Envelope.newBuilder().setFileIo(FileIo.newBuilder().setPath(v.path)
                .setOffset(v.dev.labelOffsetInBackendBytes() + first * CachedLabels.PAGE).setLen(n)), r -> {
            FileIoReply io = r.getFileIoReply();
            if (io.getRc() != n) {
                log("qemu-%d: reading label pages of %s: %s; _DSM answered 'not supported'", domid, v.path, Errno.name(io.getRc()));
                failed.run();   // never serve label bytes that were not read from the file
                return;
            }
            byte[] data = io.getData().toByteArray();
            for (long p = from; p <= end; p++) {
                v.labels.load(p, java.util.Arrays.copyOfRange(data, (int) ((p - from) * CachedLabels.PAGE), (int) ((p - from + 1) * CachedLabels.PAGE)));
            }
            loadPages(v, end + 1, last, k, failed);
        });
    }

    /** Label writes reach the backing file before the guest sees _LSW/Set Label Data complete. */
    private void flushLabels(int i, Runnable k) {
        if (i == vnvdimms.size()) { k.run(); return; }
        Vnvdimm v = vnvdimms.get(i);
        if (v.labels == null || v.labels.dirty.isEmpty()) { flushLabels(i + 1, k); return; }
        long[] d = v.labels.dirty.remove(0);
        call(Roles.DOM0, Envelope.newBuilder().setFileIo(FileIo.newBuilder().setPath(v.path).setOffset(v.dev.labelOffsetInBackendBytes() + d[0])
                .setWrite(true).setData(ByteString.copyFrom(v.labels.read(d[0], (int) d[1])))), r -> {
            if (r.getFileIoReply().getRc() < 0) log("qemu-%d: label write to %s failed: %s", domid, v.path, Errno.name(r.getFileIoReply().getRc()));
            flushLabels(i, k);
        });
    }

    // ------------------------------------------------------------------ GPE0 and the SCI

    /**
     * The GPE0 block as PIIX4 PM emulates it: bytes 0-1 status (a write clears the bits written as
     * 1), bytes 2-3 enable. After a write the SCI level is recomputed and driven through Xen
     * before the access completes.
     */
    private void gpe0(Ioreq q) {
        int off = (int) (q.getAddr() - ACPI_GPE0_BLK_ADDRESS_V1);
        int n = (int) Math.min(q.getSize(), ACPI_GPE0_BLK_LEN_V1 - off);
        if (q.getDir() == IOREQ_READ) {
            long v = 0;
            for (int b = 0; b < n; b++) v |= (long) gpe0Byte(off + b) << (8 * b);
            ioreqDone(v);
            return;
        }
        for (int b = 0; b < n; b++) {
            int val = (int) (q.getData() >>> (8 * b)) & 0xff, at = off + b;
            if (at < 2) gpe0Status &= ~(val << (8 * at));
            else gpe0Enable = (gpe0Enable & ~(0xff << (8 * (at - 2)))) | (val << (8 * (at - 2)));
        }
        updateSci(() -> ioreqDone(0));
    }

    private int gpe0Byte(int at) {
        return at < 2 ? (gpe0Status >>> (8 * at)) & 0xff : (gpe0Enable >>> (8 * (at - 2))) & 0xff;
    }

    /**
     * pm_update_sci: the SCI is high while an enabled GPE0 status bit is set; QEMU under Xen drives
     * ISA IRQ 9 with XEN_DMOP_set_isa_irq_level at every update (xen_set_irq).
     */
    private void updateSci(Runnable k) {
        int level = (gpe0Status & gpe0Enable) != 0 ? 1 : 0;
        hypercall(Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(domid).setOp(XEN_DMOP_set_isa_irq_level)
                .setSetIsaIrqLevel(XenDmOpSetIsaIrqLevel.newBuilder().setIsaIrq(ACPI_SCI_IRQ).setLevel(level))), r -> {
            if (r.getRc() != 0) log("qemu-%d: xendevicemodel_set_isa_irq_level(%d, %d): %s", domid, ACPI_SCI_IRQ, level, Errno.name(r.getRc()));
            k.run();
        });
    }

    // ------------------------------------------------------------------ QMP

    private void qmpNext() {
        Envelope e = qmpQueue.poll();
        if (e == null) { qmpBusy = false; return; }
        qmpBusy = true;
        Map<String, Object> cmd;
        try {
            cmd = org.vnvdimm.contract.QmpJson.parse(e.getQmpCommand().getJson());
        } catch (org.vnvdimm.contract.QmpJson.JsonError ex) {
            qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", "JSON parse error, " + ex.getMessage()));
            return;
        }
        Object exec = cmd.get("execute");
        @SuppressWarnings("unchecked")
        Map<String, Object> args = cmd.get("arguments") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        String name = exec instanceof String x ? x : "";
        switch (name) {
            case "object_add" -> objectAdd(e, args);
            case "device_add" -> deviceAdd(e, args);
            case "device_del" -> deviceDel(e, args);
            case "query-memory-devices" -> queryMemoryDevices(e);
            default -> qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("CommandNotFound", "The command " + name + " has not been found"));
        }
    }

    /** Answer a command and take the next. */
    private void qmpAnswer(Envelope request, String json) {
        qmpReply(request, json);
        qmpNext();
    }

    private void qmpReply(Envelope request, String json) {
        replyTo(request, Envelope.newBuilder().setQmpReply(QmpReply.newBuilder().setJson(json).setError(json.startsWith("{\"error\""))));
    }

    /** A QMP argument as a QEMU option value (integers decimal, booleans on/off). */
    private static String optValue(Object v) {
        if (v instanceof Boolean b) return b ? "on" : "off";
        return String.valueOf(v);
    }

    private static String options(String head, Map<String, Object> args, java.util.Set<String> skip) {
        StringBuilder b = new StringBuilder(head);
        for (Map.Entry<String, Object> a : args.entrySet()) {
            if (skip.contains(a.getKey())) continue;
            b.append(',').append(a.getKey()).append('=').append(optValue(a.getValue()));
        }
        return b.toString();
    }

    /** The configuration QEMU would have with these options added (its own checks and placement). */
    private QemuConfig withOptions(String opt, String value) {
        List<String> more = new ArrayList<>(argv);
        more.add(opt);
        more.add(value);
        return QemuOptions.parse(more);
    }

    /** object_add memory-backend-file (or rfc-v4's memory-backend-xen): checked and remembered; used at device_add. */
    private void objectAdd(Envelope e, Map<String, Object> args) {
        if (failed || config == null) { qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", "the device model is not running")); return; }
        String type = String.valueOf(args.getOrDefault("qom-type", ""));
        String value = options(type, args, java.util.Set.of("qom-type"));
        try {
            withOptions("-object", value);
        } catch (QemuOptionException ex) {
            qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", ex.getMessage()));
            return;
        }
        argv.add("-object");
        argv.add(value);
        pluggedArgv.add("-object");
        pluggedArgv.add(value);
        log("qemu-%d: object_add %s", domid, value);
        qmpAnswer(e, org.vnvdimm.contract.QmpJson.RETURN_EMPTY);
    }

    /**
     * device_add nvdimm: QEMU's own checks and placement (slot, address in the device-memory
     * area), then the backing file is mapped into the guest as at start-up; only then is the
     * device plugged: the FIT is rebuilt and marked dirty, GPE0 status bit 4 is set and the SCI
     * updated (acpi_send_event(ACPI_NVDIMM_HOTPLUG_STATUS)).
     */
    private void deviceAdd(Envelope e, Map<String, Object> args) {
        if (failed || config == null || dsm == null) { qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", "the device model is not running")); return; }
        String driver = String.valueOf(args.getOrDefault("driver", ""));
        if (!driver.equals("nvdimm")) {
            qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", "device_add of '" + driver + "' is not modelled"));
            return;
        }
        String value = options("nvdimm", args, java.util.Set.of("driver"));
        QemuConfig next;
        try {
            next = withOptions("-device", value);
        } catch (QemuOptionException ex) {
            qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", ex.getMessage()));
            return;
        }
        QemuConfig.MemoryDevice dev = null;
        for (QemuConfig.MemoryDevice d : next.nvdimms()) if (d.memdev().equals(String.valueOf(args.get("memdev")))) dev = d;
        String path = null;
        boolean xen = false;   // rfc-v4 memory-backend-xen: xl populates the pages once QEMU has placed the device
        for (QemuConfig.MemoryBackend b : next.backends()) {
            if (dev == null || !b.id().equals(dev.memdev())) continue;
            path = b.memPath().orElse(null);
            xen = b.qomType().equals("memory-backend-xen");
        }
        if (dev == null || (path == null && !xen)) {
            qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", "nvdimm: backend " + args.get("memdev") + " is not a memory-backend-file"));
            return;
        }
        // The device is realized (slot and address taken) now; later device_adds place around it.
        // Its option is kept with that slot and address, so the FIT built from plugged devices
        // only gives every device the place it was given.
        String placed = value + String.format(java.util.Locale.ROOT, ",slot=%d,addr=%d", dev.slot(), dev.address());
        if (value.contains(",slot=") || value.contains(",addr=")) placed = value;
        final String pinned = placed;
        argv.add("-device");
        argv.add(pinned);
        Vnvdimm v = new Vnvdimm(dev, path);
        log("qemu-%d: device_add nvdimm %s: slot %d at gpa %#x, %d bytes, label area %d bytes", domid, value, dev.slot(), dev.address(),
                dev.regionSizeBytes(), dev.labelSizeBytes());
        qmpNext();   // the monitor takes the next command; mapping the file goes on under Xen
        setupOne(v, () -> {
            pluggedArgv.add("-device");
            pluggedArgv.add(pinned);
            config = QemuOptions.parse(pluggedArgv);
            vnvdimms.add(v);
            vnvdimms.sort(java.util.Comparator.comparingInt(x -> x.dev.slot()));
            labelAreas.put(v.dev.slot(), v.labels != null ? v.labels : org.vnvdimm.qemu.acpi.LabelAreas.none());
            fit.plug(NfitBuilder.buildFit(config));
            gpe0Status |= ACPI_NVDIMM_HOTPLUG_STATUS;
            log("qemu-%d: nvdimm plugged: FIT rebuilt (%d bytes), dirty; devices %s; GPE0.4 status set, GPE0 enable %#x: SCI %s", domid,
                    fit.currentFit().length, deviceList(), gpe0Enable, (gpe0Status & gpe0Enable) != 0 ? "raised" : "stays low");
            updateSci(() -> qmpReply(e, org.vnvdimm.contract.QmpJson.RETURN_EMPTY));
        }, msg -> {
            // Unrealized: its slot and address are free again.
            for (int i = argv.size() - 1; i > 0; i--) {
                if (argv.get(i).equals(pinned) && argv.get(i - 1).equals("-device")) { argv.remove(i); argv.remove(i - 1); break; }
            }
            log("qemu-system-i386: device_add nvdimm: %s", msg);
            qmpReply(e, org.vnvdimm.contract.QmpJson.error("GenericError", msg));
        });
    }

    /** QEMU's NVDIMMs as "[handle@gpa+size, ...]", in slot order (what its FIT describes). */
    String deviceList() {
        StringBuilder b = new StringBuilder("[");
        for (Vnvdimm v : vnvdimms) {
            if (b.length() > 1) b.append(", ");
            b.append(String.format(java.util.Locale.ROOT, "%#x@%#x+%#x", v.dev.slot() + 1, v.dev.address(), v.dev.regionSizeBytes()));
        }
        return b.append(']').toString();
    }

    /** device_del: QEMU refuses to unplug an nvdimm (pc_memory_unplug_request). */
    private void deviceDel(Envelope e, Map<String, Object> args) {
        String id = String.valueOf(args.getOrDefault("id", ""));
        if (config != null) {
            for (QemuConfig.MemoryDevice d : config.nvdimms()) {
                if (d.id().isPresent() && d.id().get().equals(id)) {
                    qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("GenericError", "nvdimm device hot unplug is not supported yet."));
                    return;
                }
            }
        }
        qmpAnswer(e, org.vnvdimm.contract.QmpJson.error("DeviceNotFound", "Device '" + id + "' not found"));
    }

    private void ioreqDone(long data) {
        send(Roles.XEN, Envelope.newBuilder().setIoreqDone(IoreqDone.newBuilder().setDomid(domid).setData(data)));
    }
}
