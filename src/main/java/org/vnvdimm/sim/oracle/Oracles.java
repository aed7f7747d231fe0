package org.vnvdimm.sim.oracle;

import java.util.Locale;

import static org.vnvdimm.contract.XenAbi.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * The safety checks, run after every delivery on what the wire saw and what components observed
 * about themselves (DESIGN.md section 5). A verdict names the oracle and the delivery after which
 * the property broke. Everything here is range-based: cost grows with extents, not pages.
 */
public final class Oracles implements Wire.Observer {
    public static final String BOOT_SAFETY = "boot-safety";
    public static final String ISOLATION = "isolation";
    public static final String COHERENCE = "mapping-coherence";
    public static final String INTEGRITY = "data-integrity";
    public static final String ACPI = "acpi";
    public static final String LIVENESS = "liveness";
    public static final List<String> ALL = List.of(BOOT_SAFETY, ISOLATION, COHERENCE, INTEGRITY, ACPI, LIVENESS);

    /** Bound on verdicts kept: a run that breaks this often has said what it needed to. */
    static final int MAX_VERDICTS = 10_000;

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

    private final RangeSet hostRam;
    private final RangeSet hostPmem;
    private final RangeSet mgmt = new RangeSet();
    private final RangeSet xenUsed = new RangeSet();
    private final RangeSet inspected = new RangeSet();
    private final TreeMap<Integer, ExtentMap<Run>> mmio = new TreeMap<>();
    /** Mirrors merge neighbouring runs that continue each other, so a 4 KiB mapping loop stays one run. */
    private static ExtentMap<Run> runs() {
        return new ExtentMap<>((a, b) -> a.value().mfn() + a.length() == b.value().mfn());
    }
    private final ExtentMap<Owner> domUOwners = new ExtentMap<>();
    private final TreeMap<String, ExtentMap<Run>> files = new TreeMap<>();
    /** vNVDIMM layouts by domain and by backing file: lookups stay O(log) with a thousand guests. */
    private final TreeMap<Integer, List<Layout>> layoutsByDomain = new TreeMap<>();
    private final TreeMap<String, List<Layout>> layoutsByPath = new TreeMap<>();
    private final TreeMap<Integer, ExtentMap<Bytes>> shadow = new TreeMap<>();
    // Looked up by (role, tag) only.
    private final Map<String, GuestMemAccess> pendingAccess = new HashMap<>();
    private final TreeSet<Integer> created = new TreeSet<>();
    private final TreeSet<Integer> booted = new TreeSet<>();
    private final TreeSet<String> reportedStale = new TreeSet<>();
    private int verdictCount;

    public Oracles(PlatformModel platform) {
        this.hostRam = platform.ramPages();
        this.hostPmem = platform.pmemPages();
    }

    @Override
    public List<Verdict> afterDelivery(Envelope e, StepResult r) {
        List<Verdict> out = new ArrayList<>();
        onDelivered(e, out);
        List<long[]> touched = new ArrayList<>();   // {domid, gfn, nr} to re-check for coherence
        for (Observation o : r.getObservedList()) apply(o, touched, out);
        for (Observation o : r.getObservedList()) {
            if (o.hasP2M() && !o.getP2M().getRemove() && o.getP2M().getP2MType() == p2m_mmio_direct) {
                checkIsolation(o.getP2M(), e, out);
            }
            if (o.hasPmemArea() && o.getPmemArea().getKind() == PmemArea.Kind.MGMT) checkMgmtUnmapped(o.getPmemArea(), e, out);
        }
        for (long[] t : touched) checkCoherence((int) t[0], t[1], t[2], e, out);
        verdictCount += out.size();
        if (verdictCount > MAX_VERDICTS) return List.of();
        return out;
    }

    private static Verdict verdict(String oracle, Envelope e, String detail) {
        return Verdict.newBuilder().setOracle(oracle).setSeq(e.getSeq()).setDetail(detail).build();
    }

    // ---- what the message itself shows

