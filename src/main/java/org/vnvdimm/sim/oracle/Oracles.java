package org.vnvdimm.sim.oracle;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.*;
import org.vnvdimm.ranges.ExtentMap;
import org.vnvdimm.ranges.RangeSet;
import org.vnvdimm.sim.platform.PlatformModel;
import org.vnvdimm.sim.wire.Wire;

/**
 * The safety checks, run after every delivery (DESIGN.md section 5). They judge from evidence the
 * judged component cannot forge:
 * <ul>
 *   <li>the bus: every memory access delivered to the platform, with its initiator and SPA;</li>
 *   <li>hypercalls as the wire delivered them, paired with Xen's answer (rc) by in_reply_to:
 *       what Xen accepted (pmem_add, pmem_setup, memory_mapping, createdomain) defines Xen's
 *       areas, data areas and who maps which frames;</li>
 *   <li>guest stores and loads as the guest issued them, and the data that came back;</li>
 *   <li>Dom0's layout breaks as delivered to the QEMU that maps the file (where a file's pages are
 *       after a block move, free or allocation), judged against what Xen accepted and removed;</li>
 *   <li>tables as they travelled (firmware hand-off, Dom0's start) or as QEMU wrote them into guest
 *       memory and named them in xenstore; the FIT as the guest's Read FIT _DSM pages carried it;</li>
 *   <li>QMP commands and answers between xl and QEMU (which NVDIMMs a QEMU has);</li>
 *   <li>the hardware itself for which DIMMs decode on the bus (hot-added ones included);</li>
 *   <li>a component's crash, as its base class reported it or the wire saw it stop.</li>
 * </ul>
 * Still taken from components' own observations (listed in the README): the filesystem's file
 * extents (Dom0), QEMU's vNVDIMM layout (which file backs which guest frames), and a guest's
 * "booted" and "nvdimm-usable" (the end of liveness waits). Other guest self-checks are trace
 * lines, never verdicts.
 *
 * <p>A verdict names the delivery where the property broke. Repeats of one cause fold into the
 * first verdict (repeats, last_seq); each oracle keeps at most {@link #MAX_VERDICTS_PER_ORACLE}
 * verdicts, counting the rest. Everything is range-based: cost grows with extents, not pages.
 */
public final class Oracles implements Wire.Observer {
    public static final String BOOT_SAFETY = "boot-safety";
    public static final String ISOLATION = "isolation";
    public static final String COHERENCE = "mapping-coherence";
    public static final String INTEGRITY = "data-integrity";
    public static final String ACPI = "acpi";
    public static final String LIVENESS = "liveness";
    public static final String CRASH = "crash";
    public static final String REPORT_BEFORE_MAP = "report-before-map";
    public static final String DURABILITY = "durability";
    /** The one list of oracles: the CLI, the scenario validator and the summary read it. */
    public static final List<String> ALL = List.of(BOOT_SAFETY, ISOLATION, COHERENCE, INTEGRITY, ACPI, LIVENESS, CRASH, REPORT_BEFORE_MAP, DURABILITY);

    /** Distinct verdicts kept per oracle; later ones of new causes are counted as dropped. */
    public static final int MAX_VERDICTS_PER_ORACLE = 100;
    /** Info blocks and superblocks sit at offset 4 KiB of a namespace: reading it is the probe. */
    static final long PROBE_PAGE = 1;

    record Run(long mfn) implements ExtentMap.Value<Run> {
        public Run slice(long off) { return new Run(mfn + off); }
    }

    record Owner(int domid, long gfn) implements ExtentMap.Value<Owner> {
        public Owner slice(long off) { return new Owner(domid, gfn + off); }
    }

    record Bytes(byte[] data, int off) implements ExtentMap.Value<Bytes> {
        public Bytes slice(long o) { return new Bytes(data, Math.toIntExact(off + o)); }
    }

    record Layout(int domid, long gfn, long nr, String path, long pgoff) {}

    /**
     * What a pmem byte range must read as after a power cycle, from the stores on the bus: now is
     * the last store (seq storeSeq); flushed when a flush covered it since; old is what it held
     * before the first store not flushed (null: never seen on the bus, any value). cycled: a power
     * cycle came after the store.
     */
    record Stored(byte[] old, int oldOff, byte[] now, int nowOff, long storeSeq, boolean flushed, boolean cycled) implements ExtentMap.Value<Stored> {
        public Stored slice(long o) {
            return new Stored(old, old == null ? 0 : Math.toIntExact(oldOff + o), now, Math.toIntExact(nowOff + o), storeSeq, flushed, cycled);
        }

        Stored cycle() { return new Stored(old, oldOff, now, nowOff, storeSeq, flushed, true); }

        Stored flush() { return new Stored(null, 0, now, nowOff, storeSeq, true, cycled); }
    }

    // ---- evidence: the hardware
    private final RangeSet hostRam;
    private final RangeSet hostPmem;
    /** The NFIT's SPA ranges, one per DIMM. */
    private final List<RangeSet.Range> regions = new ArrayList<>();
    /** Pmem regions (contiguous SPA ranges) Dom0 has probed by reading their info-block page. */
    private final RangeSet inspected = new RangeSet();

    /**
     * Pmem Xen knows of: the ranges the firmware handed it at boot (NFIT SPA ranges, E820 type 7)
     * and every range an accepted XENPF_pmem_add reported. A hot-added DIMM is not in it until Dom0
     * reports it.
     */
    private final RangeSet knownToXen = new RangeSet();

    // ---- evidence: what Xen accepted
    private final RangeSet mgmt = new RangeSet();
    private final RangeSet data = new RangeSet();
    private final TreeMap<Integer, ExtentMap<Run>> mmio = new TreeMap<>();
    // Neighbouring grants of one domain that continue each other merge, so a 64-page mapping loop stays one extent.
    private final ExtentMap<Owner> owners = new ExtentMap<>(
            (a, b) -> a.value().domid() == b.value().domid() && a.value().gfn() + a.length() == b.value().gfn());
    private final TreeSet<Integer> created = new TreeSet<>();
    private final TreeSet<Integer> booted = new TreeSet<>();
    /** Per domain: vNVDIMMs QEMU hot-added (device_add answered without error) and those the guest made usable. */
    private final TreeMap<Integer, Integer> hotAdded = new TreeMap<>();
    private final TreeMap<Integer, Integer> hotUsable = new TreeMap<>();
    /** Per domain: the NVDIMMs its QEMU was started with and was told to add, as the wire carried them. */
    private final TreeMap<Integer, NvdimmList> nvdimms = new TreeMap<>();
    /** object_add / device_add delivered to a QEMU and not answered: (role, tag) -> backend id or slot. */
    private final Map<String, Object> qmpAdds = new HashMap<>();
    /** Per domain: the Read FIT the guest has in progress, from the _DSM pages on the wire. */
    private final TreeMap<Integer, FitRead> fitReads = new TreeMap<>();
    /** Per domain: the last FIT the guest read completely ({handle: SPA range bytes}), and at which delivery. */
    private final TreeMap<Integer, Map.Entry<Long, TreeMap<Long, Long>>> lastFit = new TreeMap<>();

