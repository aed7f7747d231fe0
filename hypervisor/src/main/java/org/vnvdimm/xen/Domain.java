package org.vnvdimm.xen;

import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.proto.E820Entry;
import org.vnvdimm.ranges.RangeSet;

/** struct domain, as far as the simulation needs it. */
public final class Domain {
    public final int domid;
    public final boolean hvm;
    public final P2m p2m = new P2m();
    /** Frames this domain may be given access to (d->iomem_caps). */
    public final RangeSet iomemCaps = new RangeSet();
    /**
     * A PV domain's live PTEs onto frames that are not RAM, installed with mmu_update. Xen checked
     * them against iomem_caps when they were installed; iomem_deny_access later does not remove them.
     */
    public final RangeSet pvMapped = new RangeSet();
    public List<E820Entry> e820 = List.of();
    public boolean e820Set;
    public long maxPages = Long.MAX_VALUE;
    public long totPages;
    public boolean paused = true;
    public boolean started;
    /** d->max_vcpus: 0 until XEN_DOMCTL_max_vcpus allocates them. */
    public int maxVcpus;
    public boolean vcpusAllocated;
    /** RAM frames this domain owns, as runs {mfn, nr} (returned to the heap on destroy). */
    public final List<long[]> ramRuns = new ArrayList<>();
    public final List<IoreqServer> ioreqServers = new ArrayList<>();
    /** d->pmem_page_list (rfc-v4): pmem frames populate_pmem_map gave this domain, freed only at destroy. */
    public final RangeSet pmemPages = new RangeSet();
    /** Set by destroydomain (d->is_dying). */
    public boolean dying;
    /** A PCI device is assigned (XEN_DOMCTL_assign_device): it DMAs through the IOMMU. */
    public boolean passthrough;
    /**
     * The IOMMU's own tables when they are not the EPT (design iommu: separate): filled as the p2m is
     * for direct MMIO, and left alone when a p2m entry is removed [inferred] (see PassthroughDma).
     */
    public final org.vnvdimm.ranges.ExtentMap<P2m.Run> iommuTable = new org.vnvdimm.ranges.ExtentMap<>();
    /** The levels of the 16 ISA IRQ lines a device model drives (hvm_irq's isa_irq bitmap). */
    public int isaIrqAsserted;

    public static final class IoreqServer {
        public final int id;
        public final String dmRole;
        public final RangeSet ports = new RangeSet();
        public final RangeSet mmio = new RangeSet();
        public boolean enabled;

        IoreqServer(int id, String dmRole) {
            this.id = id;
            this.dmRole = dmRole;
        }
    }

    Domain(int domid, boolean hvm) {
        this.domid = domid;
        this.hvm = hvm;
    }

    /** The ioreq server that claims guest-physical byte address gpa as MMIO, or null. */
    IoreqServer serverForMmio(long gpa) {
        for (IoreqServer s : ioreqServers) if (s.enabled && s.mmio.contains(gpa)) return s;
        return null;
    }

    /** The ioreq server that claims port, or null. */
    IoreqServer serverForPort(long port) {
        for (IoreqServer s : ioreqServers) if (s.enabled && s.ports.contains(port)) return s;
        return null;
    }
}
