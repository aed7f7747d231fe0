package org.vnvdimm.sim.scenario;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.vnvdimm.proto.CreateFile;
import org.vnvdimm.proto.DimmConfig;
import org.vnvdimm.proto.DomainConfig;
import org.vnvdimm.proto.Mkfs;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.HotplugDimm;
import org.vnvdimm.proto.NvdimmHotplug;
import org.vnvdimm.proto.Step;
import org.vnvdimm.proto.XlPmemSetup;
import org.vnvdimm.proto.VnvdimmConfig;
import org.vnvdimm.proto.ExpectedStepFailure;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.sim.oracle.Oracles;
import org.vnvdimm.sim.run.ScenarioDriver;

/**
 * Semantic checks on a scenario that the schema alone cannot express. Each rejection points at the
 * value it rejects (or, for a value left out, at the nearest enclosing value in the file).
 *
 * <p>All rules are listed in {@link #RULES}; to add one, write a method taking
 * {@code (Scenario, Report)} below and add it to that list. Every rule runs; the earliest problem in
 * the file is thrown and the others ride along in {@link ScenarioException#additional()}.
 */
public final class ScenarioValidator {
    private ScenarioValidator() {
    }

    public static final long PAGE_BYTES = 4096;
    public static final long MIN_RAM_BYTES = 64L << 20;
    public static final long DIMM_ALIGN_BYTES = 2L << 20;
    /** XFS extent size hint ceiling: MAXEXTLEN (2^21) blocks of 4 KiB. */
    static final long MAX_EXTSIZE_BYTES = (1L << 21) * PAGE_BYTES;
    public static final long MIN_LABEL_BYTES = 128L << 10;
    public static final long MIN_DOMAIN_MEMORY_BYTES = 16L << 20;
    public static final long MIN_MAX_DELIVERIES = 10;

    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    /** design.profile: each follows one real branch field for field (README "Fidelity notes"). */
    public static final List<String> PROFILES = List.of("seeds", "rfc-v4");
    public static final List<String> FRAMETABLES = List.of("pmem-mgmt", "boot-claim");
    public static final List<String> MAPPING_CHECKS = List.of("on", "off");
    public static final List<String> DISCOVERIES = List.of("dom0-reports");
    public static final List<String> FILESYSTEMS = List.of("xfs", "ext4");
    public static final List<String> IOMMUS = List.of("none", "separate", "shared-ept");
    /** design.dma: a passthrough device's DMA into an fs-dax vNVDIMM against block moves. */
    public static final List<String> DMAS = List.of("none", "refuse", "lease");
    /** guest_io.via: the vCPU, or the domain's passthrough device. */
    public static final List<String> GUEST_IO_VIAS = List.of("cpu", "dma");
    public static final List<String> QEMUS = List.of("honest", "hostile-ram", "hostile-mgmt");
    public static final List<String> HOTPLUG_REPORTS = List.of("before-map", "after-map");
    /** What hvmloader's DSDT has under \_GPE for NVDIMM hotplug: Xen 4.10's (no _E04), or QEMU's _E04. */
    public static final List<String> GUEST_GPES = List.of("xen-4.10", "e04");
    /** design.invalidation: what tells Xen that Dom0's filesystem moves blocks under a guest. */
    public static final List<String> INVALIDATIONS = List.of("none", "notifier", "notifier-racy", "refuse");
    /** design.host_kernel: the Linux whose DAX filesystem behaviour Dom0 follows. */
    public static final List<String> HOST_KERNELS = List.of("4.15", "6.2");
    /** design.qemu_prealloc: QEMU's memory-backend prealloc property. */
    public static final List<String> QEMU_PREALLOCS = List.of("off", "on");
    public static final List<String> FS_OPS = List.of("reflink", "write", "punch_hole", "truncate", "extend", "defrag", "remount");
    public static final List<String> GUEST_IO_OPS = List.of("write", "read", "verify", "flush");
    /** Largest fs write or guest_io range a step may name (the data is generated in memory). */
    public static final long MAX_IO_BYTES = 64L << 20;
    /** Bound on xl's hotplug_slots (QEMU takes at most 256 memory slots, ACPI_MAX_RAM_SLOTS). */
    public static final int MAX_HOTPLUG_SLOTS = 256;
    public static final List<String> NAMESPACE_MODES = List.of("fsdax", "devdax", "raw");
    public static final List<String> PFN_MAPS = List.of("xen", "dev", "mem");
    /** The oracles a scenario may expect: the simulator's own list, never a copy. */
    public static final List<String> ORACLES = Oracles.ALL;

    /** Xen 4.10's default NR_CPUS (xen/arch/x86/Kconfig): the most CPUs the hypervisor brings up. */
    public static final int XEN_NR_CPUS = 256;
    /** Xen 4.10's HVM_MAX_VCPUS: XEN_DOMCTL_max_vcpus refuses more for an HVM guest with -EINVAL. */
    public static final int HVM_MAX_VCPUS = 128;
    /** DOMID_FIRST_RESERVED (0x7FF0): domids from here on are Xen's own (DOMID_SELF, DOMID_IO ...). */
    public static final int DOMID_FIRST_RESERVED = 0x7FF0;
    /** The page alignment xl gives a backing file whose size is not a multiple of 2 MiB. */
    static final long BACKING_ALIGN_2M = 2L << 20;

    /** One semantic rule: looks at the whole scenario and reports every value it rejects. */
    @FunctionalInterface
    interface Rule {
        void check(Scenario scenario, Report report);
    }

    // ============================ THE RULES: add new ones here ============================
    static final List<Rule> RULES = List.of(
            ScenarioValidator::nameIsAnIdentifier,        // name required, [a-z0-9][a-z0-9._-]*
            ScenarioValidator::designChoicesAreKnown,     // profile, frametable, mapping_check, discovery
            ScenarioValidator::stepsBelongToTheProfile,   // seeds: pmem_setup from_namespace, file vnvdimms; rfc-v4: explicit areas, type=mfn
            ScenarioValidator::ramIsUsable,               // ram_bytes >= 64 MiB, page aligned
            ScenarioValidator::dimmsAreWellFormed,        // >= 1 DIMM; size, label, handle, spa
            ScenarioValidator::stepsAreComplete,          // >= 1 step; each step's required fields
            ScenarioValidator::countsHaveAPlaceholder,    // count > 1 needs "%d" where names must differ
            ScenarioValidator::countsStayWithinMaxSteps,  // the expanded steps fit ScenarioDriver.MAX_STEPS
            ScenarioValidator::cpusWithinXenLimits,       // nr_cpus <= NR_CPUS, vcpus <= HVM_MAX_VCPUS
            ScenarioValidator::domainsAreDistinct,        // names libxl accepts, no name or domid twice
            ScenarioValidator::vnvdimmsFitQemusSlots,     // at most ACPI_MAX_RAM_SLOTS (256) per domain
            ScenarioValidator::backingFilesHoldLabelsAndData, // QEMU's nvdimm size rule, for files made by a step
            ScenarioValidator::qemuOptionsParse,          // a domain's extra QEMU options are ones QEMU accepts
            ScenarioValidator::hotAddedDimmsAreNew,       // hotplug_dimm: a handle no DIMM has, a page-aligned spa
            ScenarioValidator::expectedViolationsAreOracles,
            ScenarioValidator::expectedStepFailuresAreWellFormed, // step 1..N, an errno name, each step once
            ScenarioValidator::deliveryLimitIsUsable,     // limits.max_deliveries 0 or >= 10
            ScenarioValidator::faultsAreWellFormed);      // faults: known roles, messages, hypercalls, errnos; one trigger each
    // =======================================================================================