    /** A guest's Read FIT in progress: the _DSM page it asked on, the offset asked, the FIT so far. */
    private static final class FitRead {
        long page = -1;
        long offset = -1;
        final java.io.ByteArrayOutputStream fit = new java.io.ByteArrayOutputStream();
    }

    /** QMP commands sent to a QEMU and not answered yet, by (role, tag); looked up only. */
    private final Map<String, String> qmpPending = new HashMap<>();
    /** Hypercalls delivered to Xen, waiting for their answer; looked up by seq only. */
    private final Map<Long, Envelope> calls = new HashMap<>();
    /**
     * Management areas offered to Xen by calls it has not answered yet, by the call's seq: Xen
     * builds its tables there before it answers. Written-to offers that Xen then refuses fire.
     */
    private final TreeMap<Long, long[]> offered = new TreeMap<>();
    private final TreeSet<Long> offeredWritten = new TreeSet<>();

    // ---- components' own account (see the class comment)
    private final TreeMap<String, ExtentMap<Run>> files = new TreeMap<>();
    private final TreeMap<Integer, List<Layout>> layoutsByDomain = new TreeMap<>();
    private final TreeMap<String, List<Layout>> layoutsByPath = new TreeMap<>();

    // ---- evidence: guest memory as guests and their device models wrote it
    private final TreeMap<Integer, ExtentMap<Bytes>> shadow = new TreeMap<>();
    // Looked up by (role, tag) only.
    private final Map<String, GuestMemAccess> pendingAccess = new HashMap<>();
    /** dm-acpi keys per domain: address, and per blob offset/length, as written to xenstore. */
    private final TreeMap<Integer, TreeMap<String, String>> dmAcpiKeys = new TreeMap<>();
    private final TreeSet<String> reportedStale = new TreeSet<>();

    // ---- evidence: stores, flushes and loads of pmem on the bus, for durability
    private final ExtentMap<Stored> stored = new ExtentMap<>();
    /** The ranges one delivery touched, re-checked for coherence at its end (reused: one delivery at a time). */
    private final List<long[]> touched = new ArrayList<>();
    private int powerOns;
    private long lastCycleSeq;

    // ---- verdicts
    private final List<Verdict.Builder> kept = new ArrayList<>();
    // Looked up by cause only; the list above keeps the order.
    private final Map<String, Integer> byCause = new HashMap<>();
    private final TreeMap<String, Integer> perOracle = new TreeMap<>();
    private long folded;
    private long dropped;

    /** The hardware itself: asked only which DIMMs decode on the bus. */
    private final PlatformModel hardware;

    public Oracles(PlatformModel platform) {
        this.hardware = platform;
        this.hostRam = platform.ramPages();
        this.hostPmem = platform.pmemPages();
        for (PlatformModel.Dimm d : platform.dimms()) regions.add(new RangeSet.Range(d.smfn(), d.emfn()));
    }

    public long folded() { return folded; }

    public long dropped() { return dropped; }

    @Override
    public List<Verdict> verdicts() {
        List<Verdict> out = new ArrayList<>(kept.size());
        for (Verdict.Builder b : kept) out.add(b.build());
        return out;
    }

    /**
     * Record a verdict. cause names what broke, so that repeats of one bad mapping or one stale
     * frame fold into one verdict with a count instead of hiding other verdicts.
     */
    private void fire(List<Verdict> out, String oracle, String cause, long seq, String detail) {
        String key = oracle + '\u0000' + cause;
        Integer at = byCause.get(key);
        if (at != null) {
            Verdict.Builder v = kept.get(at);
            v.setRepeats(v.getRepeats() + 1).setLastSeq(seq);
            folded++;
            return;
        }
        int n = perOracle.merge(oracle, 1, Integer::sum);
        if (n > MAX_VERDICTS_PER_ORACLE) {
            dropped++;
            return;
        }
        Verdict.Builder v = Verdict.newBuilder().setOracle(oracle).setSeq(seq).setDetail(detail);
        byCause.put(key, kept.size());
        kept.add(v);
        out.add(v.build());
    }

    private static String fmt(String f, Object... args) { return String.format(Locale.ROOT, f, args); }

    @Override
    public List<Verdict> afterDelivery(Envelope e, StepResult r) {
        List<Verdict> out = new ArrayList<>();
        if (!r.getCrash().isEmpty()) fire(out, CRASH, r.getRole(), e.getSeq(), r.getCrash());
        List<long[]> touched = this.touched;   // {domid, gfn, nr} to re-check for coherence
        touched.clear();
        onDelivered(e, touched, out);
        for (Observation o : r.getObservedList()) apply(o, touched);
        for (long[] t : touched) checkCoherence((int) t[0], t[1], t[2], e, out);
        return out;
    }

    @Override
    public List<Verdict> stoppedOutsideDelivery(String role, long lastSeq) {
        List<Verdict> out = new ArrayList<>();
        fire(out, CRASH, role, lastSeq, role + " stopped after #" + lastSeq);
        return out;
    }

    // ---- what the wire delivered