    private void onDelivered(Envelope e, List<Verdict> out) {
        switch (e.getPayloadCase()) {
            case MEM_ACCESS -> {
                MemAccess m = e.getMemAccess();
                if (m.getOp() != MemAccess.Op.READ) checkMediaWrite(m, e, out);
                // A device model's write into guest RAM (tables, _DSM results) is the last value there too.
                if (m.getOp() == MemAccess.Op.WRITE && Roles.isQemu(m.getReplyTo())) {
                    shadow.computeIfAbsent(Roles.servedDomain(m.getReplyTo()), k -> new ExtentMap<>())
                            .put(m.getGpa(), m.getData().size(), new Bytes(m.getData().toByteArray(), 0));
                }
            }
            case GUEST_MEM_ACCESS -> {
                if (Roles.isGuest(e.getFrom())) pendingAccess.put(e.getFrom() + "#" + e.getTag(), e.getGuestMemAccess());
            }
            case MEM_ACCESS_DONE -> {
                GuestMemAccess a = pendingAccess.remove(e.getTo() + "#" + e.getTag());
                if (a != null) completeAccess(Roles.servedDomain(e.getTo()), a, e, out);
            }
            case GUEST_FAULT -> pendingAccess.remove(e.getTo() + "#" + e.getTag());
            case FIRMWARE_HANDOFF -> checkTables(e.getFirmwareHandoff().getAcpiTablesList(), e, out);
            case DOMAIN_START -> checkTables(e.getDomainStart().getAcpiTablesList(), e, out);
            default -> { }
        }
    }

    private void checkTables(List<AcpiTableBlob> tables, Envelope e, List<Verdict> out) {
        for (AcpiTableBlob t : tables) {
            byte[] b = t.getData().toByteArray();
            int sum = 0;
            for (byte x : b) sum += x;
            if ((sum & 0xff) != 0) out.add(verdict(ACPI, e, t.getSignature() + " checksum invalid"));
        }
    }

    /** Nothing writes pmem before Dom0 inspected it; Xen writes pmem only where it was handed an area. */
    private void checkMediaWrite(MemAccess m, Envelope e, List<Verdict> out) {
        long s = m.getSpa() >>> PAGE_SHIFT;
        long t = (m.getSpa() + Math.max(m.getLen(), m.getData().size()) + PAGE_SIZE - 1) >>> PAGE_SHIFT;
        if (!hostPmem.intersects(s, t)) return;
        if (m.getInitiatorDomid() == DOMID_XEN) {
            if (!xenUsed.containsAll(s, t)) {
                out.add(verdict(BOOT_SAFETY, e, String.format(Locale.ROOT, "Xen wrote pmem MFNs %#x - %#x, which no pmem_setup handed it", s, t)));
            }
            return;
        }
        for (RangeSet.Range r : hostPmem.intersection(s, t)) {
            if (!inspected.containsAll(r.start(), r.end())) {
                out.add(verdict(BOOT_SAFETY, e, String.format(Locale.ROOT, "d%d wrote pmem MFNs %#x - %#x before Dom0 inspected them",
                        m.getInitiatorDomid(), r.start(), r.end())));
                return;
            }
        }
    }