    /** Checks a loaded scenario; positions come from the loader's source map. */
    public static void validate(Scenario scenario, SourceMap where) throws ScenarioException {
        Report report = new Report(where);
        for (Rule rule : RULES) {
            rule.check(scenario, report);
        }
        report.throwIfAny();
    }

    /** Checks a scenario built in code: errors carry the name but no line or column. */
    public static void validate(Scenario scenario, String sourceName) throws ScenarioException {
        validate(scenario, SourceMap.empty(sourceName));
    }

    // ---------------------------------------------------------------- rules

    static void nameIsAnIdentifier(Scenario s, Report r) {
        if (!NAME.matcher(s.getName()).matches()) {
            r.reject("name", "a name of lower-case letters, digits, '.', '_' and '-' starting with a letter or digit "
                    + "([a-z0-9][a-z0-9._-]*)", s.getName());
        }
    }

    static void designChoicesAreKnown(Scenario s, Report r) {
        r.oneOfOrEmpty("design.profile", s.getDesign().getProfile(), PROFILES);
        r.oneOfOrEmpty("design.frametable", s.getDesign().getFrametable(), FRAMETABLES);
        r.oneOfOrEmpty("design.mapping_check", s.getDesign().getMappingCheck(), MAPPING_CHECKS);
        r.oneOfOrEmpty("design.discovery", s.getDesign().getDiscovery(), DISCOVERIES);
        r.oneOfOrEmpty("design.iommu", s.getDesign().getIommu(), IOMMUS);
        r.oneOfOrEmpty("design.qemu", s.getDesign().getQemu(), QEMUS);
        r.oneOfOrEmpty("design.hotplug_report", s.getDesign().getHotplugReport(), HOTPLUG_REPORTS);
        r.oneOfOrEmpty("design.guest_gpe", s.getDesign().getGuestGpe(), GUEST_GPES);
        r.oneOfOrEmpty("design.invalidation", s.getDesign().getInvalidation(), INVALIDATIONS);
        r.oneOfOrEmpty("design.host_kernel", s.getDesign().getHostKernel(), HOST_KERNELS);
        r.oneOfOrEmpty("design.qemu_prealloc", s.getDesign().getQemuPrealloc(), QEMU_PREALLOCS);
        r.oneOfOrEmpty("design.dma", s.getDesign().getDma(), DMAS);
        if (s.getDesign().getDma().equals("lease") && !s.getDesign().getInvalidation().equals("notifier")) {
            r.rejectAs("design.dma", "lease only with invalidation: notifier (the lease extends the notifier's layout break)",
                    "lease with invalidation " + (s.getDesign().getInvalidation().isEmpty() ? "none" : s.getDesign().getInvalidation()));
        }
    }

    /**
     * Each profile has only its branch's interfaces. `seeds` (rfc-v1): Dom0 reports a pfn-xen
     * namespace with XENPF_pmem_add, so pmem_setup names the namespace; explicit areas are rfc-v4's
     * `xl pmem-setup -m/-d`, and vnvdimms of type mfn are rfc-v4's xl syntax. `rfc-v4`: Dom0 sees no
     * NFIT, so no namespace to name; vNVDIMMs are `type=mfn,backend=..,nr_pages=..`.
     */
    static void stepsBelongToTheProfile(Scenario s, Report r) {
        boolean v4 = "rfc-v4".equals(s.getDesign().getProfile());
        for (int i = 0; i < s.getStepsCount(); i++) {
            List<Step> steps = s.getSteps(i).hasConcurrently() ? s.getSteps(i).getConcurrently().getStepsList() : List.of(s.getSteps(i));
            for (int k = 0; k < steps.size(); k++) {
                Step st = steps.get(k);
                String p = s.getSteps(i).hasConcurrently() ? "steps[" + i + "].concurrently[" + k + "]" : "steps[" + i + "]";
                if (st.hasPmemSetup()) {
                    XlPmemSetup ps = st.getPmemSetup();
                    boolean explicit = ps.getMgmtSmfn() != 0 || ps.getMgmtEmfn() != 0 || ps.getDataSmfn() != 0 || ps.getDataEmfn() != 0;
                    if (!v4 && explicit) {
                        r.rejectAs(p + ".pmem_setup", "from_namespace only under profile seeds (rfc-v1: Dom0 reports the pfn-xen namespace"
                                + " with XENPF_pmem_add); explicit mgmt/data areas are `xl pmem-setup -m/-d` of profile rfc-v4", "explicit areas");
                    }
                    if (v4 && !ps.getFromNamespace().isEmpty()) {
                        r.reject(p + ".pmem_setup.from_namespace", "explicit mgmt_smfn..data_emfn under profile rfc-v4 (Dom0 sees no NFIT,"
                                + " so it has no namespace; from_namespace is profile seeds')", ps.getFromNamespace());
                    }
                }
                if (st.hasNvdimmHotplug()) {
                    NvdimmHotplug h = st.getNvdimmHotplug();
                    String hp = p + ".nvdimm_hotplug";
                    if (!v4 && !h.getType().isEmpty()) r.reject(hp + ".type", "no type under profile seeds (a DAX file); type: mfn is profile rfc-v4's", h.getType());
                    if (v4 && !h.getType().equals("mfn")) {
                        r.rejectAs(hp + ".type", "mfn under profile rfc-v4 (memory-backend-xen over host pmem: type, backend, nr_pages)",
                                h.getType().isEmpty() ? "nothing" : h.getType());
                    }
                    if (v4 && (h.getBackend() == 0 || h.getNrPages() == 0)) {
                        r.rejectAs(hp, "backend (a start MFN) and nr_pages above 0", "backend " + hex(h.getBackend()) + ", nr_pages " + Long.toUnsignedString(h.getNrPages()));
                    }
                    if (v4 && !h.getFile().isEmpty()) r.reject(hp + ".file", "no file under profile rfc-v4 (Dom0 has no NFIT, so no DAX file system)", h.getFile());
                    if (v4 && h.getLabelBytes() != 0) r.reject(hp + ".label_bytes", "0 under profile rfc-v4 (its vNVDIMMs have no label area)", u64(h.getLabelBytes()));
                }
                if (v4 && st.hasFs()) {
                    // Facts flow I2: rfc-v4's pages come from XENMEM_populate_pmem_map over whole
                    // host pmem ranges (type=mfn), outside any Dom0 filesystem: nothing can move them.
                    r.rejectAs(p + ".fs", "no fs step under profile rfc-v4 (its vNVDIMMs are whole host pmem ranges given with"
                            + " XENMEM_populate_pmem_map, outside any Dom0 filesystem: there is no file whose blocks could move)", "fs " + st.getFs().getOp());
                }
                if (!st.hasXlCreate()) continue;
                DomainConfig d = st.getXlCreate().getDomain();
                String iommu = s.getDesign().getIommu();
                if (d.getPassthrough() && (iommu.isEmpty() || iommu.equals("none"))) {
                    r.rejectAs(p + ".xl_create.domain.passthrough", "design.iommu separate or shared-ept (a passthrough device needs an IOMMU)",
                            "iommu " + (iommu.isEmpty() ? "none" : iommu));
                }
                for (int v = 0; v < d.getVnvdimmsCount(); v++) {
                    VnvdimmConfig vn = d.getVnvdimms(v);
                    String vp = p + ".xl_create.domain.vnvdimms[" + v + "]";
                    if (!v4 && !vn.getType().isEmpty()) {
                        r.reject(vp + ".type", "no type under profile seeds (a DAX file); type=mfn is profile rfc-v4's", vn.getType());
                    }
                    if (v4 && !vn.getType().equals("mfn")) {
                        r.rejectAs(vp + ".type", "mfn under profile rfc-v4 (vnvdimms = ['type=mfn,backend=..,nr_pages=..'])",
                                vn.getType().isEmpty() ? "nothing" : vn.getType());
                    }
                    if (v4 && (vn.getBackend() == 0 || vn.getNrPages() == 0)) {
                        r.rejectAs(vp, "backend (a start MFN) and nr_pages above 0", "backend " + hex(vn.getBackend()) + ", nr_pages " + Long.toUnsignedString(vn.getNrPages()));
                    }
                    if (v4 && vn.getLabelBytes() != 0) {
                        r.reject(vp + ".label_bytes", "0 under profile rfc-v4 (its vNVDIMMs have no label area)", u64(vn.getLabelBytes()));
                    }
                }
            }
        }
    }