    private void onDelivered(Envelope e, List<long[]> touched, List<Verdict> out) {
        switch (e.getPayloadCase()) {
            case MEM_ACCESS -> {
                if (e.getTo().equals(Roles.PLATFORM)) {
                    MemAccess m = e.getMemAccess();
                    // A copy is what it does on the bus: a read of its source, then a write of its destination.
                    if (m.getOp() == MemAccess.Op.COPY) onBus(m.toBuilder().setOp(MemAccess.Op.READ).setSpa(m.getSrcSpa()).clearSrcSpa().build(), e, out);
                    onBus(m, e, out);
                    durableStore(e.getMemAccess(), e.getSeq());
                }
            }
            case POWER_ON -> {
                if (e.getTo().equals(Roles.PLATFORM) && ++powerOns > 1) powerCycled(e.getSeq());
            }
            case PLATFORM_OP, SYSCTL, DOMCTL, MEMORY_OP, MMU_UPDATE -> {
                if (!e.getTo().equals(Roles.XEN)) return;
                calls.put(e.getSeq(), e);
                long[] area = offeredMgmt(e);
                if (area != null) offered.put(e.getSeq(), area);
            }
            case HYPERCALL_RET -> {
                Envelope call = e.getFrom().equals(Roles.XEN) ? calls.remove(e.getInReplyTo()) : null;
                if (call == null) return;
                long[] area = offered.remove(call.getSeq());
                boolean written = offeredWritten.remove(call.getSeq());
                if (area != null && written && e.getHypercallRet().getRc() != 0) {
                    fire(out, BOOT_SAFETY, "xen-writes-refused-area", e.getSeq(), fmt("Xen wrote MFNs %#x - %#x offered by #%d, then refused the call (%s)",
                            area[0], area[1], call.getSeq(), org.vnvdimm.contract.Errno.name(e.getHypercallRet().getRc())));
                }
                accepted(call, e.getHypercallRet(), e, touched, out);
            }
            case GUEST_MEM_ACCESS -> {
                // A flush (CLWB + SFENCE) neither stores nor loads data.
                if (!Roles.isGuest(e.getFrom()) || e.getGuestMemAccess().getFlush()) return;
                pendingAccess.put(e.getFrom() + "#" + e.getTag(), e.getGuestMemAccess());
                if (e.getGuestMemAccess().getWrite()) onGuestStore(Roles.servedDomain(e.getFrom()), e.getGuestMemAccess());
            }
            case MEM_ACCESS_DONE -> {
                if (e.getFrom().equals(Roles.PLATFORM) && !e.getMemAccessDone().getData().isEmpty()) durableLoad(e, out);
                GuestMemAccess a = pendingAccess.remove(e.getTo() + "#" + e.getTag());
                if (a != null) completeAccess(Roles.servedDomain(e.getTo()), a, e, out);
            }
            case GUEST_FAULT -> pendingAccess.remove(e.getTo() + "#" + e.getTag());
            case FIRMWARE_HANDOFF -> {
                for (AcpiTableBlob t : e.getFirmwareHandoff().getAcpiTablesList()) checkTable(t.getSignature(), t.getData().toByteArray(), e, out);
                if (e.getTo().equals(Roles.XEN)) bootPmem(e.getFirmwareHandoff());
            }
            case HOTPLUG_DIMM -> {
                // The hardware: a DIMM now decodes on the bus (where the platform placed it). Xen
                // does not know it yet.
                if (!e.getTo().equals(Roles.PLATFORM)) return;
                for (PlatformModel.Dimm d : hardware.hotAdded()) {
                    RangeSet.Range r = new RangeSet.Range(d.smfn(), d.emfn());
                    if (regions.contains(r)) continue;
                    hostPmem.add(r.start(), r.end());
                    regions.add(r);
                }
            }
            case LAYOUT_BREAK -> {
                // Dom0's filesystem telling the file's mapper where the pages of the range are now:
                // the layout changed at this delivery, whatever Xen was or was not told.
                if (!Roles.isQemu(e.getTo()) || !e.getFrom().equals(Roles.DOM0)) return;
                LayoutBreak b = e.getLayoutBreak();
                ExtentMap<Run> f = files.computeIfAbsent(b.getPath(), k -> runs());
                f.remove(b.getFilePgoff(), b.getNr());
                for (FileExtent x : b.getNowList()) f.put(x.getFilePgoff(), x.getNr(), new Run(x.getMfn()));
                for (Layout l : layoutsByPath.getOrDefault(b.getPath(), List.of())) touched.add(new long[] {l.domid(), l.gfn(), l.nr()});
            }
            case DOMAIN_START -> {
                for (AcpiTableBlob t : e.getDomainStart().getAcpiTablesList()) checkTable(t.getSignature(), t.getData().toByteArray(), e, out);
            }
            case QMP_COMMAND -> {
                if (!Roles.isQemu(e.getTo())) return;
                String key = e.getTo() + "#" + e.getTag(), json = e.getQmpCommand().getJson();
                qmpPending.put(key, json);
                NvdimmList list = nvdimms.get(Roles.servedDomain(e.getTo()));
                com.google.gson.JsonObject args = NvdimmList.arguments(json);
                if (list == null || args == null) return;
                String exec = NvdimmList.execute(json);
                if ("object_add".equals(exec)) {
                    String id = list.objectAdd(args);
                    if (id != null) qmpAdds.put(key, id);
                } else if (isNvdimmAdd(json)) {
                    int slot = list.deviceAdd(args);
                    if (slot >= 0) qmpAdds.put(key, slot);
                }
            }
            case DEVICE_MODEL_START -> {
                if (!Roles.isQemu(e.getTo())) return;
                nvdimms.put(Roles.servedDomain(e.getTo()), NvdimmList.fromArgv(e.getDeviceModelStart().getArgvList()));
            }
            case QMP_REPLY -> {
                if (!Roles.isQemu(e.getFrom())) return;
                String key = e.getFrom() + "#" + e.getTag();
                String cmd = qmpPending.remove(key);
                Object add = qmpAdds.remove(key);
                NvdimmList list = nvdimms.get(Roles.servedDomain(e.getFrom()));
                if (cmd != null && !e.getQmpReply().getError() && isNvdimmAdd(cmd)) {
                    hotAdded.merge(Roles.servedDomain(e.getFrom()), 1, Integer::sum);
                }
                if (list == null || add == null) return;
                if (add instanceof Integer slot) {
                    if (e.getQmpReply().getError()) list.deviceFailed(slot);
                    else list.deviceAcked(slot);
                } else if (e.getQmpReply().getError()) {
                    list.objectFailed((String) add);
                }
            }
            case XS_REQUEST -> {
                if (e.getTo().equals(Roles.XENSTORED) && e.getXsRequest().getType() == XS_WRITE) onXsWrite(e.getXsRequest(), e, out);
            }
            default -> { }
        }
    }

    private static boolean isNvdimmAdd(String qmpJson) {
        return qmpJson.replace(" ", "").contains("\"execute\":\"device_add\"") && qmpJson.contains("nvdimm");
    }

    /** A guest's store of a whole _DSM page asking QEMU's root handle for Read FIT at an offset. */
    private void onGuestStore(int domid, GuestMemAccess a) {
        byte[] d = a.getData().toByteArray();
        if ((a.getGpa() & (PAGE_SIZE - 1)) != 0 || d.length < 16) return;
        if (le32(d, 0) != 0x10000L || le32(d, 8) != 1) return;
        FitRead r = fitReads.computeIfAbsent(domid, k -> new FitRead());
        r.page = a.getGpa();
        r.offset = le32(d, 12);
    }

    /**
     * QEMU's answer written into that page: {len, status, data}. 0x100 (the FIT changed) restarts
     * the read; success with no data ends it, and the FIT read is judged against the device list.
     */
    private void onDsmAnswer(int domid, MemAccess m, Envelope e, List<Verdict> out) {
        FitRead r = fitReads.get(domid);
        if (r == null || r.page != m.getGpa()) return;
        byte[] d = m.getData().toByteArray();
        if (d.length < 8) return;
        long len = Math.min(le32(d, 0), d.length), status = le32(d, 4);
        r.page = -1;
        if (status == 0x100 || r.offset == 0) r.fit.reset();
        if (status != 0) return;
        if (len > 8) {
            if (r.offset == r.fit.size()) r.fit.write(d, 8, (int) len - 8);
            return;
        }
        byte[] fit = r.fit.toByteArray();
        r.fit.reset();
        TreeMap<Long, Long> handles = new TreeMap<>();
        try {
            org.vnvdimm.acpi.ParsedNfit p = org.vnvdimm.acpi.NfitParser.parseFit(fit);
            for (org.vnvdimm.acpi.NfitMemoryDeviceMap dev : p.memoryDeviceMaps()) {
                long bytes = -1;
                for (org.vnvdimm.acpi.NfitSpaRange spa : p.spaRanges()) if (spa.rangeIndex() == dev.spaRangeIndex()) bytes = spa.rangeLengthBytes();
                handles.put(dev.deviceHandle(), bytes);
            }
        } catch (RuntimeException ex) {
            fire(out, ACPI, "d" + domid + "-fit-parse", e.getSeq(), "d" + domid + " read a FIT that does not parse: " + ex.getMessage());
            return;
        }
        lastFit.put(domid, Map.entry(e.getSeq(), handles));
        NvdimmList list = nvdimms.get(domid);
        String wrong = list == null ? null : list.mismatch(handles);
        if (wrong != null) {
            fire(out, ACPI, "d" + domid + "-fit-devices", e.getSeq(), fmt("d%d read a FIT that is not QEMU's device list %s: %s", domid, list.describe(), wrong));
        }
    }

