package org.vnvdimm.guest;

import java.util.Locale;

import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.vnvdimm.acpi.AcpiChecksum;
import org.vnvdimm.acpi.AcpiParseException;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitParser;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.ParsedNfit;
import org.vnvdimm.contract.ComponentBehavior;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.guest.acpi.AmlFaultException;
import org.vnvdimm.guest.acpi.DsmPage;
import org.vnvdimm.guest.acpi.DsmRequest;
import org.vnvdimm.guest.acpi.FitReader;
import org.vnvdimm.guest.acpi.LabelClient;
import org.vnvdimm.guest.acpi.NcalStep;
import org.vnvdimm.proto.*;

/**
 * An HVM guest: hvmloader (memory map, the device model's ACPI tables from the xenstore dm-acpi
 * keys, checksums) and then the guest OS (NFIT driver, namespace labels and _FIT through _DSM on
 * port 0x0A18, a data pattern written to each vNVDIMM and read back through its p2m).
 */
public final class Guest extends ComponentBehavior {
    /** Bound on the pattern a workload writes, per vNVDIMM. */
    static final long MAX_PATTERN_BYTES = 64L << 20;
    /** Bound on _FIT restarts before the OS gives up (the AML itself would spin forever). */
    static final int MAX_FIT_RESTARTS = 16;

    /**
     * Where xl leaves the domain config's workload for the guest (a simulator-only key, [inferred]):
     * the guest learns it as a real guest learns anything from its toolstack, through xenstore.
     */
    public static final String WORKLOAD_DIR = "data/vnvdimm-sim/";

    /** A vNVDIMM as the NFIT describes it. */
    record Region(long gpa, long sizeBytes, long handle, long pxm) {}

    private final int domid;
    /** Null until read from xenstore. */
    private GuestWorkload workload;
    private final List<AcpiTableBlob> tables = new ArrayList<>();
    private final List<Region> regions = new ArrayList<>();
    private long mema;
    private byte[] dsmPage = new byte[DsmPage.PAGE_SIZE_BYTES];
    private boolean started;
    /** Whether hvmloader's DSDT has \_GPE._E04 (design guest_gpe: e04); Xen 4.10's has _E01 and _E02 only. */
    private final boolean gpeE04;
    /** The GPE0 enable bits the OS set: one per \_GPE method its DSDT has. */
    private int gpe0Enabled;
    /** The OS is booting or handling an ACPI event; an SCI waits until it is done. */
    private boolean osBusy = true;
    private boolean sciPending;

    /** GPE0 bits with a method in Xen 4.10's DSDT for qemu-xen (mk_dsdt.c): _E01 (PCI hotplug), _E02 (CPU hotplug). */
    static final int XEN_DSDT_GPES = 0x06;

    public static Behavior<Envelope> create(ActorRef<StepResult> wire, int domid) {
        return create(wire, domid, Design.getDefaultInstance());
    }

    public static Behavior<Envelope> create(ActorRef<StepResult> wire, int domid, Design design) {
        boolean e04 = design.getGuestGpe().equals("e04");
        return Behaviors.setup(ctx -> new Guest(ctx, wire, domid, e04));
    }

    private Guest(ActorContext<Envelope> ctx, ActorRef<StepResult> wire, int domid, boolean gpeE04) {
        super(ctx, Roles.guest(domid), wire);
        this.domid = domid;
        this.gpeE04 = gpeE04;
    }

    /**
     * `vnvdimm show`: the ACPI tables and the pmem regions it read (NFIT, then _FIT), which it maps
     * (DAX, identity in the guest), and its data mirror: per vNVDIMM, which byte ranges got which
     * pattern. The label area it only probed (_LSI, _LSR): nothing of it is kept.
     */
    @Override
    protected StateDump.Builder dumpState() {
        StateDump.Builder d = StateDump.newBuilder();
        DumpSection.Builder t = org.vnvdimm.contract.Dumps.section("acpi tables").addFacts("mema=" + org.vnvdimm.contract.Dumps.hex(mema));
        for (AcpiTableBlob b : tables) {
            t.addRanges(org.vnvdimm.contract.Dumps.range("gpa", b.getAddress(), b.getData().size(), b.getSignature()));
        }
        d.addSections(t);
        DumpSection.Builder r = org.vnvdimm.contract.Dumps.section("pmem regions (NFIT/_FIT)");
        for (int i = 0; i < regions.size(); i++) {
            Region x = regions.get(i);
            r.addRanges(org.vnvdimm.contract.Dumps.range("gpa", x.gpa(), x.sizeBytes(), "pmem" + i + " nmem handle "
                    + org.vnvdimm.contract.Dumps.hex(x.handle()) + " node " + x.pxm()));
        }
        d.addSections(r);
        for (java.util.Map.Entry<Integer, org.vnvdimm.ranges.ExtentMap<Written>> w : written.entrySet()) {
            DumpSection.Builder m = org.vnvdimm.contract.Dumps.section("pmem" + w.getKey() + " data mirror");
            long bytes = 0;
            for (org.vnvdimm.ranges.ExtentMap.Extent<Written> x : w.getValue().extents()) {
                bytes += x.length();
                m.addRanges(org.vnvdimm.contract.Dumps.range("offset", x.start(), x.length(), "pattern seed " + org.vnvdimm.contract.Dumps.hex(x.value().seed())));
            }
            d.addSections(m.addFacts("written_bytes=" + bytes));
        }
        return d;
    }