    static void countsHaveAPlaceholder(Scenario s, Report r) {
        for (int i = 0; i < s.getStepsCount(); i++) {
            Step st = s.getSteps(i);
            String p = "steps[" + i + "]";
            if (st.hasFile() && st.getFile().getCount() > 1 && !st.getFile().getPath().contains("%d")) {
                r.reject(p + ".file.path", "a path with %d (replaced by 1.." + st.getFile().getCount() + ") since count > 1",
                        st.getFile().getPath());
            }
            if (st.hasXlCreate() && st.getXlCreate().getCount() > 1) {
                DomainConfig d = st.getXlCreate().getDomain();
                if (!d.getName().contains("%d")) {
                    r.reject(p + ".xl_create.domain.name", "a name with %d (replaced by 1.." + st.getXlCreate().getCount()
                            + ") since count > 1", d.getName());
                }
                if (d.getDomid() != 0) {
                    r.reject(p + ".xl_create.domain.domid", "0 (Xen picks) since count > 1", Integer.toUnsignedString(d.getDomid()));
                }
            }
        }
    }

    /** How many steps a step stands for: its count (unsigned), or 1. */
    static long instances(Step st) {
        long count = st.hasFile() ? Integer.toUnsignedLong(st.getFile().getCount())
                : st.hasXlCreate() ? Integer.toUnsignedLong(st.getXlCreate().getCount()) : 1;
        return Math.max(1, count);
    }

    /** Whether the steps expand to at most ScenarioDriver.MAX_STEPS (the per-instance rules only run if so). */
    static boolean expandable(Scenario s) {
        long total = 0;
        for (Step st : s.getStepsList()) {
            total += instances(st);
        }
        return total <= ScenarioDriver.MAX_STEPS;
    }

    static void countsStayWithinMaxSteps(Scenario s, Report r) {
        long total = 0;
        for (int i = 0; i < s.getStepsCount(); i++) {
            Step st = s.getSteps(i);
            long n = instances(st);
            total += n;
            if (total > ScenarioDriver.MAX_STEPS) {
                String field = st.hasFile() ? ".file.count" : ".xl_create.count";
                String value = Long.toString(n);
                long room = ScenarioDriver.MAX_STEPS - (total - n);
                r.reject("steps[" + i + "]" + (n > 1 ? field : ""), "at most " + String.format(Locale.ROOT, "%,d", ScenarioDriver.MAX_STEPS)
                        + " steps once counts are expanded (" + (total - n) + " before this one, so a count of at most "
                        + Math.max(0, room) + " here)", value);
                return;
            }
        }
    }

    static void cpusWithinXenLimits(Scenario s, Report r) {
        int nrCpus = s.getPlatform().getNrCpus();
        if (Integer.compareUnsigned(nrCpus, XEN_NR_CPUS) > 0) {
            r.reject("platform.nr_cpus", "0 (the default) to " + XEN_NR_CPUS + " (Xen 4.10's NR_CPUS)", Integer.toUnsignedString(nrCpus));
        }
        for (int i = 0; i < s.getStepsCount(); i++) {
            if (!s.getSteps(i).hasXlCreate()) continue;
            int hotplugSlots = s.getSteps(i).getXlCreate().getDomain().getHotplugSlots();
            if (Integer.compareUnsigned(hotplugSlots, MAX_HOTPLUG_SLOTS) > 0) {
                r.reject("steps[" + i + "].xl_create.domain.hotplug_slots", "0 to " + MAX_HOTPLUG_SLOTS + " (QEMU's ACPI_MAX_RAM_SLOTS)",
                        Integer.toUnsignedString(hotplugSlots));
            }
            int vcpus = s.getSteps(i).getXlCreate().getDomain().getVcpus();
            if (Integer.compareUnsigned(vcpus, HVM_MAX_VCPUS) > 0) {
                r.reject("steps[" + i + "].xl_create.domain.vcpus", "0 (one vCPU) to " + HVM_MAX_VCPUS
                        + " (HVM_MAX_VCPUS: XEN_DOMCTL_max_vcpus refuses more with -EINVAL)", Integer.toUnsignedString(vcpus));
            }
        }
    }

    /** One created domain: where it was written, and which instance of a count it is. */
    private record Created(int step, long instance, long count) {
        String describe(Report r, String field) {
            return "steps[" + step + "]" + (count > 1 ? " (instance " + instance + " of count " + count + ")" : "")
                    + r.at("steps[" + step + "].xl_create.domain." + field);
        }
    }