    /** A guest load returns the last value the guest stored there. */
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
            out.add(verdict(INTEGRITY, done, String.format(Locale.ROOT, "d%d load gpa=%#x returned %d bytes, asked %d", domid, a.getGpa(), got.length, a.getLen())));
            return;
        }
        for (ExtentMap.Extent<Bytes> x : sh.overlapping(a.getGpa(), a.getLen())) {
            int off = (int) (x.start() - a.getGpa());
            for (int i = 0; i < x.length(); i++) {
                if (got[off + i] != x.value().data()[x.value().off() + i]) {
                    out.add(verdict(INTEGRITY, done, String.format(Locale.ROOT, "d%d load gpa=%#x: byte %#x is %#04x, last stored %#04x (stale or foreign data)",
                            domid, a.getGpa(), x.start() + i, got[off + i] & 0xff, x.value().data()[x.value().off() + i] & 0xff)));
                    return;
                }
            }
        }
    }

    // ---- what components observed

    private void apply(Observation o, List<long[]> touched, List<Verdict> out) {
        switch (o.getKindCase()) {
            case P2M -> {
                P2mChange p = o.getP2M();
                if (p.getP2MType() != p2m_mmio_direct) return;
                ExtentMap<Run> m = mmio.computeIfAbsent(p.getDomid(), k -> runs());
                if (p.getRemove()) {
                    m.remove(p.getGfn(), p.getNr());
                    if (p.getDomid() != 0) {
                        for (ExtentMap.Extent<Owner> x : domUOwners.overlapping(p.getMfn(), p.getNr())) {
                            if (x.value().domid() == p.getDomid()) domUOwners.remove(x.start(), x.length());
                        }
                    }
                } else {
                    m.put(p.getGfn(), p.getNr(), new Run(p.getMfn()));
                    touched.add(new long[] {p.getDomid(), p.getGfn(), p.getNr()});
                }
            }
            case PMEM_AREA -> {
                PmemArea a = o.getPmemArea();
                switch (a.getKind()) {
                    case MGMT -> mgmt.add(a.getSmfn(), a.getEmfn());
                    case XEN_USED -> xenUsed.add(a.getSmfn(), a.getEmfn());
                    default -> { }
                }
            }
            case INSPECTED -> inspected.add(o.getInspected().getSmfn(), o.getInspected().getEmfn());
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
            case GUEST_CHECK -> {
                GuestCheck g = o.getGuestCheck();
                if (!g.getOk()) {
                    String oracle = g.getWhat().startsWith("acpi") ? ACPI : g.getWhat().startsWith("data") ? INTEGRITY : LIVENESS;
                    out.add(Verdict.newBuilder().setOracle(oracle).setDetail("d" + g.getDomid() + " " + g.getWhat() + ": " + g.getDetail()).build());
                }
            }
            case DOMAIN_STATE -> {
                DomainState s = o.getDomainState();
                switch (s.getState()) {
                    case "created" -> created.add(s.getDomid());
                    case "booted" -> booted.add(s.getDomid());
                    case "destroyed" -> {
                        created.remove(s.getDomid());
                        mmio.remove(s.getDomid());
                        shadow.remove(s.getDomid());
                        removeLayouts(l -> true, s.getDomid());
                    }
                    default -> { }
                }
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

    /** No domain maps RAM or Xen's management area; no guest maps frames another guest maps. */
    private void checkIsolation(P2mChange p, Envelope e, List<Verdict> out) {
        long s = p.getMfn(), t = p.getMfn() + p.getNr();
        if (hostRam.intersects(s, t)) {
            out.add(verdict(ISOLATION, e, String.format(Locale.ROOT, "d%d maps host RAM MFNs %#x - %#x at gfn %#x", p.getDomid(), s, t, p.getGfn())));
        }
        if (mgmt.intersects(s, t)) {
            out.add(verdict(ISOLATION, e, String.format(Locale.ROOT, "d%d maps Xen's management area MFNs %#x - %#x", p.getDomid(), s, t)));
        }
        if (p.getDomid() != 0 && hostPmem.intersects(s, t)) {
            for (ExtentMap.Extent<Owner> x : domUOwners.overlapping(s, p.getNr())) {
                if (x.value().domid() != p.getDomid()) {
                    out.add(verdict(ISOLATION, e, String.format(Locale.ROOT, "d%d maps MFNs %#x - %#x that d%d maps", p.getDomid(), x.start(), x.end(), x.value().domid())));
                    return;
                }
            }
            domUOwners.put(s, p.getNr(), new Owner(p.getDomid(), p.getGfn()));
        }
    }

    private void checkMgmtUnmapped(PmemArea a, Envelope e, List<Verdict> out) {
        for (Map.Entry<Integer, ExtentMap<Run>> d : mmio.entrySet()) {
            for (ExtentMap.Extent<Run> x : d.getValue().extents()) {
                long s = x.value().mfn(), t = s + x.length();
                if (s < a.getEmfn() && a.getSmfn() < t) {
                    out.add(verdict(ISOLATION, e, String.format(Locale.ROOT, "d%d still maps MFNs in Xen's new management area %#x - %#x",
                            d.getKey(), a.getSmfn(), a.getEmfn())));
                }
            }
        }
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
                    long mapped = x.value().mfn() + at;
                    if (mapped != b.value().mfn()) stale(domid, x.start() + at, mapped, b.value().mfn(), b.length(), e, out);
                    pos = at + b.length();
                }
                if (pos < x.length()) stale(domid, x.start() + pos, x.value().mfn() + pos, -1, x.length() - pos, e, out);
            }
        }
    }

    private void stale(int domid, long gfn, long mfn, long nowMfn, long nr, Envelope e, List<Verdict> out) {
        String key = domid + ":" + gfn + ":" + mfn + ":" + nowMfn;
        if (!reportedStale.add(key)) return;
        out.add(verdict(COHERENCE, e, nowMfn < 0
                ? String.format(Locale.ROOT, "d%d gfn %#x+%#x maps mfn %#x, but that file range has no block now (stale mapping)", domid, gfn, nr, mfn)
                : String.format(Locale.ROOT, "d%d gfn %#x+%#x maps mfn %#x, but the file's block is now at mfn %#x (stale mapping)", domid, gfn, nr, mfn, nowMfn)));
    }

    @Override
    public List<Verdict> atEnd(long deliveries, boolean stepBoundHit) {
        List<Verdict> out = new ArrayList<>();
        if (stepBoundHit) {
            out.add(Verdict.newBuilder().setOracle(LIVENESS).setSeq(deliveries)
                    .setDetail("step bound of " + deliveries + " deliveries reached before the scenario finished").build());
        }
        for (int d : created) {
            if (!booted.contains(d)) {
                out.add(Verdict.newBuilder().setOracle(LIVENESS).setSeq(deliveries).setDetail("d" + d + " was created but never finished booting").build());
            }
        }
        return out;
    }
}