    @Override
    protected void handle(Envelope e) {
        if (e.hasDomainStart() && e.getFrom().equals(Roles.XEN)) {
            if (started) throw new ProtocolError("vcpu0 started twice");
            started = true;
            hvmloader();
            return;
        }
        if (e.hasGuestInterrupt() && e.getFrom().equals(Roles.XEN)) {
            interrupt(e.getGuestInterrupt());
            return;
        }
        if (e.hasGuestCommand() && e.getFrom().equals(Roles.XL)) {
            guestIo(e, e.getGuestCommand().getIo());
            return;
        }
        throw new ProtocolError("the guest does not expect " + e.getPayloadCase() + " from " + e.getFrom());
    }

    // ------------------------------------------------------------------ plumbing

    private void check(String what, boolean ok, String detail) {
        observe(Observation.newBuilder().setGuestCheck(GuestCheck.newBuilder().setDomid(domid).setWhat(what).setOk(ok).setDetail(detail)).build());
    }

    private void xsRead(String rel, Consumer<XsResponse> k) {
        call(Roles.XENSTORED, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_READ).setPath(home() + rel)),
                r -> k.accept(r.getXsResponse()));
    }

    private String home() { return "/local/domain/" + domid + "/"; }

    /** A load of up to one page; k gets the bytes or null on a fault. */
    private void load(long gpa, int len, Consumer<byte[]> k) {
        call(Roles.XEN, Envelope.newBuilder().setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(gpa).setLen(len)), r -> {
            if (r.hasMemAccessDone() && r.getMemAccessDone().getRc() == 0) k.accept(r.getMemAccessDone().getData().toByteArray());
            else k.accept(null);
        });
    }

    private void store(long gpa, byte[] data, Consumer<Boolean> k) {
        call(Roles.XEN, Envelope.newBuilder().setGuestMemAccess(GuestMemAccess.newBuilder().setWrite(true).setGpa(gpa).setLen(data.length)
                .setData(ByteString.copyFrom(data))), r -> k.accept(r.hasMemAccessDone() && r.getMemAccessDone().getRc() == 0));
    }

    /** Read [gpa, gpa+len) page-bounded chunk by chunk. */
    private void loadRange(long gpa, int len, Consumer<byte[]> k) {
        byte[] out = new byte[len];
        loadChunk(gpa, out, 0, k);
    }

    private void loadChunk(long gpa, byte[] out, int off, Consumer<byte[]> k) {
        if (off >= out.length) { k.accept(out); return; }
        long at = gpa + off;
        int n = (int) Math.min(out.length - off, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
        load(at, n, b -> {
            if (b == null) { k.accept(null); return; }
            System.arraycopy(b, 0, out, off, n);
            loadChunk(gpa, out, off + n, k);
        });
    }

    // ------------------------------------------------------------------ hvmloader

    private void hvmloader() {
        call(Roles.XEN, Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_memory_map)
                .setMemoryMap(XenMemoryMap.newBuilder().setNrEntries(E820MAX))), r -> {
            HypercallRet ret = r.getHypercallRet();
            if (ret.getRc() != 0) {
                check("boot-memory-map", false, "XENMEM_memory_map: " + Errno.name(ret.getRc()));
                return;
            }
            for (E820Entry x : ret.getMemoryMap().getBufferList()) {
                log("HVM%d: E820 %016x - %016x %s", domid, x.getAddr(), x.getAddr() + x.getSize(), e820TypeName(x.getType()));
            }
            xsRead(HVM_XS_DM_ACPI_ADDRESS, a -> xsRead(HVM_XS_DM_ACPI_LENGTH, l -> {
                if (a.getType() == XS_ERROR || l.getType() == XS_ERROR) {
                    log("HVM%d: no device-model ACPI tables", domid);
                    guestOs();
                    return;
                }
                long addr, len;
                try {
                    addr = Long.decode(a.getValue());
                    len = Long.decode(l.getValue());
                } catch (NumberFormatException ex) {
                    check("acpi-dm-keys", false, "address/length not numbers: " + a.getValue() + ", " + l.getValue());
                    guestOs();
                    return;
                }
                call(Roles.XENSTORED, Envelope.newBuilder().setXsRequest(XsRequest.newBuilder().setType(XS_DIRECTORY).setPath(home() + HVM_XS_DM_ACPI_ROOT)), d -> {
                    List<String> blobs = new ArrayList<>();
                    for (String n : d.getXsResponse().getEntriesList()) if (!n.equals("address") && !n.equals("length")) blobs.add(n);
                    loadBlobs(addr, len, blobs, 0);
                });
            }));
        });
    }

    /** construct_dm_tables(): each blob's type/offset/length, its bytes, a checksum check, appended. */
    private void loadBlobs(long addr, long len, List<String> blobs, int i) {
        if (i == blobs.size()) { guestOs(); return; }
        String dir = HVM_XS_DM_ACPI_ROOT + "/" + blobs.get(i) + "/";
        xsRead(dir + "type", t -> xsRead(dir + "offset", o -> xsRead(dir + "length", l -> {
            long type, off, n;
            try {
                type = Long.parseLong(t.getValue());
                off = Long.parseLong(o.getValue());
                n = Long.parseLong(l.getValue());
            } catch (NumberFormatException ex) {
                check("acpi-dm-keys", false, blobs.get(i) + ": type/offset/length unreadable");
                loadBlobs(addr, len, blobs, i + 1);
                return;
            }
            if (type != DM_ACPI_BLOB_TYPE_TABLE || off < 0 || n < 36 || off + n > len || n > (1 << 20)) {
                check("acpi-dm-keys", false, blobs.get(i) + ": not a table inside the DM ACPI area");
                loadBlobs(addr, len, blobs, i + 1);
                return;
            }
            loadRange(addr + off, (int) n, bytes -> {
                if (bytes == null) {
                    check("acpi-load-" + blobs.get(i), false, "guest memory fault reading the table");
                } else {
                    String sig = new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII);
                    long hdrLen = ByteBuffer.wrap(bytes, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
                    boolean sumOk = AcpiChecksum.verify(bytes);
                    check("acpi-checksum-" + sig, sumOk && hdrLen == n, sumOk ? (hdrLen == n ? "" : "header length " + hdrLen + " != " + n) : "table does not sum to zero");
                    tables.add(AcpiTableBlob.newBuilder().setSignature(sig).setAddress(addr + off).setData(ByteString.copyFrom(bytes)).build());
                    log("HVM%d: appended %s (%d bytes) from the device model", domid, sig, n);
                }
                loadBlobs(addr, len, blobs, i + 1);
            });
        })));
    }

    // ------------------------------------------------------------------ the guest OS

    private void guestOs() {
        for (AcpiTableBlob t : tables) {
            if (t.getSignature().equals("NFIT")) parseNfit(t.getData().toByteArray());
            if (t.getSignature().equals("SSDT")) mema = memaOf(t.getData().toByteArray());
        }
        enableGpes(() -> labelsNext(0));
    }

    /**
     * ACPICA at boot enables every GPE that has an _Lxx/_Exx method in the DSDT and leaves the
     * others disabled: one byte write to GPE0's enable half (port 0xafe2), which QEMU emulates.
     */
    private void enableGpes(Runnable k) {
        int mask = XEN_DSDT_GPES | (gpeE04 ? ACPI_NVDIMM_HOTPLUG_STATUS : 0);
        io(ACPI_GPE0_BLK_ADDRESS_V1 + ACPI_GPE0_BLK_LEN_V1 / 2, true, mask, ignored -> {
            gpe0Enabled = mask;
            log("ACPI: \\_GPE methods %s: GPE0 enable %#x", gpeE04 ? "_E01 _E02 _E04" : "_E01 _E02 (no _E04)", mask);
            k.run();
        });
    }

    /** A one-byte port access; k gets the data read (all ones if nothing answered). */
    private void io(int port, boolean write, long data, java.util.function.LongConsumer k) {
        call(Roles.XEN, Envelope.newBuilder().setGuestIo(GuestIo.newBuilder().setPort(port).setSize(1).setWrite(write).setData(write ? data : 0)),
                r -> k.accept(r.hasGuestIoDone() ? r.getGuestIoDone().getData() : 0xff));
    }

    private void parseNfit(byte[] nfit) {
        ParsedNfit p;
        try {
            p = NfitParser.parseTable(nfit);
        } catch (AcpiParseException ex) {
            check("acpi-nfit", false, ex.getMessage());
            return;
        }
        for (Region r : regionsOf(p)) {
            regions.add(r);
            log("nfit ACPI0012:00: pmem region [mem %#x-%#x] nmem handle %#x, node %d", r.gpa(), r.gpa() + r.sizeBytes() - 1, r.handle(), r.pxm());
        }
        check("acpi-nfit", !regions.isEmpty(), regions.size() + " persistent-memory range(s)");
    }

    /** The persistent-memory ranges an NFIT (or a FIT) describes, with their NVDIMM handles. */
    static List<Region> regionsOf(ParsedNfit p) {
        List<Region> out = new ArrayList<>();
        for (NfitSpaRange s : p.spaRanges()) {
            if (!Guid.PERSISTENT_MEMORY.equals(s.rangeTypeGuid())) continue;
            long handle = 0;
            for (NfitMemoryDeviceMap m : p.memoryDeviceMaps()) if (m.spaRangeIndex() == s.rangeIndex()) handle = m.deviceHandle();
            out.add(new Region(s.rangeBase(), s.rangeLengthBytes(), handle, s.proximityDomain()));
        }
        return out;
    }

    /** The SSDT ends with Name(MEMA, DWordConst): 08 'MEMA' 0C and the dword firmware patched. */
    static long memaOf(byte[] ssdt) {
        int n = ssdt.length;
        if (n < 46 || ssdt[n - 10] != 0x08 || ssdt[n - 9] != 'M' || ssdt[n - 8] != 'E' || ssdt[n - 7] != 'M' || ssdt[n - 6] != 'A'
                || ssdt[n - 5] != 0x0C) return 0;
        return ByteBuffer.wrap(ssdt, n - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    }

    /** One _DSM evaluation (NCAL): fill the page, write its address to the trap port, read the result. */
    private void dsm(DsmRequest req, Consumer<byte[]> k) {
        NcalStep s = DsmPage.prepare(req, mema, dsmPage);
        if (s instanceof NcalStep.Immediate im) { k.accept(im.result()); return; }
        NcalStep.Trap t = (NcalStep.Trap) s;
        dsmPage = t.page();
        store(t.pageAddr(), dsmPage, ok -> {
            if (!ok) { k.accept(null); return; }
            call(Roles.XEN, Envelope.newBuilder().setGuestIo(GuestIo.newBuilder().setPort(NVDIMM_ACPI_IO_BASE).setSize(4).setWrite(true)
                    .setData(t.pageAddr())), io -> load(t.pageAddr(), DsmPage.PAGE_SIZE_BYTES, out -> {
                if (out == null) { k.accept(null); return; }
                dsmPage = out;
                k.accept(DsmPage.decodeOutput(out));
            }));
        });
    }

    /** _DSM status 1: function not supported (QEMU's answer to label functions without label-size). */
    static final long DSM_STATUS_NOT_SUPPORTED = 1;

    /** Each vNVDIMM's namespace label area: size (_LSI), then the index block (_LSR). */
    private void labelsNext(int i) {
        if (i == regions.size() || mema == 0) { readFit(); return; }
        labelsOf(i, ok -> labelsNext(i + 1));
    }

    /** One vNVDIMM's labels: _LSI, then _LSR of the first transfer; k learns whether both worked. */
    private void labelsOf(int i, Consumer<Boolean> k) {
        LabelClient lc = new LabelClient(regions.get(i).handle());
        dsm(lc.labelStorageInfoRequest(), r -> {
            try {
                if (r == null) throw new AmlFaultException("_LSI: no result", java.util.OptionalLong.empty());
                LabelClient.LabelStorageInfo info = lc.decodeLabelStorageInfo(r);
                if (info.status() != 0 || info.labelSizeBytes() == 0) {
                    log("nvdimm nmem%d: no label area (_LSI status %#x)", i, info.status());
                    k.accept(info.status() == 0 || info.status() == DSM_STATUS_NOT_SUPPORTED);
                    return;
                }
                long n = Math.min(info.labelSizeBytes(), info.maxTransferBytes());
                dsm(lc.labelStorageReadRequest(0, n), rd -> {
                    boolean ok = false;
                    try {
                        LabelClient.LabelRead lr = lc.decodeLabelStorageRead(n, rd);
                        ok = lr.status() == 0 && lr.data().length == n;
                        check("acpi-dsm-labels", ok,
                                org.vnvdimm.contract.ComponentBehavior.format("nmem%d: label area %d bytes, read %d at offset 0, status %#x", i, info.labelSizeBytes(), lr.data().length, lr.status()));
                    } catch (AmlFaultException | IllegalArgumentException ex) {
                        check("acpi-dsm-labels", false, "_LSR: " + ex.getMessage());
                    }
                    k.accept(ok);
                });
            } catch (AmlFaultException ex) {
                if (ex.dsmStatus().orElse(-1) == DSM_STATUS_NOT_SUPPORTED) {
                    // QEMU answers label functions with status 1 when the device has no label-size;
                    // the _LSI AML then faults on the short result. [inferred] Linux treats the DIMM
                    // as label-less, and the region gets one namespace over all of it.
                    log("nvdimm nmem%d: no label area (_LSI faults: %s): label-less namespace [inferred]", i, ex.getMessage());
                    k.accept(true);
                    return;
                }
                check("acpi-dsm-labels", false, "_LSI: " + ex.getMessage());
                k.accept(false);
            } catch (IllegalArgumentException ex) {
                check("acpi-dsm-labels", false, "_LSI: " + ex.getMessage());
                k.accept(false);
            }
        });
    }

    /** Evaluate _FIT and check it describes what the static NFIT does. */
    private void readFit() {
        if (mema == 0 || tables.stream().noneMatch(t -> t.getSignature().equals("NFIT"))) { workload(0); return; }
        FitReader reader = new FitReader();
        readWholeFit(reader, "acpi-fit", fit -> {
            byte[] nfit = tables.stream().filter(t -> t.getSignature().equals("NFIT")).findFirst().get().getData().toByteArray();
            byte[] body = Arrays.copyOfRange(nfit, 40, nfit.length);
            check("acpi-fit", Arrays.equals(body, fit), fit.length + " bytes in " + reader.calls() + " Read FIT call(s), "
                    + reader.restarts() + " restart(s)");
            workload(0);
        }, () -> workload(0));
    }

    /**
     * _FIT's RFIT loop: Read FIT page by page over the _DSM page, restarting at offset 0 on status
     * 0x100, giving up after MAX_FIT_RESTARTS. A failure is the guest's check `what`, then `after`.
     */
    private void readWholeFit(FitReader reader, String what, Consumer<byte[]> done, Runnable after) {
        int offset = reader.nextOffset();
        dsm(reader.nextRequest(), r -> {
            FitReader.Step s;
            try {
                if (r == null) throw new AmlFaultException("RFIT: no result", java.util.OptionalLong.empty());
                s = reader.accept(r);
            } catch (AmlFaultException ex) {
                check(what, false, ex.getMessage());
                after.run();
                return;
            }
            if (s instanceof FitReader.Step.Done d) {
                done.accept(d.fit());
                return;
            }
            if (s instanceof FitReader.Step.Failed f) {
                check(what, false, "Read FIT status " + f.status());
                after.run();
                return;
            }
            if (s instanceof FitReader.Step.Restarted) {
                log("nfit ACPI0012:00: Read FIT at offset %d: status 0x100 → restart at offset 0 (restart %d)", offset, reader.restarts());
            }
            if (reader.restarts() > MAX_FIT_RESTARTS) {
                check(what, false, "FIT kept changing: " + reader.restarts() + " restarts");
                after.run();
                return;
            }
            readWholeFit(reader, what, done, after);
        });
    }

    // ------------------------------------------------------------------ SCI, GPE0 and NVDIMM hotplug

    private void interrupt(GuestInterrupt irq) {
        if (irq.getIsaIrq() != ACPI_SCI_IRQ) {
            log("d%d: interrupt on ISA IRQ %d ignored", domid, irq.getIsaIrq());
            return;
        }
        sciPending = true;
        if (!osBusy) serviceSci();
    }

    /** The OS finished what it was doing; a pending SCI is serviced now. */
    private void osIdle() {
        osBusy = false;
        if (sciPending) serviceSci();
    }

    /**
     * The SCI handler: read GPE0 status (port 0xafe0, which traps to QEMU); for an enabled
     * edge-triggered GPE with an _Exx method, clear its status bit first, then run the method.
     * GPE 4 is _E04, whose body is Notify(\\_SB.NVDR, 0x80): the NFIT driver re-reads _FIT.
     */
    private void serviceSci() {
        osBusy = true;
        sciPending = false;
        io(ACPI_GPE0_BLK_ADDRESS_V1, false, 0, sts -> {
            int live = (int) sts & gpe0Enabled;
            if ((live & ACPI_NVDIMM_HOTPLUG_STATUS) == 0) {
                log("ACPI: SCI: GPE0 status %#x, enable %#x: no GPE to dispatch", sts & 0xff, gpe0Enabled);
                osIdle();
                return;
            }
            io(ACPI_GPE0_BLK_ADDRESS_V1, true, ACPI_NVDIMM_HOTPLUG_STATUS, ignored -> {
                log("ACPI: SCI: GPE0.4 set (status %#x): cleared; \\_GPE._E04: Notify(\\_SB.NVDR, 0x80)", sts & 0xff);
                log("nfit ACPI0012:00: notify 0x80: evaluating _FIT");
                FitReader reader = new FitReader();   // _FIT after the notify, merged into what the driver has
                readWholeFit(reader, "acpi-fit-hotplug", fit -> mergeFit(fit, reader), this::osIdle);
            });
        });
    }


    /** The devices a FIT describes, as "[handle@gpa+size, ...]" in handle order. */
    static String fitDevices(List<Region> rs) {
        List<Region> sorted = new ArrayList<>(rs);
        sorted.sort(java.util.Comparator.comparingLong(Region::handle));
        StringBuilder b = new StringBuilder("[");
        for (Region r : sorted) {
            if (b.length() > 1) b.append(", ");
            b.append(org.vnvdimm.contract.ComponentBehavior.format("%#x@%#x+%#x", r.handle(), r.gpa(), r.sizeBytes()));
        }
        return b.append(']').toString();
    }

    /** acpi_nfit_update: what the new FIT adds becomes a region; each new one is probed and used. */
    private void mergeFit(byte[] fit, FitReader reader) {
        List<Region> now;
        try {
            now = regionsOf(NfitParser.parseFit(fit));
        } catch (AcpiParseException ex) {
            check("acpi-fit-hotplug", false, ex.getMessage());
            osIdle();
            return;
        }
        check("acpi-fit-hotplug", true, org.vnvdimm.contract.ComponentBehavior.format("%d bytes in %d Read FIT call(s), %d restart(s); FIT devices %s",
                fit.length, reader.calls(), reader.restarts(), fitDevices(now)));
        List<Integer> added = new ArrayList<>();
        for (Region r : now) {
            boolean known = false;
            for (Region o : regions) if (o.handle() == r.handle()) known = true;
            if (known) continue;
            regions.add(r);
            added.add(regions.size() - 1);
            log("nfit ACPI0012:00: pmem region [mem %#x-%#x] nmem handle %#x, node %d (hot-added)", r.gpa(), r.gpa() + r.sizeBytes() - 1,
                    r.handle(), r.pxm());
        }
        probeAdded(added, 0);
    }

    /**
     * Each hot-added vNVDIMM: labels through _DSM, then the domain's workload on it. The check
     * `nvdimm-usable` (ok) marks the device usable by the guest.
     */
    private void probeAdded(List<Integer> added, int j) {
        if (j == added.size()) { osIdle(); return; }
        int i = added.get(j);
        Region r = regions.get(i);
        labelsOf(i, labelsOk -> {
            Runnable use = () -> exercise(i, bad -> {
                check("nvdimm-usable", labelsOk && bad == 0, org.vnvdimm.contract.ComponentBehavior.format("nmem handle %#x: region [mem %#x-%#x], labels %s, workload %s",
                        r.handle(), r.gpa(), r.gpa() + r.sizeBytes() - 1, labelsOk ? "read (or none: label-less)" : "unreadable", bad == 0 ? "read back" : bad + " page(s) differ"));
                probeAdded(added, j + 1);
            });
            if (workload == null) readWorkload(use); else use.run();
        });
    }

    // ------------------------------------------------------------------ the workload

    private void workload(int i) {
        if (workload == null) {
            readWorkload(() -> workload(i));
            return;
        }
        long bytes = Math.min(workload.getPatternBytes(), MAX_PATTERN_BYTES);
        if (i == regions.size() || bytes == 0) {
            observe(Observation.newBuilder().setDomainState(DomainState.newBuilder().setDomid(domid).setState("booted")).build());
            osIdle();
            return;
        }
        exercise(i, bad -> workload(i + 1));
    }

    /** The workload's pattern on vNVDIMM i: written, read back, checked; k gets the pages that differ. */
    private void exercise(int i, java.util.function.IntConsumer done) {
        long bytes = Math.min(workload.getPatternBytes(), MAX_PATTERN_BYTES);
        Region r = regions.get(i);
        long n = Math.min(bytes, r.sizeBytes()) & ~(PAGE_SIZE - 1);
        SplittableRandom rng = new SplittableRandom(workload.getPatternSeed() * 31 + domid * 1009L + i);
        List<byte[]> pattern = new ArrayList<>();
        for (long off = 0; off < n; off += PAGE_SIZE) {
            byte[] page = new byte[(int) PAGE_SIZE];
            for (int b = 0; b < page.length; b += 8) {
                long v = rng.nextLong();
                for (int k = 0; k < 8; k++) page[b + k] = (byte) (v >>> (8 * k));
            }
            pattern.add(page);
        }
        writePattern(r, pattern, 0, () -> verifyPattern(r, pattern, 0, 0, bad -> {
            check("data-readback", bad == 0, org.vnvdimm.contract.ComponentBehavior.format("vNVDIMM %d: %d page(s) at gpa %#x written and read back, %d differ", i, pattern.size(), r.gpa(), bad));
            done.accept(bad);
        }));
    }

    /** The workload keys xl wrote; a missing key means no workload. */
    private void readWorkload(Runnable k) {
        xsRead(WORKLOAD_DIR + "pattern_bytes", a -> xsRead(WORKLOAD_DIR + "pattern_seed", b -> {
            workload = GuestWorkload.newBuilder().setPatternBytes(xsNumber(a)).setPatternSeed(xsNumber(b)).build();
            k.run();
        }));
    }

    private long xsNumber(XsResponse r) {
        if (r.getType() == XS_ERROR) return 0;
        try {
            return Long.parseUnsignedLong(r.getValue());
        } catch (NumberFormatException ex) {
            log("guest: workload key is not a number: %s", r.getValue());
            return 0;
        }
    }

    private void writePattern(Region r, List<byte[]> pattern, int p, Runnable k) {
        if (p == pattern.size()) { k.run(); return; }
        store(r.gpa() + p * PAGE_SIZE, pattern.get(p), ok -> {
            if (!ok) log("d%d: store to gpa %#x faulted", domid, r.gpa() + p * PAGE_SIZE);
            writePattern(r, pattern, p + 1, k);
        });
    }

    private void verifyPattern(Region r, List<byte[]> pattern, int p, int bad, java.util.function.IntConsumer k) {
        if (p == pattern.size()) { k.accept(bad); return; }
        load(r.gpa() + p * PAGE_SIZE, (int) PAGE_SIZE, b -> verifyPattern(r, pattern, p + 1, bad + (Arrays.equals(b, pattern.get(p)) ? 0 : 1), k));
    }

    // ------------------------------------------------------------------ guest_io (scenario steps)

    /** The pattern a guest_io write put at a vNVDIMM offset (the bytes follow from the seed and offset). */
    private record Written(long seed) implements org.vnvdimm.ranges.ExtentMap.Value<Written> {
        @Override
        public Written slice(long offset) { return this; }
    }

    /** Per vNVDIMM (NFIT order): which pattern each byte range last got from a guest_io write. */
    private final java.util.TreeMap<Integer, org.vnvdimm.ranges.ExtentMap<Written>> written = new java.util.TreeMap<>();

    private void ioDone(Envelope req, long rc, String out) {
        replyTo(req, Envelope.newBuilder().setAdminResult(AdminResult.newBuilder().setRc((int) rc).setOutput(out)));
    }

    /**
     * write, read, verify or flush [offset, +length) of vNVDIMM n, page by page through the p2m
     * (MAP_SYNC-style direct access: the stores never fault on the host).
     */
    private void guestIo(Envelope req, GuestIoStep io) {
        String what = org.vnvdimm.contract.ComponentBehavior.format("d%d %s vNVDIMM %d [%#x, +%d)", domid, io.getOp(), io.getVnvdimm(), io.getOffsetBytes(), io.getLengthBytes());
        if (io.getVnvdimm() >= regions.size()) { ioDone(req, Errno.ENODEV.neg(), what + ": the guest has " + regions.size() + " NVDIMM region(s)"); return; }
        Region r = regions.get(io.getVnvdimm());
        long off = io.getOffsetBytes(), len = io.getLengthBytes();
        if (len <= 0 || off < 0 || off > r.sizeBytes() - len) { ioDone(req, Errno.EINVAL.neg(), what + ": outside the region of " + r.sizeBytes() + " bytes"); return; }
        if (io.getVia().equals("dma")) {
            // The guest's driver programs its passthrough device with the buffer's guest addresses;
            // the device's completion is Xen's answer (after the device's writes went through the IOMMU).
            written.computeIfAbsent(io.getVnvdimm(), k -> new org.vnvdimm.ranges.ExtentMap<>()).put(off, len, new Written(io.getPatternSeed()));
            call(Roles.XEN, Envelope.newBuilder().setGuestMemAccess(GuestMemAccess.newBuilder().setWrite(true).setDma(true).setGpa(r.gpa() + off)
                    .setLen(len).setData(com.google.protobuf.ByteString.copyFrom(org.vnvdimm.contract.Pattern.bytes(io.getPatternSeed(), off, (int) len)))), x -> {
                if (x.hasGuestFault()) { ioDone(req, x.getGuestFault().getRc(), what + " by DMA: " + x.getGuestFault().getReason()); return; }
                int rc = x.getMemAccessDone().getRc();
                ioDone(req, rc, what + (rc == 0 ? " by DMA: done" : " by DMA: the device reported an error (IOMMU fault)"));
            });
            return;
        }
        switch (io.getOp()) {
            case "write" -> {
                written.computeIfAbsent(io.getVnvdimm(), k -> new org.vnvdimm.ranges.ExtentMap<>()).put(off, len, new Written(io.getPatternSeed()));
                ioPages(r, off, len, (at, n, k) -> store(r.gpa() + at, org.vnvdimm.contract.Pattern.bytes(io.getPatternSeed(), at, n), ok -> k.accept(ok ? 0 : 1)),
                        bad -> ioDone(req, bad == 0 ? 0 : Errno.EFAULT.neg(), what + (bad == 0 ? ": done" : ": " + bad + " store(s) faulted")));
            }
            case "flush" -> ioPages(r, off, len, (at, n, k) -> call(Roles.XEN, Envelope.newBuilder().setGuestMemAccess(GuestMemAccess.newBuilder()
                            .setFlush(true).setGpa(r.gpa() + at).setLen(n)), x -> k.accept(x.hasMemAccessDone() && x.getMemAccessDone().getRc() == 0 ? 0 : 1)),
                    bad -> ioDone(req, bad == 0 ? 0 : Errno.EFAULT.neg(), what + (bad == 0 ? ": clwb + sfence done" : ": " + bad + " flush(es) faulted")));
            case "read", "verify" -> {
                org.vnvdimm.ranges.ExtentMap<Written> w = written.get(io.getVnvdimm());
                boolean verify = io.getOp().equals("verify");
                int[] faults = {0};
                ioPages(r, off, len, (at, n, k) -> load(r.gpa() + at, n, b -> {
                    if (b == null) { faults[0]++; k.accept(0); return; }
                    int differ = 0;
                    if (verify && io.getPatternSeed() != 0) {
                        // verify with a pattern: the data an earlier boot wrote (this kernel's RAM forgot it).
                        for (int o = 0; o < n && differ == 0; o++) if (b[o] != org.vnvdimm.contract.Pattern.at(io.getPatternSeed(), at + o)) differ = 1;
                    } else if (verify && w != null) {
                        for (org.vnvdimm.ranges.ExtentMap.Extent<Written> x : w.overlapping(at, n)) {
                            for (long o = x.start(); o < x.end() && differ == 0; o++) {
                                if (b[(int) (o - at)] != org.vnvdimm.contract.Pattern.at(x.value().seed(), o)) differ = 1;
                            }
                        }
                    }
                    k.accept(differ);
                }), bad -> {
                    if (faults[0] > 0) { ioDone(req, Errno.EFAULT.neg(), what + ": " + faults[0] + " load(s) faulted"); return; }
                    if (bad > 0) { ioDone(req, Errno.EIO.neg(), what + ": " + bad + " page(s) differ from what the guest wrote"); return; }
                    ioDone(req, 0, what + (verify ? ": every page holds what the guest wrote" : ": done"));
                });
            }
            default -> ioDone(req, Errno.EINVAL.neg(), what + ": unknown operation");
        }
    }

    /** One access per page piece: f(offset in region, length, k) calls k with 0 (fine) or 1 (bad); done gets the count of bad pieces. */
    private interface PageIo { void run(long at, int n, java.util.function.IntConsumer k); }

    private void ioPages(Region r, long off, long len, PageIo f, java.util.function.IntConsumer done) {
        ioPage(off, off + len, 0, f, done);
    }

    private void ioPage(long at, long end, int bad, PageIo f, java.util.function.IntConsumer done) {
        if (at >= end) { done.accept(bad); return; }
        int n = (int) Math.min(end - at, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
        f.run(at, n, b -> ioPage(at + n, end, bad + b, f, done));
    }
}