    /**
     * libxl refuses a second domain with a name in use ("domain with name ... already exists"), and
     * Xen a domid in use (-EEXIST) or reserved (-EINVAL). xl reads an all-digit name as a domid, and a
     * '/' would split the name's xenstore path.
     */
    static void domainsAreDistinct(Scenario s, Report r) {
        if (!expandable(s)) return;
        Map<String, Created> names = new HashMap<>();
        Map<Integer, Created> domids = new HashMap<>();
        for (int i = 0; i < s.getStepsCount(); i++) {
            Step st = s.getSteps(i);
            if (st.hasPowerCycle()) {
                // The domains died with the power: their names and domids are free again.
                names.clear();
                domids.clear();
            }
            if (!st.hasXlCreate()) continue;
            DomainConfig d = st.getXlCreate().getDomain();
            String p = "steps[" + i + "].xl_create.domain";
            long n = instances(st);
            int domid = d.getDomid();
            if (Integer.compareUnsigned(domid, DOMID_FIRST_RESERVED) >= 0) {
                r.reject(p + ".domid", "0 (Xen picks) or 1 to " + (DOMID_FIRST_RESERVED - 1)
                        + " (from DOMID_FIRST_RESERVED 0x7ff0 on, domids are Xen's own)", Integer.toUnsignedString(domid));
            } else if (domid != 0 && n == 1) {
                Created first = domids.putIfAbsent(domid, new Created(i, 1, 1));
                if (first != null) {
                    r.reject(p + ".domid", "a domid no other domain has (Xen refuses a domid in use with -EEXIST: "
                            + first.describe(r, "domid") + " already creates domain " + domid + ")", Integer.toString(domid));
                }
            }
            if (d.getName().isEmpty()) continue; // reported by stepsAreComplete
            for (long k = 1; k <= n; k++) {
                String name = d.getName().replace("%d", Long.toString(k));
                String what = n > 1 ? "a name that, with %d replaced by " + k + ", is " : "a domain name ";
                if (name.contains("/")) {
                    r.reject(p + ".name", what + "without '/' (it names the domain's xenstore entries)", d.getName());
                    break;
                }
                if (name.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    r.reject(p + ".name", what + "not all digits (xl reads a number as a domid)"
                            + (n > 1 ? ", e.g. vm%d" : ""), d.getName());
                    break;
                }
                Created first = names.putIfAbsent(name, new Created(i, k, n));
                if (first != null && (first.step() != i)) {
                    r.reject(p + ".name", "a name no other domain has (libxl: domain with name \"" + name + "\" already exists: "
                            + first.describe(r, "name") + ")", d.getName());
                    break;
                }
            }
        }
    }

    /**
     * QEMU refuses an nvdimm whose backend, less its label area and aligned down to the backend's
     * alignment, leaves nothing (hw/mem/nvdimm.c). xl passes a file's size and align=2M when the size
     * is a multiple of 2 MiB, so a vNVDIMM whose file an earlier `file` step makes is checked by
     * QEMU's own option parser, as the device model would be started.
     */
    static void backingFilesHoldLabelsAndData(Scenario s, Report r) {
        if (!expandable(s)) return;
        Map<String, long[]> sizes = new HashMap<>(); // path -> {size, step}
        for (int i = 0; i < s.getStepsCount(); i++) {
            Step st = s.getSteps(i);
            long n = instances(st);
            if (st.hasFile()) {
                for (long k = 1; k <= n; k++) {
                    sizes.put(st.getFile().getPath().replace("%d", Long.toString(k)), new long[] {st.getFile().getSizeBytes(), i});
                }
                continue;
            }
            if (!st.hasXlCreate()) continue;
            DomainConfig d = st.getXlCreate().getDomain();
            if (d.getVnvdimmsCount() > org.vnvdimm.qemu.acpi.QemuOptions.MAX_RAM_SLOTS) continue; // reported by vnvdimmsFitQemusSlots
            for (int v = 0; v < d.getVnvdimmsCount(); v++) {
                VnvdimmConfig vn = d.getVnvdimms(v);
                String vp = "steps[" + i + "].xl_create.domain.vnvdimms[" + v + "]";
                // Without %d every instance uses the same file: one check is enough.
                long instances = vn.getFile().contains("%d") ? n : 1;
                for (long k = 1; k <= instances; k++) {
                    String path = vn.getFile().replace("%d", Long.toString(k));
                    long[] made = sizes.get(path);
                    if (made == null || made[0] == 0) continue; // not made by a step: the run says ENOENT
                    String refusal = qemuRefusesBackend(path, made[0], vn.getLabelBytes(), v + 1);
                    if (refusal != null) {
                        String fileStep = "steps[" + made[1] + "]" + r.at("steps[" + made[1] + "].file.size_bytes");
                        r.reject(vp + ".file", "a backing file larger than its label area plus QEMU's alignment (" + fileStep
                                + " makes " + path + " " + Long.toUnsignedString(made[0]) + " bytes; " + refusal + ")", vn.getFile());
                        break;
                    }
                }
            }
        }
    }

    /** xl gives QEMU one memory slot per vNVDIMM, and QEMU refuses more than ACPI_MAX_RAM_SLOTS. */
    static void vnvdimmsFitQemusSlots(Scenario s, Report r) {
        int max = org.vnvdimm.qemu.acpi.QemuOptions.MAX_RAM_SLOTS;
        for (int i = 0; i < s.getStepsCount(); i++) {
            if (!s.getSteps(i).hasXlCreate()) continue;
            int n = s.getSteps(i).getXlCreate().getDomain().getVnvdimmsCount();
            if (n > max) {
                r.rejectAs("steps[" + i + "].xl_create.domain.vnvdimms[" + max + "]", "at most " + max
                        + " vNVDIMMs in a domain (qemu-system-i386: unsupported amount of memory slots: " + n + "; ACPI_MAX_RAM_SLOTS is "
                        + max + ")", "a " + (max + 1) + "th");
            }
        }
    }

    /** QEMU's refusal of this backend for an nvdimm with this label area, or null if it accepts it. */
    static String qemuRefusesBackend(String path, long sizeBytes, long labelBytes, int index) {
        long align = sizeBytes % BACKING_ALIGN_2M == 0 ? BACKING_ALIGN_2M : PAGE_BYTES;
        // hw/mem/nvdimm.c: ALIGN_DOWN(size - label-size, align) must leave something.
        if (labelBytes == 0 || Long.compareUnsigned(sizeBytes, labelBytes) > 0
                && Long.compareUnsigned(sizeBytes - labelBytes, align) >= 0) {
            return null;
        }
        String probe = "-machine xenfv,nvdimm=on -m 16M,slots=1,maxmem=" + (16 + (((sizeBytes >>> 20) + 1024) & ~1023L)) + "M"
                + " -object memory-backend-file,id=mem" + index + ",mem-path=" + path + ",size=" + Long.toUnsignedString(sizeBytes)
                + ",share=on" + (align == BACKING_ALIGN_2M ? ",align=2M" : "")
                + " -device nvdimm,id=xen_nvdimm" + index + ",memdev=mem" + index + ",label-size=" + Long.toUnsignedString(labelBytes);
        try {
            org.vnvdimm.qemu.acpi.QemuOptions.parse(probe);
        } catch (org.vnvdimm.qemu.acpi.QemuOptionException ex) {
            if (ex.getMessage().contains("too small")) {
                return "qemu-system-i386: " + ex.getMessage(); // QEMU's own words, from the option parser
            }
        }
        // The parser stopped elsewhere (or not at all): QEMU's message, as hw/mem/nvdimm.c words it.
        return "qemu-system-i386: -device nvdimm,id=xen_nvdimm" + index + ",memdev=mem" + index + ",label-size=" + Long.toUnsignedString(labelBytes)
                + ": the size of memdev mem" + index + " (" + hex(sizeBytes) + ") is too small to contain nvdimm label ("
                + hex(labelBytes) + ") and aligned PMEM (" + hex(align) + ")";
    }