    private static long le32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }

    /** What the firmware told Xen at boot is pmem: E820 type 7 and the NFIT's persistent-memory SPA ranges. */
    private void bootPmem(FirmwareHandoff f) {
        for (E820Entry x : f.getE820List()) {
            if (x.getType() == E820_PMEM && x.getSize() > 0) knownToXen.add(x.getAddr() >>> PAGE_SHIFT, (x.getAddr() + x.getSize()) >>> PAGE_SHIFT);
        }
        for (AcpiTableBlob t : f.getAcpiTablesList()) {
            if (!t.getSignature().equals("NFIT")) continue;
            try {
                for (org.vnvdimm.acpi.NfitSpaRange r : org.vnvdimm.acpi.NfitParser.parseTable(t.getData().toByteArray()).spaRanges()) {
                    if (r.rangeTypeGuid().equals(org.vnvdimm.acpi.Guid.PERSISTENT_MEMORY) && r.rangeLengthBytes() > 0) {
                        knownToXen.add(r.rangeBase() >>> PAGE_SHIFT, (r.rangeBase() + r.rangeLengthBytes()) >>> PAGE_SHIFT);
                    }
                }
            } catch (RuntimeException ex) {
                return;   // a table that does not parse tells Xen nothing; the acpi check says why
            }
        }
    }

    /**
     * Report before map: Xen does not use, no guest reaches and nothing is mapped into a domain
     * from pmem Xen has not been told about. who is a domid, or -1 for Xen.
     */
    private void reportedFirst(int who, long s, long t, String what, Envelope e, List<Verdict> out) {
        reportedFirst(who, hostPmem.intersection(s, t), what, e, out);
    }

    /** As above, given the pmem parts of the range (a caller that needs them too computes them once). */
    private void reportedFirst(int who, List<RangeSet.Range> pmemParts, String what, Envelope e, List<Verdict> out) {
        for (RangeSet.Range r : pmemParts) {
            if (knownToXen.containsAll(r.start(), r.end())) continue;
            // Xen builds its tables in an area a call it is handling offers; if it then refuses
            // the call, boot-safety says so at the answer.
            if (who < 0 && offerCovering(r.start(), r.end()) != null) continue;
            String whoName = who < 0 ? "Xen" : "d" + who;
            fire(out, REPORT_BEFORE_MAP, whoName + "-" + what.split(" ")[0] + "-unreported", e.getSeq(),
                    fmt("%s %s pmem MFNs %#x - %#x before Xen accepted a report of them (not in the boot NFIT or E820, no accepted XENPF_pmem_add)",
                            whoName, what, r.start(), r.end()));
            return;
        }
    }

    /** A physical access as the bus saw it. */
    private void onBus(MemAccess m, Envelope e, List<Verdict> out) {
        long bytes = m.getOp() == MemAccess.Op.WRITE ? m.getData().size() : m.getLen();
        if (bytes <= 0) return;
        long s = m.getSpa() >>> PAGE_SHIFT;
        long t = (m.getSpa() + bytes + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        boolean write = m.getOp() != MemAccess.Op.READ;
        int who = m.getInitiatorDomid();
        // A device model's write into its guest's RAM (tables, _DSM results) is the last value there too.
        if (m.getOp() == MemAccess.Op.WRITE && Roles.isQemu(m.getReplyTo())) {
            shadow.computeIfAbsent(Roles.servedDomain(m.getReplyTo()), k -> new ExtentMap<>())
                    .put(m.getGpa(), m.getData().size(), new Bytes(m.getData().toByteArray(), 0));
            onDsmAnswer(Roles.servedDomain(m.getReplyTo()), m, e, out);
        }
        if (!hostPmem.intersects(s, t)) return;
        String verb = write ? "wrote" : "read";
        // Dom0 drives the DIMMs: upstream leaves all I/O memory in its iomem_caps, and rfc-v1's
        // report describes a pfn-xen namespace Dom0 must first read and write. What must wait for
        // the report is Xen's own use of the range and anything a guest reaches.
        if (who != 0 && (who != DOMID_XEN || write)) reportedFirst(who == DOMID_XEN ? -1 : who, s, t, verb, e, out);
        if (who == DOMID_XEN) {
            if (!write) return;
            for (RangeSet.Range r : hostPmem.intersection(s, t)) {
                if (mgmt.containsAll(r.start(), r.end())) continue;
                Long offer = offerCovering(r.start(), r.end());
                if (offer != null) {
                    offeredWritten.add(offer);
                } else {
                    fire(out, BOOT_SAFETY, "xen-writes-pmem", e.getSeq(), fmt("Xen wrote pmem MFNs %#x - %#x, which no accepted pmem_add or pmem_setup handed it",
                            r.start(), r.end()));
                    return;
                }
            }
            return;
        }
        if (mgmt.intersects(s, t)) {
            fire(out, ISOLATION, "d" + who + "-touches-mgmt", e.getSeq(), fmt("d%d %s MFNs %#x - %#x inside Xen's management area (handed to Xen, withdrawn from Dom0)",
                    who, verb, s, t));
        }
        if (who == 0) {
            for (RangeSet.Range region : regions) {
                long probe = region.start() + PROBE_PAGE;
                if (!write && s <= probe && probe < t) inspected.add(region.start(), region.end());
                if (write && region.start() < t && s < region.end() && !inspected.containsAll(region.start(), region.end())) {
                    fire(out, BOOT_SAFETY, "d0-writes-unprobed", e.getSeq(), fmt("d0 wrote pmem MFNs %#x - %#x before it read the region's info block at MFN %#x",
                            Math.max(s, region.start()), Math.min(t, region.end()), probe));
                }
            }
            return;
        }
        // A guest's access: only frames Xen accepted to map to it, at the frame its GFN maps.
        for (RangeSet.Range r : hostPmem.intersection(s, t)) {
            long covered = 0;
            for (ExtentMap.Extent<Owner> x : owners.overlapping(r.start(), r.end() - r.start())) {
                if (x.value().domid() != who) {
                    fire(out, ISOLATION, "d" + who + "-reaches-d" + x.value().domid(), e.getSeq(),
                            fmt("d%d %s MFNs %#x - %#x, which are mapped to d%d", who, verb, x.start(), x.end(), x.value().domid()));
                    return;
                }
                covered += x.length();
            }
            if (covered < r.end() - r.start()) {
                fire(out, ISOLATION, "d" + who + "-reaches-unmapped", e.getSeq(),
                        fmt("d%d %s pmem MFNs %#x - %#x that no accepted memory_mapping gave it", who, verb, r.start(), r.end()));
                return;
            }
        }
        ExtentMap<Run> map = mmio.get(who);
        // at() slices the extent to start at the gfn, so its value is that gfn's frame.
        ExtentMap.Extent<Run> x = map == null ? null : map.at(m.getGpa() >>> PAGE_SHIFT);
        if (x != null && x.value().mfn() != s) {
            fire(out, ISOLATION, "d" + who + "-wrong-frame", e.getSeq(), fmt("d%d %s gpa %#x at MFN %#x, but the mapping Xen accepted puts that gfn at MFN %#x",
                    who, verb, m.getGpa(), s, x.value().mfn()));
        }
    }

    /** The management area a pmem_add (reserved area) or pmem_setup MGMT call offers Xen, or null. */
    private static long[] offeredMgmt(Envelope call) {
        if (call.hasPlatformOp() && call.getPlatformOp().hasPmemAdd()) {
            XenpfPmemAdd a = call.getPlatformOp().getPmemAdd();
            return a.getRsvEpfn() > a.getRsvSpfn() ? new long[] {a.getRsvSpfn(), a.getRsvEpfn()} : null;
        }
        if (call.hasSysctl() && call.getSysctl().hasNvdimm() && call.getSysctl().getNvdimm().hasPmemSetup()) {
            XenSysctlNvdimmPmemSetup p = call.getSysctl().getNvdimm().getPmemSetup();
            return p.getType() == PMEM_REGION_TYPE_MGMT && p.getEmfn() > p.getSmfn() ? new long[] {p.getSmfn(), p.getEmfn()} : null;
        }
        return null;
    }

    private Long offerCovering(long s, long t) {
        for (Map.Entry<Long, long[]> o : offered.entrySet()) {
            if (o.getValue()[0] <= s && t <= o.getValue()[1]) return o.getKey();
        }
        return null;
    }

    /** A hypercall and Xen's answer to it: what Xen accepted is now the reference. */
    private void accepted(Envelope call, HypercallRet ret, Envelope reply, List<long[]> touched, List<Verdict> out) {
        long rc = ret.getRc();
        switch (call.getPayloadCase()) {
            case PLATFORM_OP -> {
                PlatformOp op = call.getPlatformOp();
                if (rc != 0 || !op.hasPmemAdd()) return;
                XenpfPmemAdd a = op.getPmemAdd();
                knownToXen.add(a.getSpfn(), a.getEpfn());
                if (a.getRsvEpfn() > a.getRsvSpfn()) handOver(a.getRsvSpfn(), a.getRsvEpfn(), reply, out);
                if (a.getDataEpfn() > a.getDataSpfn()) data.add(a.getDataSpfn(), a.getDataEpfn());
            }
            case SYSCTL -> {
                Sysctl sc = call.getSysctl();
                if (rc != 0 || !sc.hasNvdimm() || !sc.getNvdimm().hasPmemSetup()) return;
                XenSysctlNvdimmPmemSetup p = sc.getNvdimm().getPmemSetup();
                if (p.getType() == PMEM_REGION_TYPE_MGMT) handOver(p.getSmfn(), p.getEmfn(), reply, out);
                else if (p.getType() == PMEM_REGION_TYPE_DATA) data.add(p.getSmfn(), p.getEmfn());
            }
            case DOMCTL -> {
                Domctl dc = call.getDomctl();
                if (rc < 0) return;
                switch (dc.getCmd()) {
                    case XEN_DOMCTL_createdomain -> { if (rc == 0) created.add(ret.hasDomctl() ? ret.getDomctl().getDomain() : dc.getDomain()); }
                    case XEN_DOMCTL_destroydomain -> { if (rc == 0) destroyed(dc.getDomain()); }
                    case XEN_DOMCTL_memory_mapping -> {
                        DomctlMemoryMapping m = dc.getMemoryMapping();
                        // 0: all of it; positive: that many frames from the start (partial progress).
                        long done = rc == 0 ? m.getNrMfns() : Math.min(rc, m.getNrMfns());
                        if (done <= 0) return;
                        if (m.getAddMapping() == DPCI_ADD_MAPPING) mapped(dc.getDomain(), m.getFirstGfn(), m.getFirstMfn(), done, reply, touched, out);
                        else unmapped(dc.getDomain(), m.getFirstGfn(), done);
                    }
                    default -> { }
                }
            }
            case MEMORY_OP -> {
                // rfc-v4 XENMEM_populate_pmem_map: the frames Xen reports done, like an accepted memory_mapping
                MemoryOp mo = call.getMemoryOp();
                if (!mo.hasPmemMap() || (mo.getCmd() & MEMOP_CMD_MASK) != XENMEM_populate_pmem_map) return;
                XenPmemMap p = mo.getPmemMap();
                long from = Integer.toUnsignedLong(mo.getCmd()) >>> MEMOP_EXTENT_SHIFT;
                long to = rc == 0 ? Integer.toUnsignedLong(p.getNrMfns())
                        : rc == org.vnvdimm.contract.Errno.ERESTART.neg() && ret.hasContinuationCmd() ? Integer.toUnsignedLong(ret.getContinuationCmd()) >>> MEMOP_EXTENT_SHIFT : from;
                if (to > from) mapped(p.getDomid(), p.getGfn() + from, p.getMfn() + from, to - from, reply, touched, out);
            }
            case MMU_UPDATE -> {
                // A PV kernel's PTEs onto frames that are not RAM: a mapping that lives on after
                // Xen's checks change (Xen keeps no reverse map of them).
                MmuUpdate u = call.getMmuUpdate();
                if (rc != 0 || !call.getFrom().equals(Roles.DOM0)) return;
                pvMapped(u.getMfn(), u.getMfn() + u.getNrPtes(), reply, out);
            }
            default -> { }
        }
    }

    /**
     * Dom0 holds PTEs onto [s, t) from now on. Unlike its single accesses (its driver may touch its
     * DIMMs to probe them), a mapping kept for good must wait for Xen to accept the range, and it
     * may never cover Xen's management area (handOver checks the reverse order).
     */
    private void pvMapped(long s, long t, Envelope reply, List<Verdict> out) {
        reportedFirst(0, s, t, "mapped (mmu_update)", reply, out);
        for (RangeSet.Range r : hostPmem.intersection(s, t)) {
            if (mgmt.intersects(r.start(), r.end())) {
                fire(out, ISOLATION, "d0-maps-mgmt", reply.getSeq(), fmt("Xen let d0 map MFNs %#x - %#x, inside its own management area", r.start(), r.end()));
                break;
            }
        }
        // PV: the PTE names the frame, so the "gfn" is the MFN.
        for (RangeSet.Range r : hostPmem.intersection(s, t)) mmio.computeIfAbsent(0, k -> runs()).put(r.start(), r.end() - r.start(), new Run(r.start()));
    }

    /** Xen accepted [s, t) as its management area: nobody may map or touch it from now on. */
    private void handOver(long s, long t, Envelope reply, List<Verdict> out) {
        mgmt.add(s, t);
        for (Map.Entry<Integer, ExtentMap<Run>> d : mmio.entrySet()) {
            for (ExtentMap.Extent<Run> x : d.getValue().extents()) {
                long ms = x.value().mfn(), mt = ms + x.length();
                if (ms < t && s < mt) {
                    fire(out, ISOLATION, "d" + d.getKey() + "-maps-mgmt", reply.getSeq(), fmt("d%d still maps MFNs %#x - %#x of Xen's new management area %#x - %#x",
                            d.getKey(), Math.max(s, ms), Math.min(t, mt), s, t));
                }
            }
        }
    }

    private void mapped(int domid, long gfn, long mfn, long nr, Envelope reply, List<long[]> touched, List<Verdict> out) {
        long s = mfn, t = mfn + nr;
        long seq = reply.getSeq();
        List<RangeSet.Range> pmem = hostPmem.intersection(s, t);
        reportedFirst(domid, pmem, "got a mapping of", reply, out);
        if (hostRam.intersects(s, t)) {
            fire(out, ISOLATION, "d" + domid + "-maps-ram", seq, fmt("Xen mapped host RAM MFNs %#x - %#x into d%d at gfn %#x", s, t, domid, gfn));
        }
        if (mgmt.intersects(s, t)) {
            fire(out, ISOLATION, "d" + domid + "-maps-mgmt", seq, fmt("Xen mapped MFNs %#x - %#x of its own management area into d%d", s, t, domid));
        }
        if (!pmem.isEmpty()) {
            for (RangeSet.Range r : pmem) {
                if (!data.containsAll(r.start(), r.end())) {
                    fire(out, ISOLATION, "d" + domid + "-maps-not-data", seq, fmt("Xen mapped pmem MFNs %#x - %#x into d%d, which no accepted pmem_add or pmem_setup made a data area",
                            r.start(), r.end(), domid));
                    break;
                }
            }
            for (ExtentMap.Extent<Owner> x : owners.overlapping(s, nr)) {
                if (x.value().domid() != domid) {
                    fire(out, ISOLATION, "d" + domid + "-maps-d" + x.value().domid(), seq,
                            fmt("Xen mapped MFNs %#x - %#x into d%d, which d%d maps", x.start(), x.end(), domid, x.value().domid()));
                    break;
                }
            }
            owners.put(s, nr, new Owner(domid, gfn));
        }
        mmio.computeIfAbsent(domid, k -> runs()).put(gfn, nr, new Run(mfn));
        touched.add(new long[] {domid, gfn, nr});
    }

    private void unmapped(int domid, long gfn, long nr) {
        ExtentMap<Run> m = mmio.get(domid);
        if (m == null) return;
        for (ExtentMap.Extent<Run> x : m.overlapping(gfn, nr)) {
            for (ExtentMap.Extent<Owner> o : owners.overlapping(x.value().mfn(), x.length())) {
                if (o.value().domid() == domid) owners.remove(o.start(), o.length());
            }
        }
        m.remove(gfn, nr);
    }

    // ---- durability

    /**
     * A store to pmem: a guest's stays in the caches until a flush covers it; Dom0's and Xen's are
     * durable at once (the pmem driver flushes them, README "Power cycles") and are what the range
     * holds from now on. A flush (CLWB + SFENCE) makes what is stored there durable.
     */
    private void durableStore(MemAccess m, long seq) {
        long len = m.getOp() == MemAccess.Op.WRITE ? m.getData().size() : m.getLen();
        if (len <= 0 || m.getSpa() < 0 || !hostPmem.intersects(m.getSpa() >>> PAGE_SHIFT, (m.getSpa() + len + PAGE_SIZE - 1) >>> PAGE_SHIFT)) return;
        int who = m.getInitiatorDomid();
        boolean guest = who > 0 && who < DOMID_SELF;
        switch (m.getOp()) {
            case FLUSH -> {
                long s0 = m.getSpa() & -64L, t0 = (m.getSpa() + len + 63) & -64L;
                for (ExtentMap.Extent<Stored> x : stored.overlapping(s0, t0 - s0)) stored.put(x.start(), x.length(), x.value().flush());
            }
            case WRITE -> {
                byte[] d = m.getData().toByteArray();
                long at = m.getSpa();
                List<ExtentMap.Extent<Stored>> before = stored.overlapping(at, len);
                long pos = at;
                List<ExtentMap.Extent<Stored>> pieces = new ArrayList<>();
                for (ExtentMap.Extent<Stored> x : before) {
                    if (x.start() > pos) pieces.add(new ExtentMap.Extent<>(pos, x.start() - pos, null));
                    pieces.add(x);
                    pos = x.end();
                }
                if (pos < at + len) pieces.add(new ExtentMap.Extent<>(pos, at + len - pos, null));
                for (ExtentMap.Extent<Stored> x : pieces) {
                    int off = (int) (x.start() - at);
                    Stored was = x.value();
                    byte[] old = null;
                    int oldOff = 0;
                    if (guest && was != null) {
                        // The first store not flushed keeps what was durable before it.
                        old = was.flushed() || was.cycled() ? was.now() : was.old();
                        oldOff = was.flushed() || was.cycled() ? was.nowOff() : was.oldOff();
                    }
                    stored.put(x.start(), x.length(), new Stored(old, oldOff, d, off, seq, !guest, false));
                }
            }
            case FILL -> stored.remove(m.getSpa(), len);   // tagged fills carry no bytes on the bus: not judged
            case COPY -> {
                // The destination now holds what the source's last stores put there, O(extents).
                // Dom0's copy is durable at once like its writes; ranges the oracle does not know
                // (never stored, fills, stores a power cut may have lost) are not judged there.
                List<ExtentMap.Extent<Stored>> from = stored.overlapping(m.getSrcSpa(), len);
                stored.remove(m.getSpa(), len);
                if (guest) return;   // no guest issues a copy (VcpuAccess makes reads, writes, flushes)
                for (ExtentMap.Extent<Stored> x : from) {
                    Stored v = x.value();
                    if (v.cycled() && !v.flushed()) continue;
                    stored.put(m.getSpa() + (x.start() - m.getSrcSpa()), x.length(), new Stored(null, 0, v.now(), v.nowOff(), seq, true, false));
                }
            }
            default -> { }
        }
    }

    /** The power came back: what each range held at the cut is now what it must read as. */
    private void powerCycled(long seq) {
        lastCycleSeq = seq;
        for (ExtentMap.Extent<Stored> x : stored.extents()) stored.put(x.start(), x.length(), x.value().cycle());
        // Everything in RAM is gone: Xen's, Dom0's and the guests' state starts again.
        for (RangeSet r : List.of(mgmt, data, knownToXen, inspected)) r.remove(0, Long.MAX_VALUE);
        mmio.clear(); owners.clear(); created.clear(); booted.clear();
        hotAdded.clear(); hotUsable.clear(); nvdimms.clear(); qmpPending.clear(); qmpAdds.clear(); calls.clear(); offered.clear();
        offeredWritten.clear(); layoutsByDomain.clear(); layoutsByPath.clear(); shadow.clear(); pendingAccess.clear();
        dmAcpiKeys.clear(); fitReads.clear(); lastFit.clear();
    }

    /** A load answered by the DIMMs after a power cycle: flushed stores read back; unflushed ones old or new. */
    private void durableLoad(Envelope e, List<Verdict> out) {
        MemAccessDone d = e.getMemAccessDone();
        byte[] got = d.getData().toByteArray();
        if (stored.isEmpty() || got.length == 0) return;
        for (ExtentMap.Extent<Stored> x : stored.overlapping(d.getSpa(), got.length)) {
            Stored v = x.value();
            if (!v.cycled()) continue;
            int off = (int) (x.start() - d.getSpa());
            for (int i = 0; i < x.length(); i++) {
                byte b = got[off + i], now = v.now()[v.nowOff() + i];
                if (b == now) continue;
                if (!v.flushed() && (v.old() == null || b == v.old()[v.oldOff() + i])) continue;
                long at = x.start() + i;
                fire(out, DURABILITY, (v.flushed() ? "flushed-" : "unflushed-") + (at >>> PAGE_SHIFT), e.getSeq(), v.flushed()
                        ? fmt("after the power cycle at #%d, spa %#x reads %#04x: the store at #%d (%#04x) was flushed and is lost", lastCycleSeq, at, b & 0xff, v.storeSeq(), now & 0xff)
                        : fmt("after the power cycle at #%d, spa %#x reads %#04x: neither the unflushed store at #%d (%#04x) nor what it held before (%#04x)",
                                lastCycleSeq, at, b & 0xff, v.storeSeq(), now & 0xff, v.old()[v.oldOff() + i] & 0xff));
                break;
            }
        }
    }

    private void destroyed(int domid) {
        ExtentMap<Run> m = mmio.remove(domid);
        if (m != null) {
            for (ExtentMap.Extent<Run> x : m.extents()) {
                for (ExtentMap.Extent<Owner> o : owners.overlapping(x.value().mfn(), x.length())) {
                    if (o.value().domid() == domid) owners.remove(o.start(), o.length());
                }
            }
        }
        created.remove(domid);
        booted.remove(domid);
        hotAdded.remove(domid);
        hotUsable.remove(domid);
        nvdimms.remove(domid);
        fitReads.remove(domid);
        lastFit.remove(domid);
        shadow.remove(domid);
        dmAcpiKeys.remove(domid);
        removeLayouts(l -> true, domid);
    }

    /** Mirrors merge neighbouring runs that continue each other, so a 4 KiB mapping loop stays one run. */
    private static ExtentMap<Run> runs() {
        return new ExtentMap<>((a, b) -> a.value().mfn() + a.length() == b.value().mfn());
    }

    // ---- ACPI

    private void checkTable(String sig, byte[] b, Envelope e, List<Verdict> out) {
        int sum = 0;
        for (byte x : b) sum += x;
        if ((sum & 0xff) != 0) fire(out, ACPI, "checksum-" + sig + "-" + e.getTo(), e.getSeq(), sig + " checksum invalid (sent to " + e.getTo() + ")");
        if (b.length >= 8) {
            long hdrLen = (b[4] & 0xffL) | (b[5] & 0xffL) << 8 | (b[6] & 0xffL) << 16 | (b[7] & 0xffL) << 24;
            if (hdrLen != b.length) {
                fire(out, ACPI, "length-" + sig + "-" + e.getTo(), e.getSeq(), fmt("%s header length %d, but the table has %d bytes", sig, hdrLen, b.length));
            }
        }
    }

    /**
     * xenstore writes: the dm-acpi keys libxl and QEMU write, and QEMU's "running", after which
     * every table QEMU named must be in guest memory as QEMU wrote it, with a valid checksum.
     */
    private void onXsWrite(XsRequest w, Envelope e, List<Verdict> out) {
        String p = w.getPath();
        String dmState = "/local/domain/0/device-model/";
        if (p.startsWith(dmState) && p.endsWith("/state") && w.getValue().equals("running")) {
            try {
                int domid = Integer.parseInt(p.substring(dmState.length(), p.length() - "/state".length()));
                checkDmAcpi(domid, e, out);
            } catch (NumberFormatException ex) {
                return;
            }
            return;
        }
        String prefix = "/local/domain/";
        if (!p.startsWith(prefix)) return;
        int slash = p.indexOf('/', prefix.length());
        if (slash < 0) return;
        String rel = p.substring(slash + 1);
        if (!rel.startsWith(HVM_XS_DM_ACPI_ROOT + "/")) return;
        try {
            int domid = Integer.parseInt(p.substring(prefix.length(), slash));
            dmAcpiKeys.computeIfAbsent(domid, k -> new TreeMap<>()).put(rel.substring(HVM_XS_DM_ACPI_ROOT.length() + 1), w.getValue());
        } catch (NumberFormatException ex) {
            return;
        }
    }

    private void checkDmAcpi(int domid, Envelope e, List<Verdict> out) {
        TreeMap<String, String> keys = dmAcpiKeys.get(domid);
        if (keys == null || !keys.containsKey("address")) return;
        long base;
        try {
            base = Long.decode(keys.get("address"));
        } catch (NumberFormatException ex) {
            fire(out, ACPI, "d" + domid + "-dm-acpi-address", e.getSeq(), "d" + domid + " dm-acpi/address is not a number: " + keys.get("address"));
            return;
        }
        ExtentMap<Bytes> mem = shadow.getOrDefault(domid, new ExtentMap<>());
        for (Map.Entry<String, String> k : keys.entrySet()) {
            if (!k.getKey().endsWith("/length")) continue;
            String blob = k.getKey().substring(0, k.getKey().length() - "/length".length());
            String type = keys.get(blob + "/type");
            if (type == null || !type.equals(Integer.toString(DM_ACPI_BLOB_TYPE_TABLE))) continue;
            long off, len;
            try {
                off = Long.decode(keys.getOrDefault(blob + "/offset", "x"));
                len = Long.decode(k.getValue());
            } catch (NumberFormatException ex) {
                fire(out, ACPI, "d" + domid + "-" + blob + "-keys", e.getSeq(), "d" + domid + " dm-acpi/" + blob + ": offset or length is not a number");
                continue;
            }
            if (len <= 0 || len > (1 << 20)) {
                fire(out, ACPI, "d" + domid + "-" + blob + "-keys", e.getSeq(), fmt("d%d dm-acpi/%s: length %d", domid, blob, len));
                continue;
            }
            byte[] table = new byte[(int) len];
            long have = 0;
            for (ExtentMap.Extent<Bytes> x : mem.overlapping(base + off, len)) {
                System.arraycopy(x.value().data(), x.value().off(), table, (int) (x.start() - base - off), (int) x.length());
                have += x.length();
            }
            if (have != len) {
                fire(out, ACPI, "d" + domid + "-" + blob + "-missing", e.getSeq(), fmt("d%d dm-acpi/%s: %d of %d bytes at gpa %#x were never written by QEMU",
                        domid, blob, len - have, len, base + off));
                continue;
            }
            checkTable(blob, table, e, out);
        }
    }

    /** A guest load returns the last value the guest (or its device model) stored there. */
    private void completeAccess(int domid, GuestMemAccess a, Envelope done, List<Verdict> out) {
        MemAccessDone d = done.getMemAccessDone();
        if (d.getRc() != 0) return;
        ExtentMap<Bytes> sh = shadow.computeIfAbsent(domid, k -> new ExtentMap<>());
        if (a.getWrite()) {
            sh.put(a.getGpa(), a.getLen(), new Bytes(a.getData().toByteArray(), 0));
            return;
        }
        byte[] got = d.getData().toByteArray();
        if (got.length != a.getLen()) {
            fire(out, INTEGRITY, "d" + domid + "-short-" + a.getGpa(), done.getSeq(),
                    fmt("d%d load gpa=%#x returned %d bytes, asked %d", domid, a.getGpa(), got.length, a.getLen()));
            return;
        }
        for (ExtentMap.Extent<Bytes> x : sh.overlapping(a.getGpa(), a.getLen())) {
            int off = (int) (x.start() - a.getGpa());
            int len = (int) x.length(), at = x.value().off();
            // the first byte that differs, if any (Arrays.mismatch compares many bytes per step)
            int i = java.util.Arrays.mismatch(got, off, off + len, x.value().data(), at, at + len);
            if (i >= 0) {
                fire(out, INTEGRITY, "d" + domid + "-page-" + ((x.start() + i) >>> PAGE_SHIFT), done.getSeq(),
                        fmt("d%d load gpa=%#x: byte at %#x is %#04x, last stored %#04x (stale or foreign data)",
                                domid, a.getGpa(), x.start() + i, got[off + i] & 0xff, x.value().data()[at + i] & 0xff));
                return;
            }
        }
    }

    // ---- what components observed about themselves (see the class comment)

    private void apply(Observation o, List<long[]> touched) {
        switch (o.getKindCase()) {
            case FILE_EXTENTS -> {
                ExtentMap<Run> f = runs();
                for (FileExtent x : o.getFileExtents().getExtentsList()) f.put(x.getFilePgoff(), x.getNr(), new Run(x.getMfn()));
                files.put(o.getFileExtents().getPath(), f);
                for (Layout l : layoutsByPath.getOrDefault(o.getFileExtents().getPath(), List.of())) touched.add(new long[] {l.domid(), l.gfn(), l.nr()});
            }
            case VNVDIMM -> {
                VnvdimmLayout v = o.getVnvdimm();
                removeLayouts(l -> l.domid() == v.getDomid() && l.gfn() == v.getGfn(), v.getDomid());
                if (!v.getRemoved()) {
                    Layout l = new Layout(v.getDomid(), v.getGfn(), v.getNr(), v.getPath(), v.getFilePgoff());
                    layoutsByDomain.computeIfAbsent(l.domid(), k -> new ArrayList<>()).add(l);
                    layoutsByPath.computeIfAbsent(l.path(), k -> new ArrayList<>()).add(l);
                }
                touched.add(new long[] {v.getDomid(), v.getGfn(), v.getNr()});
            }
            case DOMAIN_STATE -> {
                DomainState s = o.getDomainState();
                if (s.getState().equals("booted") && created.contains(s.getDomid())) booted.add(s.getDomid());
            }
            case GUEST_CHECK -> {
                // The guest's word that a hot-added vNVDIMM is in use (its region found through _FIT,
                // its labels read, its workload read back): the end of the liveness wait, like "booted".
                GuestCheck g = o.getGuestCheck();
                if (g.getWhat().equals("nvdimm-usable") && g.getOk() && created.contains(g.getDomid())) hotUsable.merge(g.getDomid(), 1, Integer::sum);
            }
            default -> { }
        }
    }

    private void removeLayouts(java.util.function.Predicate<Layout> which, int domid) {
        List<Layout> mine = layoutsByDomain.get(domid);
        if (mine == null) return;
        for (Layout l : List.copyOf(mine)) {
            if (!which.test(l)) continue;
            mine.remove(l);
            List<Layout> p = layoutsByPath.get(l.path());
            p.remove(l);
            if (p.isEmpty()) layoutsByPath.remove(l.path());
        }
        if (mine.isEmpty()) layoutsByDomain.remove(domid);
    }

    /** Each guest frame that maps a vNVDIMM maps the frame that backs that file offset now. */
    private void checkCoherence(int domid, long gfn, long nr, Envelope e, List<Verdict> out) {
        ExtentMap<Run> m = mmio.get(domid);
        if (m == null) return;
        for (Layout l : layoutsByDomain.getOrDefault(domid, List.of())) {
            if (gfn >= l.gfn() + l.nr() || l.gfn() >= gfn + nr) continue;
            ExtentMap<Run> f = files.get(l.path());
            long from = Math.max(gfn, l.gfn()), to = Math.min(gfn + nr, l.gfn() + l.nr());
            for (ExtentMap.Extent<Run> x : m.overlapping(from, to - from)) {
                long pg = l.pgoff() + (x.start() - l.gfn());
                long pos = 0;
                List<ExtentMap.Extent<Run>> blocks = f == null ? List.of() : f.overlapping(pg, x.length());
                for (ExtentMap.Extent<Run> b : blocks) {
                    long at = b.start() - pg;
                    if (at > pos) stale(domid, x.start() + pos, x.value().mfn() + pos, -1, at - pos, e, out);
                    long mappedMfn = x.value().mfn() + at;
                    if (mappedMfn != b.value().mfn()) stale(domid, x.start() + at, mappedMfn, b.value().mfn(), b.length(), e, out);
                    pos = at + b.length();
                }
                if (pos < x.length()) stale(domid, x.start() + pos, x.value().mfn() + pos, -1, x.length() - pos, e, out);
            }
        }
    }

    private void stale(int domid, long gfn, long mfn, long nowMfn, long nr, Envelope e, List<Verdict> out) {
        String key = domid + ":" + gfn + ":" + mfn + ":" + nowMfn;
        if (!reportedStale.add(key)) return;
        fire(out, COHERENCE, "d" + domid + "-stale", e.getSeq(), nowMfn < 0
                ? fmt("d%d gfn %#x+%d maps mfn %#x, but that file range has no block now (stale mapping)", domid, gfn, nr, mfn)
                : fmt("d%d gfn %#x+%d maps mfn %#x, but the file's block is now at mfn %#x (stale mapping)", domid, gfn, nr, mfn, nowMfn));
    }

    @Override
    public List<Verdict> atEnd(long deliveries, boolean stepBoundHit) {
        List<Verdict> out = new ArrayList<>();
        if (stepBoundHit) {
            fire(out, LIVENESS, "step-bound", deliveries, "step bound of " + deliveries + " deliveries reached before the scenario finished");
        }
        for (int d : created) {
            if (!booted.contains(d)) fire(out, LIVENESS, "d" + d + "-never-booted", deliveries, "d" + d + " was created but never finished booting");
            Map.Entry<Long, TreeMap<Long, Long>> fit = lastFit.get(d);
            NvdimmList list = nvdimms.get(d);
            String wrong = fit == null || list == null ? null : list.mismatch(fit.getValue());
            if (wrong != null) {
                fire(out, ACPI, "d" + d + "-fit-devices", deliveries, fmt("d%d: the last FIT the guest read (at #%d) is not QEMU's device list %s: %s",
                        d, fit.getKey(), list.describe(), wrong));
            }
            int added = hotAdded.getOrDefault(d, 0), usable = hotUsable.getOrDefault(d, 0);
            if (usable < added) {
                fire(out, LIVENESS, "d" + d + "-hotplug-unused", deliveries, fmt("d%d: QEMU hot-added %d vNVDIMM(s), the guest made %d usable", d, added, usable));
            }
        }
        return out;
    }
}
