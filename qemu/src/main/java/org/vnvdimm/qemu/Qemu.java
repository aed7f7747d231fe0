package org.vnvdimm.qemu;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
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
    }

    @Override
    protected void handle(Envelope e) {
        switch (e.getPayloadCase()) {
            case DEVICE_MODEL_START -> start(e.getDeviceModelStart());
            case IOREQ -> ioreq(e);
            case QMP_COMMAND -> qmp(e);
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
        List<String> argv = new ArrayList<>();
        for (int i = 0; i < s.getArgvCount(); i++) {
            if (s.getArgv(i).equals("-xen-domid") && i + 1 < s.getArgvCount()) { i++; continue; }
            argv.add(s.getArgv(i));
        }
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
            vnvdimms.add(new Vnvdimm(d, path));
        }
        setupNext(0);
    }

    private void setupNext(int i) {
        if (i == vnvdimms.size()) {
            if (behaviour.equals("honest")) ioreqServer(); else hostile(this::ioreqServer);
            return;
        }
        Vnvdimm v = vnvdimms.get(i);
        if (v.path == null) {
            log("qemu-%d: nvdimm in slot %d (memory-backend-xen) at gpa %#x: mapped by the toolstack", domid, v.dev.slot(), v.dev.address());
            setupNext(i + 1);
            return;
        }
        long size = v.dev.backendSizeBytes();
        call(Roles.DOM0, Envelope.newBuilder().setFileMmap(FileMmap.newBuilder().setPath(v.path).setLen(size)
                .setFlags(MAP_SHARED_VALIDATE | MAP_SYNC)), r1 -> {
            FileMmapReply m = r1.getFileMmapReply();
            if (m.getRc() != 0) { die("-object %s: mmap %s: %s", v.dev.memdev(), v.path, Errno.name(m.getRc())); return; }
            if (m.getSize() < size) { die("backing file %s is %d bytes, smaller than size=%d", v.path, m.getSize(), size); return; }
            call(Roles.DOM0, Envelope.newBuilder().setFiemap(Fiemap.newBuilder().setPath(v.path).setFmLength(size)), r2 -> {
                FiemapReply f = r2.getFiemapReply();
                if (f.getRc() != 0) { die("FIEMAP %s: %s", v.path, Errno.name(f.getRc())); return; }
                call(Roles.DOM0, Envelope.newBuilder().setSysfsRead(SysfsRead.newBuilder().setPath("/sys/block/" + m.getBdev() + "/device/resource")), r3 -> {
                    SysfsReply sr = r3.getSysfsReply();
                    if (sr.getRc() != 0) { die("cannot read the SPA of /dev/%s: %s", m.getBdev(), Errno.name(sr.getRc())); return; }
                    try {
                        v.bdevSpa = Long.decode(sr.getValue().trim());
                    } catch (NumberFormatException ex) {
                        die("bad resource value \"%s\"", sr.getValue());
                        return;
                    }
                    if (!computeRuns(v, f.getExtentsList())) return;
                    observe(Observation.newBuilder().setVnvdimm(VnvdimmLayout.newBuilder().setDomid(domid)
                            .setGfn(v.dev.address() >>> PAGE_SHIFT).setNr(v.dev.regionSizeBytes() >>> PAGE_SHIFT).setPath(v.path).setFilePgoff(0)).build());
                    if (v.dev.labelSizeBytes() > 0) v.labels = new CachedLabels(v.dev.labelSizeBytes(), v.dev.readOnly());
                    mapRuns(v, 0, () -> setupNext(i + 1));
                });
            });
        });
    }

    /** The guest frames of the vNVDIMM, run by run, from the file's extents (holes are refused). */
    private boolean computeRuns(Vnvdimm v, List<FiemapExtent> extents) {
        long pages = v.dev.regionSizeBytes() >>> PAGE_SHIFT;
        long gfn0 = v.dev.address() >>> PAGE_SHIFT;
        long next = 0;
        for (FiemapExtent x : extents) {
            if (next >= pages) break;
            long lp = x.getFeLogical() >>> PAGE_SHIFT;
            if (lp != next || (x.getFeLength() & (PAGE_SIZE - 1)) != 0 || (x.getFePhysical() & (PAGE_SIZE - 1)) != 0) {
                die("%s: extent at file offset %#x is not usable for a vNVDIMM (hole or unaligned)", v.path, x.getFeLogical());
                return false;
            }
            long n = Math.min(x.getFeLength() >>> PAGE_SHIFT, pages - next);
            v.runs.add(new long[] {gfn0 + next, (v.bdevSpa + x.getFePhysical()) >>> PAGE_SHIFT, n});
            next += n;
        }
        if (next < pages) {
            die("%s: file has no blocks for pages %#x onwards", v.path, next);
            return false;
        }
        return true;
    }

    private void mapRuns(Vnvdimm v, int i, Runnable k) {
        if (i == v.runs.size()) { k.run(); return; }
        long[] run = v.runs.get(i);
        call(Roles.XL, Envelope.newBuilder().setIomemGrantRequest(IomemGrantRequest.newBuilder().setDomid(domid)
                .setFirstMfn(run[1]).setNrMfns(run[2])), r -> {
            int rc = r.getIomemGrantReply().getRc();
            if (rc != 0) { die("iomem permission for MFNs %#x+%#x: %s", run[1], run[2], Errno.name(rc)); return; }
            memoryMapping(run[0], run[1], run[2], DPCI_ADD_MAPPING, res -> {
                if (res != 0) { die("xc_domain_memory_mapping gfn %#x mfn %#x nr %d: %s", run[0], run[1], run[2], Errno.name(res)); return; }
                mapRuns(v, i + 1, k);
            });
        });
    }

    /**
     * QMP: query-memory-devices lists each nvdimm as {"type":"nvdimm","data":{slot, id, addr, size,
     * memdev, ...}} (what rfc-v4 libxl reads to map the pages). Other commands are not modelled here.
     */
    private void qmp(Envelope e) {
        String json = e.getQmpCommand().getJson();
        if (!json.replace(" ", "").contains("\"execute\":\"query-memory-devices\"")) {
            reply(Envelope.newBuilder().setQmpReply(QmpReply.newBuilder().setError(true)
                    .setJson("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command is not modelled\"}}")));
            return;
        }
        StringBuilder b = new StringBuilder("{\"return\": [");
        for (int i = 0; i < vnvdimms.size(); i++) {
            Vnvdimm v = vnvdimms.get(i);
            if (i > 0) b.append(", ");
            b.append(String.format(java.util.Locale.ROOT, "{\"type\": \"nvdimm\", \"data\": {\"slot\": %d, \"id\": \"%s\", \"addr\": %d, \"size\": %d, \"memdev\": \"/objects/%s\"}}",
                    v.dev.slot(), v.dev.id().orElse(""), v.dev.address(), v.dev.regionSizeBytes(), v.dev.memdev()));
        }
        reply(Envelope.newBuilder().setQmpReply(QmpReply.newBuilder().setJson(b.append("]}").toString())));
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
                hypercall(Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(domid).setOp(XEN_DMOP_set_ioreq_server_state)
                        .setSetIoreqServerState(XenDmOpSetIoreqServerState.newBuilder().setId(ioreqServerId).setEnabled(1))), r3 -> {
                    if (r3.getRc() != 0) { die("enable ioreq server: %s", Errno.name(r3.getRc())); return; }
                    acpiTables();
                });
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
            TreeMap<Integer, LabelArea> areas = new TreeMap<>();
            for (Vnvdimm v : vnvdimms) areas.put(v.dev.slot(), v.labels != null ? v.labels : org.vnvdimm.qemu.acpi.LabelAreas.none());
            dsm = new DsmEmulator(fit, DsmEmulator.Devices.of(areas));
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

    private void ioreqDone(long data) {
        send(Roles.XEN, Envelope.newBuilder().setIoreqDone(IoreqDone.newBuilder().setDomid(domid).setData(data)));
    }
}