    /**
     * A domain's qemu options must be accepted by the same option parser `vnvdimm acpi --qemu` uses,
     * as the device model would see them under xl (machine xenfv, the domain's memory, spare slots).
     */
    static void qemuOptionsParse(Scenario s, Report r) {
        for (int i = 0; i < s.getStepsCount(); i++) {
            Step st = s.getSteps(i);
            if (!st.hasXlCreate() || st.getXlCreate().getDomain().getQemu().isBlank()) continue;
            DomainConfig d = st.getXlCreate().getDomain();
            long memMiB = Math.max(16, d.getMemoryBytes() >>> 20);
            // Room for any slot number and device sizes (256 GiB more than the domain's memory).
            String probe = "-machine xenfv,nvdimm=on -m " + memMiB + "M,slots=256,maxmem=" + (memMiB + (256L << 10)) + "M " + d.getQemu();
            try {
                org.vnvdimm.qemu.acpi.QemuOptions.parse(probe);
            } catch (org.vnvdimm.qemu.acpi.QemuOptionException ex) {
                r.reject("steps[" + i + "].xl_create.domain.qemu", "QEMU options QEMU accepts (" + ex.getMessage() + ")", d.getQemu());
            }
        }
    }

    static void ramIsUsable(Scenario s, Report r) {
        long ram = s.getPlatform().getRamBytes();
        if (Long.compareUnsigned(ram, MIN_RAM_BYTES) < 0 || ram % PAGE_BYTES != 0) {
            r.reject("platform.ram_bytes", "a size of at least 64 MiB (" + MIN_RAM_BYTES + " bytes) and a multiple of "
                    + PAGE_BYTES, u64(ram));
        }
    }

    static void dimmsAreWellFormed(Scenario s, Report r) {
        List<DimmConfig> dimms = s.getPlatform().getDimmsList();
        if (dimms.isEmpty()) {
            r.rejectAs("platform.dimms", "at least one DIMM", r.given("platform.dimms") ? "an empty sequence" : "nothing");
            return;
        }
        Map<Integer, Integer> firstWithHandle = new HashMap<>();
        for (int i = 0; i < dimms.size(); i++) {
            DimmConfig d = dimms.get(i);
            String p = "platform.dimms[" + i + "]";
            if (d.getSizeBytes() == 0 || Long.remainderUnsigned(d.getSizeBytes(), DIMM_ALIGN_BYTES) != 0) {
                r.reject(p + ".size_bytes", "a non-zero multiple of 2 MiB (" + DIMM_ALIGN_BYTES + " bytes)", u64(d.getSizeBytes()));
            }
            labelArea(r, p + ".label_bytes", d.getLabelBytes());
            Integer first = firstWithHandle.putIfAbsent(d.getHandle(), i);
            if (first != null) {
                r.reject(p + ".handle", "a handle no other DIMM uses (platform.dimms[" + first + "]" + r.at("platform.dimms["
                        + first + "].handle") + " already has " + Integer.toUnsignedString(d.getHandle()) + ")",
                        Integer.toUnsignedString(d.getHandle()));
            }
            long spa = d.getSpa();
            if (spa == 0) {
                continue; // placed by the platform after RAM
            }
            if (spa % PAGE_BYTES != 0) {
                r.reject(p + ".spa", "a page-aligned address (a multiple of " + PAGE_BYTES + ")", hex(spa));
                continue;
            }
            long end = spa + d.getSizeBytes();
            if (Long.compareUnsigned(end, spa) < 0) {
                r.reject(p + ".spa", "an address that leaves room for size_bytes below 2^64", hex(spa));
                continue;
            }
            for (int j = 0; j < i; j++) {
                DimmConfig o = dimms.get(j);
                long oEnd = o.getSpa() + o.getSizeBytes();
                if (o.getSpa() == 0 || o.getSpa() % PAGE_BYTES != 0 || Long.compareUnsigned(oEnd, o.getSpa()) < 0) {
                    continue; // not explicitly placed, or already reported
                }
                if (Long.compareUnsigned(spa, oEnd) < 0 && Long.compareUnsigned(o.getSpa(), end) < 0) {
                    r.reject(p + ".spa", "a range not overlapping platform.dimms[" + j + "] ([" + hex(o.getSpa()) + ", "
                            + hex(oEnd) + "))", hex(spa));
                    break;
                }
            }
        }
    }

    static void stepsAreComplete(Scenario s, Report r) {
        if (s.getStepsCount() == 0) {
            r.rejectAs("steps", "at least one step", r.given("steps") ? "an empty sequence" : "nothing");
            return;
        }
        for (int i = 0; i < s.getStepsCount(); i++) stepIsComplete(r, "steps[" + i + "]", s.getSteps(i), false);
    }

