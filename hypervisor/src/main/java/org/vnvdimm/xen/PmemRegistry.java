package org.vnvdimm.xen;

import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.ranges.ExtentMap;
import org.vnvdimm.ranges.RangeSet;

/**
 * Xen's knowledge of persistent memory, range-based throughout (design doc v1's nvdimm_pages list):
 * ranges noted at boot from the NFIT/E820, ranges Dom0 reported, management areas (holding Xen's
 * frame table and M2P for pmem) and data areas, and for every mapped data page its owner and GFN.
 */
public final class PmemRegistry {
    public record Raw(long smfn, long emfn, int pxm) {}

    public static final class Mgmt {
        public final long smfn, emfn;
        public long usedMfns;

        Mgmt(long smfn, long emfn, long used) {
            this.smfn = smfn;
            this.emfn = emfn;
            this.usedMfns = used;
        }
    }

    public record Data(long smfn, long emfn, long mgmtSmfn, long mgmtEmfn) {}

    /** Owner of a mapped run of pmem frames: the domain and the GFN of the run's first frame. */
    public record Owner(int domid, long gfn, boolean broken) implements ExtentMap.Value<Owner> {
        public Owner slice(long offset) { return new Owner(domid, gfn + offset, broken); }
    }

    final List<Raw> noted = new ArrayList<>();      // from the boot NFIT / E820 type 7
    final List<Raw> raw = new ArrayList<>();        // reported by Dom0 (XENPF_pmem_add)
    final List<Mgmt> mgmt = new ArrayList<>();
    final List<Data> data = new ArrayList<>();
    final RangeSet notedSet = new RangeSet();
    final RangeSet rawSet = new RangeSet();
    final RangeSet mgmtSet = new RangeSet();
    final RangeSet dataSet = new RangeSet();
    /** Data-area frames XENMEM_populate_pmem_map gave a domain (PGC_state_inuse); the rest are free. */
    final RangeSet inuse = new RangeSet();
    final ExtentMap<Owner> owners = new ExtentMap<>(
            (a, b) -> a.value().domid() == b.value().domid() && a.value().broken() == b.value().broken()
                    && a.value().gfn() + a.length() == b.value().gfn());

    public boolean isPmem(long smfn, long emfn) { return notedSet.intersects(smfn, emfn) || rawSet.intersects(smfn, emfn); }

    public RangeSet reported() { return rawSet; }

    public RangeSet mgmtAreas() { return mgmtSet; }

    public RangeSet dataAreas() { return dataSet; }

    public List<Raw> rawRegions() { return raw; }

    public List<Mgmt> mgmtRegions() { return mgmt; }

    public List<Data> dataRegions() { return data; }

    public List<Raw> notedRegions() { return noted; }

    public ExtentMap<Owner> owners() { return owners; }

    public RangeSet inuse() { return inuse; }

    /** The reported RAW region wholly containing [smfn, emfn), or null. */
    public Raw rawContaining(long smfn, long emfn) {
        for (Raw r : raw) if (r.smfn() <= smfn && emfn <= r.emfn()) return r;
        return null;
    }

    public Mgmt mgmtMatching(long smfn, long emfn) {
        for (Mgmt m : mgmt) if (m.smfn == smfn && m.emfn == emfn) return m;
        return null;
    }

    void note(Raw r) {
        noted.add(r);
        notedSet.add(r.smfn(), r.emfn());
    }

    void report(Raw r) {
        raw.add(r);
        rawSet.add(r.smfn(), r.emfn());
    }

    void addMgmt(long smfn, long emfn, long used) {
        mgmt.add(new Mgmt(smfn, emfn, used));
        mgmtSet.add(smfn, emfn);
    }

    void addData(Data d) {
        data.add(d);
        dataSet.add(d.smfn(), d.emfn());
    }
}