    /** One step's required fields; inside `concurrently` (nested) no count and no nesting. */
    private static void stepIsComplete(Report r, String p, Step step, boolean nested) {
        switch (step.getActionCase()) {
            case CONCURRENTLY: {
                if (nested) {
                    r.rejectAs(p + ".concurrently", "a step that is not itself concurrently", "a nested concurrently");
                    return;
                }
                List<Step> together = step.getConcurrently().getStepsList();
                if (together.size() < 2) {
                    r.rejectAs(p + ".concurrently", "a list of at least two steps", together.size() + " step(s)");
                }
                for (int k = 0; k < together.size(); k++) {
                    Step t = together.get(k);
                    String tp = p + ".concurrently[" + k + "]";
                    if (Long.compareUnsigned(instances(t), 1) > 0) r.rejectAs(tp, "a step without count (a concurrently step runs each once)", "a count");
                    if (t.getActionCase() == Step.ActionCase.POWER_ON) r.rejectAs(tp, "a step other than power_on", "power_on");
                    if (t.getActionCase() == Step.ActionCase.POWER_CYCLE) r.rejectAs(tp, "a step other than power_cycle", "power_cycle");
                    stepIsComplete(r, tp, t, true);
                }
                return;
            }
            case HOTPLUG_DIMM:
                if (step.getHotplugDimm().getSizeBytes() == 0 || step.getHotplugDimm().getSizeBytes() % (2L << 20) != 0) {
                    r.reject(p + ".hotplug_dimm.size_bytes", "a multiple of 2 MiB above 0", u64(step.getHotplugDimm().getSizeBytes()));
                }
                return;
            case NVDIMM_HOTPLUG:
                r.required(p + ".nvdimm_hotplug.domain", step.getNvdimmHotplug().getDomain(), "a domain name");
                if (step.getNvdimmHotplug().getType().isEmpty()) {   // type mfn: checked by stepsBelongToTheProfile
                    r.absolutePath(p + ".nvdimm_hotplug.file", step.getNvdimmHotplug().getFile());
                    labelArea(r, p + ".nvdimm_hotplug.label_bytes", step.getNvdimmHotplug().getLabelBytes());
                }
                return;
            case NVDIMM_UNPLUG:
                r.required(p + ".nvdimm_unplug.domain", step.getNvdimmUnplug().getDomain(), "a domain name");
                return;
            case FS: {
                org.vnvdimm.proto.FsStep f = step.getFs();
                if (!FS_OPS.contains(f.getOp())) r.reject(p + ".fs.op", "one of " + String.join(", ", FS_OPS), f.getOp());
                r.absolutePath(p + ".fs.path", f.getPath());
                if (f.getOp().equals("reflink")) r.absolutePath(p + ".fs.to", f.getTo());
                else if (!f.getTo().isEmpty()) r.reject(p + ".fs.to", "no `to` (only reflink names a second file)", f.getTo());
                if ((f.getOp().equals("write") || f.getOp().equals("extend")) && f.getLengthBytes() == 0) {
                    r.reject(p + ".fs.length_bytes", "a length above 0 for " + f.getOp(), u64(f.getLengthBytes()));
                }
                if (f.getOp().equals("write") && Long.compareUnsigned(f.getLengthBytes(), MAX_IO_BYTES) > 0) {
                    r.reject(p + ".fs.length_bytes", "at most 64 MiB for a write", u64(f.getLengthBytes()));
                }
                return;
            }
            case GUEST_IO: {
                org.vnvdimm.proto.GuestIoStep g = step.getGuestIo();
                r.required(p + ".guest_io.domain", g.getDomain(), "a domain name");
                if (!GUEST_IO_OPS.contains(g.getOp())) r.reject(p + ".guest_io.op", "one of " + String.join(", ", GUEST_IO_OPS), g.getOp());
                if (g.getLengthBytes() == 0 || Long.compareUnsigned(g.getLengthBytes(), MAX_IO_BYTES) > 0) {
                    r.reject(p + ".guest_io.length_bytes", "a length from 1 byte to 64 MiB", u64(g.getLengthBytes()));
                }
                r.oneOfOrEmpty(p + ".guest_io.via", g.getVia(), GUEST_IO_VIAS);
                if (g.getVia().equals("dma") && !g.getOp().equals("write")) {
                    r.reject(p + ".guest_io.op", "write with via: dma (the device writes into the guest)", g.getOp());
                }
                return;
            }
            default:
                break;
        }
        switch (step.getActionCase()) {
            case NDCTL:
                r.required(p + ".ndctl.region", step.getNdctl().getRegion(), "a region name such as region0");
                r.oneOfOrEmpty(p + ".ndctl.mode", step.getNdctl().getMode(), NAMESPACE_MODES);
                r.oneOfOrEmpty(p + ".ndctl.map", step.getNdctl().getMap(), PFN_MAPS);
                break;
            case MKFS: {
                Mkfs m = step.getMkfs();
                r.required(p + ".mkfs.dev", m.getDev(), "a device such as /dev/pmem0");
                if (!FILESYSTEMS.contains(m.getType())) {
                    r.reject(p + ".mkfs.type", "one of " + String.join(", ", FILESYSTEMS), m.getType());
                }
                r.required(p + ".mkfs.mount", m.getMount(), "a mount point such as /mnt/pmem0");
                break;
            }
            case FILE: {
                CreateFile f = step.getFile();
                r.absolutePath(p + ".file.path", f.getPath());
                if (f.getSizeBytes() == 0) {
                    r.reject(p + ".file.size_bytes", "a size above 0", u64(f.getSizeBytes()));
                }
                long ext = f.getExtentSizeBytes();
                if (ext != 0 && (ext % PAGE_BYTES != 0 || Long.compareUnsigned(ext, MAX_EXTSIZE_BYTES) > 0)) {
                    // XFS: a multiple of the 4 KiB block size, at most MAXEXTLEN (2^21) blocks.
                    r.reject(p + ".file.extent_size_bytes", "0 or a multiple of 4 KiB up to 8 GiB (XFS's MAXEXTLEN of 2^21 blocks)", u64(ext));
                } else if (ext != 0 && f.getSizeBytes() != 0 && Long.remainderUnsigned(f.getSizeBytes(), ext) != 0) {
                    r.reject(p + ".file.size_bytes", "a multiple of extent_size_bytes (" + u64(ext) + ")", u64(f.getSizeBytes()));
                }
                break;
            }
            case XL_CREATE:
                domainIsComplete(r, p + ".xl_create.domain", step.getXlCreate().getDomain());
                break;
            case PMEM_SETUP: {
                XlPmemSetup ps = step.getPmemSetup();
                boolean explicit = ps.getMgmtEmfn() > ps.getMgmtSmfn() && ps.getDataEmfn() > ps.getDataSmfn();
                if (ps.getFromNamespace().isEmpty() && !explicit) {
                    r.rejectAs(p + ".pmem_setup", "from_namespace, or mgmt_smfn < mgmt_emfn and data_smfn < data_emfn",
                            "neither");
                }
                break;
            }
            case POWER_ON:
            case POWER_CYCLE:
                break; // no fields
            case MOUNT: {
                Mkfs m = step.getMount();
                r.required(p + ".mount.dev", m.getDev(), "a device such as /dev/pmem0");
                if (!FILESYSTEMS.contains(m.getType())) r.reject(p + ".mount.type", "one of " + String.join(", ", FILESYSTEMS), m.getType());
                r.required(p + ".mount.mount", m.getMount(), "a mount point such as /mnt/pmem0");
                if (m.getFragment() != 0) r.reject(p + ".mount.fragment", "no fragment (mount keeps the filesystem as it is)", Integer.toUnsignedString(m.getFragment()));
                break;
            }
            case ACTION_NOT_SET:
            default:
                r.rejectAs(p, "a step with exactly one of the keys " + Step.getDescriptor().getFields().stream()
                        .map(f -> f.getName()).collect(Collectors.joining(", ")), "nothing");
                break;
        }
    }

    private static void domainIsComplete(Report r, String p, DomainConfig d) {
        r.required(p + ".name", d.getName(), "a domain name");
        if (Long.compareUnsigned(d.getMemoryBytes(), MIN_DOMAIN_MEMORY_BYTES) < 0) {
            r.reject(p + ".memory_bytes", "a size of at least 16 MiB (" + MIN_DOMAIN_MEMORY_BYTES + " bytes)", u64(d.getMemoryBytes()));
        }
        for (int k = 0; k < d.getVnvdimmsCount(); k++) {
            VnvdimmConfig v = d.getVnvdimms(k);
            String vp = p + ".vnvdimms[" + k + "]";
            if (v.getType().equals("mfn")) continue;   // rfc-v4: checked by stepsBelongToTheProfile
            r.absolutePath(vp + ".file", v.getFile());
            labelArea(r, vp + ".label_bytes", v.getLabelBytes());
            if (v.getSlot() < -1) {
                r.reject(vp + ".slot", "a slot of -1 (QEMU chooses) or more", Integer.toString(v.getSlot()));
            }
        }
    }

    /**
     * A hot-added DIMM takes a device handle no boot DIMM and no earlier hot-added one has (the
     * platform would not add it), and an explicit spa is page aligned. Overlaps with explicit
     * placements are left to the platform, which refuses the DIMM with a log line and no Notify.
     */
    static void hotAddedDimmsAreNew(Scenario s, Report r) {
        Map<Integer, String> owner = new HashMap<>();
        for (int i = 0; i < s.getPlatform().getDimmsCount(); i++) owner.putIfAbsent(s.getPlatform().getDimms(i).getHandle(), "platform.dimms[" + i + "]");
        for (int i = 0; i < s.getStepsCount(); i++) {
            Step st = s.getSteps(i);
            List<Step> group = st.hasConcurrently() ? st.getConcurrently().getStepsList() : List.of(st);
            for (int k = 0; k < group.size(); k++) {
                if (!group.get(k).hasHotplugDimm()) continue;
                HotplugDimm h = group.get(k).getHotplugDimm();
                String p = "steps[" + i + "]" + (st.hasConcurrently() ? ".concurrently[" + k + "]" : "") + ".hotplug_dimm";
                String first = owner.putIfAbsent(h.getHandle(), p);
                if (first != null) {
                    r.reject(p + ".handle", "a handle no other DIMM uses (" + first + r.at(first + ".handle") + " already has "
                            + Integer.toUnsignedString(h.getHandle()) + ")", Integer.toUnsignedString(h.getHandle()));
                }
                if (Long.remainderUnsigned(h.getSpa(), PAGE_BYTES) != 0) r.reject(p + ".spa", "0 or a page-aligned address (a multiple of " + PAGE_BYTES + ")", hex(h.getSpa()));
                labelArea(r, p + ".label_bytes", h.getLabelBytes());
            }
        }
    }

    static void expectedViolationsAreOracles(Scenario s, Report r) {
        List<String> names = s.getExpect().getViolationsList();
        for (int i = 0; i < names.size(); i++) {
            if (!ORACLES.contains(names.get(i))) {
                r.reject("expect.violations[" + i + "]", "an oracle name, one of " + String.join(", ", ORACLES), names.get(i));
            }
        }
    }

    static void expectedStepFailuresAreWellFormed(Scenario s, Report r) {
        List<ExpectedStepFailure> failures = s.getExpect().getStepFailuresList();
        Map<Integer, Integer> firstForStep = new HashMap<>();
        for (int i = 0; i < failures.size(); i++) {
            ExpectedStepFailure f = failures.get(i);
            String p = "expect.step_failures[" + i + "]";
            if (f.getStep() == 0 || Integer.compareUnsigned(f.getStep(), s.getStepsCount()) > 0) {
                r.reject(p + ".step", "a step number from 1 to " + s.getStepsCount() + " (as listed under steps:)",
                        f.getStep() == 0 ? null : Integer.toUnsignedString(f.getStep()));
            } else {
                Integer first = firstForStep.putIfAbsent(f.getStep(), i);
                if (first != null) {
                    r.reject(p + ".step", "each step once (expect.step_failures[" + first + "]" + r.at("expect.step_failures["
                            + first + "].step") + " already names step " + f.getStep() + ")", Integer.toString(f.getStep()));
                }
            }
            boolean known = false;
            for (Errno e : Errno.values()) known |= e.name().equals(f.getErrno());
            if (!known) {
                r.reject(p + ".errno", "an errno name, one of " + java.util.Arrays.stream(Errno.values()).map(Errno::name)
                        .collect(Collectors.joining(", ")), f.getErrno());
            }
        }
    }

    /** Roles a fault may name: the components, qemu-N / guest-N, and '*' patterns (qemu-*, *). */
    static final Pattern FAULT_ROLE = Pattern.compile("\\*|xen|dom0|xl|xenstored|platform|admin|(qemu|guest)-([1-9][0-9]{0,4}|\\*)");
    /** Roles that can crash: Dom0's programs and kernel, a device model, a guest kernel. */
    static final Pattern CRASH_ROLE = Pattern.compile("dom0|xl|xenstored|(qemu|guest)-[1-9][0-9]{0,4}");
    static final List<String> XS_TYPES = List.of("XS_DIRECTORY", "XS_READ", "XS_WATCH", "XS_UNWATCH", "XS_WRITE", "XS_MKDIR", "XS_RM");

    static boolean knownMessage(String name) {
        return org.vnvdimm.sim.fault.MessageNames.HYPERCALLS.contains(name) || XS_TYPES.contains(name)
                || org.vnvdimm.sim.fault.MessageNames.kinds().contains(name);
    }

    static final String MESSAGE_NAMES = "a hypercall (XEN_DOMCTL_memory_mapping, ...), a xenstore request (XS_WRITE, ...) or a message kind"
            + " (ioreq, hypercall_ret, xs_watch_event, ...; README \"Fault injection\")";

    static void faultsAreWellFormed(Scenario s, Report r) {
        for (int i = 0; i < s.getFaultsCount(); i++) {
            org.vnvdimm.proto.Fault f = s.getFaults(i);
            String p = "faults[" + i + "]";
            switch (f.getKindCase()) {
                case HYPERCALL_ERROR -> {
                    var h = f.getHypercallError();
                    if (!org.vnvdimm.sim.fault.MessageNames.HYPERCALLS.contains(h.getHypercall())) {
                        r.reject(p + ".hypercall_error.hypercall", "one of " + String.join(", ", org.vnvdimm.sim.fault.MessageNames.HYPERCALLS), h.getHypercall());
                    }
                    errnoName(r, p + ".hypercall_error.errno", h.getErrno());
                    if (!h.getCaller().isEmpty() && !FAULT_ROLE.matcher(h.getCaller()).matches()) {
                        r.reject(p + ".hypercall_error.caller", "a role (dom0, xl, xenstored, qemu-N, guest-N, qemu-*)", h.getCaller());
                    }
                }
                case CRASH -> {
                    var c = f.getCrash();
                    if (!CRASH_ROLE.matcher(c.getRole()).matches()) {
                        r.reject(p + ".crash.role", "a role that can crash: dom0 (the host goes down), xl, xenstored, qemu-N or guest-N", c.getRole());
                    }
                    boolean after = c.getAfterStep() != 0, on = !c.getOnMessage().isEmpty();
                    if (after == on) {
                        r.rejectAs(p + ".crash", "exactly one trigger: after_step or on_message (with nth)", after ? "both" : "neither");
                    }
                    if (after && Integer.compareUnsigned(c.getAfterStep(), s.getStepsCount()) > 0) {
                        r.reject(p + ".crash.after_step", "a step number from 1 to " + s.getStepsCount(), Integer.toUnsignedString(c.getAfterStep()));
                    }
                    if (on && !knownMessage(c.getOnMessage())) r.reject(p + ".crash.on_message", MESSAGE_NAMES, c.getOnMessage());
                    if (after && c.getNth() != 0) r.reject(p + ".crash.nth", "no nth with after_step (nth counts on_message)", Integer.toUnsignedString(c.getNth()));
                    if (c.getRestart() && !c.getRole().equals("xenstored")) {
                        r.reject(p + ".crash.restart", "false for " + c.getRole() + ": in Xen 4.10 only xenstored can be started again"
                                + " (libxl does not restart a device model; a guest's on_crash and Dom0's reboot are not modelled)", "true");
                    }
                }
                case DROP -> link(r, p + ".drop", f.getDrop().getFrom(), f.getDrop().getTo(), f.getDrop().getMessage(), f.getDrop().getNth(), f.getDrop().getProbability());
                case DUPLICATE -> link(r, p + ".duplicate", f.getDuplicate().getFrom(), f.getDuplicate().getTo(), f.getDuplicate().getMessage(),
                        f.getDuplicate().getNth(), f.getDuplicate().getProbability());
                case REORDER -> link(r, p + ".reorder", f.getReorder().getFrom(), f.getReorder().getTo(), f.getReorder().getMessage(),
                        f.getReorder().getNth(), f.getReorder().getProbability());
                case DELAY -> {
                    var d = f.getDelay();
                    link(r, p + ".delay", d.getFrom(), d.getTo(), d.getMessage(), d.getNth(), d.getProbability());
                    if (d.getNs() == 0) r.reject(p + ".delay.ns", "a delay in nanoseconds of virtual time above 0", null);
                }
                case POWER_CYCLE -> {
                    var c = f.getPowerCycle();
                    boolean after = c.getAfterStep() != 0, at = c.getAtSeq() != 0;
                    if (after == at) r.rejectAs(p + ".power_cycle", "exactly one trigger: after_step or at_seq", after ? "both" : "neither");
                    if (after && Integer.compareUnsigned(c.getAfterStep(), s.getStepsCount()) > 0) {
                        r.reject(p + ".power_cycle.after_step", "a step number from 1 to " + s.getStepsCount(), Integer.toUnsignedString(c.getAfterStep()));
                    }
                }
                case KIND_NOT_SET -> r.rejectAs(p, "one of hypercall_error, crash, drop, duplicate, delay, reorder, power_cycle", "nothing");
            }
        }
    }

    private static void link(Report r, String p, String from, String to, String message, int nth, double probability) {
        if (!FAULT_ROLE.matcher(from).matches()) r.reject(p + ".from", "a role (xen, dom0, xl, xenstored, platform, qemu-N, guest-N, qemu-*, *)", from);
        if (!FAULT_ROLE.matcher(to).matches()) r.reject(p + ".to", "a role (xen, dom0, xl, xenstored, platform, qemu-N, guest-N, qemu-*, *)", to);
        if (!message.isEmpty() && !knownMessage(message)) r.reject(p + ".message", MESSAGE_NAMES, message);
        if (!(probability >= 0 && probability <= 1)) r.reject(p + ".probability", "a probability from 0 to 1", Double.toString(probability));
        if (probability > 0 && nth != 0) r.rejectAs(p, "nth or probability, not both", "both");
    }

    private static void errnoName(Report r, String path, String errno) {
        boolean known = false;
        for (Errno e : Errno.values()) known |= e.name().equals(errno);
        if (!known) {
            r.reject(path, "an errno name, one of " + java.util.Arrays.stream(Errno.values()).map(Errno::name).collect(Collectors.joining(", ")), errno);
        }
    }

    static void deliveryLimitIsUsable(Scenario s, Report r) {
        long max = s.getLimits().getMaxDeliveries();
        if (max != 0 && Long.compareUnsigned(max, MIN_MAX_DELIVERIES) < 0) {
            r.reject("limits.max_deliveries", "at least " + MIN_MAX_DELIVERIES + " (or leave it out for no limit)", u64(max));
        }
    }

    private static void labelArea(Report r, String path, long labelBytes) {
        if (labelBytes != 0 && Long.compareUnsigned(labelBytes, MIN_LABEL_BYTES) < 0) {
            r.reject(path, "0 (no label area) or at least 128 KiB (" + MIN_LABEL_BYTES + " bytes)", u64(labelBytes));
        }
    }

    /** An unset (zero) uint64 reads as "nothing". */
    private static String u64(long value) {
        return value == 0 ? null : Long.toUnsignedString(value);
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    // ---------------------------------------------------------------- collecting findings

    /** Collects rejections with their positions; a rule calls it once per rejected value. */
    static final class Report {
        private final SourceMap where;
        private final List<ScenarioException> found = new ArrayList<>();

        Report(SourceMap where) {
            this.where = where;
        }

        boolean given(String path) {
            return where.given(path);
        }

        /** " at line L, column C" of a value, or "" if its position is unknown. */
        String at(String path) {
            return where.exact(path).map(p -> " at line " + p.line() + ", column " + p.column()).orElse("");
        }

        /**
         * Rejects the value at {@code path}. GOT is the value as written in the file if it was; else
         * {@code value} quoted, or "nothing" when {@code value} is null or empty (left out).
         */
        void reject(String path, String expected, String value) {
            String got = where.exact(path).map(SourceMap.Position::text)
                    .map(YamlProtoReader::quote)
                    .orElse(value == null || value.isEmpty() ? "nothing" : YamlProtoReader.quote(value));
            rejectAs(path, expected, got);
        }

        void rejectAs(String path, String expected, String got) {
            SourceMap.Position at = where.nearest(path).orElse(new SourceMap.Position(0, 0, null));
            found.add(new ScenarioException(where.sourceName(), at.line(), at.column(), path, expected, got));
        }

        void oneOfOrEmpty(String path, String value, List<String> allowed) {
            if (!value.isEmpty() && !allowed.contains(value)) {
                reject(path, "one of " + String.join(", ", allowed) + " (or leave it out)", value);
            }
        }

        void required(String path, String value, String expected) {
            if (value.isEmpty()) {
                reject(path, expected, value);
            }
        }

        void absolutePath(String path, String value) {
            // Paths name files inside the simulated Linux hosts, so "absolute" is the POSIX rule.
            if (!value.startsWith("/")) {
                reject(path, "an absolute path (starting with '/')", value);
            }
        }

        void throwIfAny() throws ScenarioException {
            if (found.isEmpty()) {
                return;
            }
            // Earliest in the file first; equal positions keep rule order (the sort is stable).
            List<ScenarioException> sorted = new ArrayList<>(found);
            sorted.sort(Comparator.comparingInt(ScenarioException::line).thenComparingInt(ScenarioException::column));
            throw sorted.get(0).withAdditional(sorted.subList(1, sorted.size()));
        }
    }
}
