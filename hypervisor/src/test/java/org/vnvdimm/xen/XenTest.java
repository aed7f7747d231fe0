package org.vnvdimm.xen;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.AcpiHeader;
import org.vnvdimm.acpi.Guid;
import org.vnvdimm.acpi.NfitMemoryDeviceMap;
import org.vnvdimm.acpi.NfitSpaRange;
import org.vnvdimm.acpi.NfitWriter;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.*;

/** Xen's hypercall handlers: argument checks first, then rights, then state, with Xen's errnos. */
class XenTest {
    static ActorTestKit kit;
    Harness xen;

    static final long PMEM_SPA = 0x280000000L;          // MFN 0x280000
    static final long PMEM_BYTES = 16L << 30;            // 0x400000 pages
    static final long S = PMEM_SPA >>> 12, E = (PMEM_SPA + PMEM_BYTES) >>> 12;

    @BeforeAll static void up() { kit = ActorTestKit.create("XenTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    @BeforeEach
    void boot() {
        xen = new Harness(kit, Roles.XEN, w -> Xen.create(w, Xen.Config.of(Design.getDefaultInstance())));
        StepResult r = xen.deliver(Roles.PLATFORM, Envelope.newBuilder().setFirmwareHandoff(handoff()));
        Envelope start = Harness.first(r, e -> e.hasDomainStart());
        assertEquals(Roles.DOM0, start.getTo());
        assertEquals("NFIT", start.getDomainStart().getAcpiTables(0).getSignature());
        assertTrue(r.getObservedList().stream().anyMatch(o -> o.hasPmemArea() && o.getPmemArea().getKind() == PmemArea.Kind.RAW
                && o.getPmemArea().getSmfn() == S && o.getPmemArea().getEmfn() == E), "Xen notes the E820 type-7 range");
        assertFalse(xen.logged("NFIT: PMEM"), "rfc-v1 Xen does not parse the NFIT");
        // Xen writes nothing to pmem at boot in the seeds' design.
        assertTrue(r.getSentList().stream().noneMatch(e -> e.hasMemAccess()));
    }

    static FirmwareHandoff handoff() {
        byte[] nfit = NfitWriter.writeTable(AcpiHeader.of("NFIT", 1, "TEST  ", "TESTNFIT", 1, "TEST", 1), List.of(
                new NfitSpaRange(1, NfitSpaRange.FLAG_PROXIMITY_DOMAIN_VALID, 0, Guid.PERSISTENT_MEMORY, PMEM_SPA, PMEM_BYTES, 0x8008),
                new NfitMemoryDeviceMap(1, 0, 0, 1, 1, PMEM_BYTES, 0, 0, 0, 1, 0)));
        return FirmwareHandoff.newBuilder()
                .addE820(E820Entry.newBuilder().setAddr(0).setSize(0x9fc00).setType(E820_RAM))
                .addE820(E820Entry.newBuilder().setAddr(0x100000).setSize((8L << 30) - 0x100000).setType(E820_RAM))
                .addE820(E820Entry.newBuilder().setAddr(PMEM_SPA).setSize(PMEM_BYTES).setType(E820_PMEM))
                .addAcpiTables(AcpiTableBlob.newBuilder().setSignature("NFIT").setData(ByteString.copyFrom(nfit)))
                .setPaddrBits(46).build();
    }

    // ---- helpers

    long call(String from, Envelope.Builder e) {
        return callRet(from, e).getRc();
    }

    /** Make a hypercall; answer the bus writes Xen waits for (its frame table) until it replies. */
    HypercallRet callRet(String from, Envelope.Builder e) {
        StepResult r = xen.deliver(from, e);
        while (r.getSentList().stream().noneMatch(Envelope::hasHypercallRet)) {
            Envelope w = Harness.first(r, x -> x.hasMemAccess() && x.getMemAccess().getReplyTo().equals(Roles.XEN));
            assertEquals(Roles.PLATFORM, w.getTo());
            r = xen.answer(w, Envelope.newBuilder().setMemAccessDone(MemAccessDone.newBuilder().setSpa(w.getMemAccess().getSpa())));
        }
        Envelope ret = Harness.first(r, x -> x.hasHypercallRet());
        assertEquals(from, ret.getTo());
        return ret.getHypercallRet();
    }

    static Envelope.Builder domctl(int cmd, int dom, Domctl.Builder d) {
        return Envelope.newBuilder().setDomctl(d.setCmd(cmd).setDomain(dom).setInterfaceVersion(XEN_DOMCTL_INTERFACE_VERSION));
    }

    static Envelope.Builder mapping(int dom, long gfn, long mfn, long nr, int add) {
        return domctl(XEN_DOMCTL_memory_mapping, dom, Domctl.newBuilder().setMemoryMapping(
                DomctlMemoryMapping.newBuilder().setFirstGfn(gfn).setFirstMfn(mfn).setNrMfns(nr).setAddMapping(add)));
    }

    static Envelope.Builder iomem(int dom, long mfn, long nr, boolean allow) {
        return domctl(XEN_DOMCTL_iomem_permission, dom, Domctl.newBuilder().setIomemPermission(
                DomctlIomemPermission.newBuilder().setFirstMfn(mfn).setNrMfns(nr).setAllowAccess(allow ? 1 : 0)));
    }

    static Envelope.Builder pmemAdd(long s, long e, long rs, long rt, long ds, long dt) {
        return Envelope.newBuilder().setPlatformOp(PlatformOp.newBuilder().setCmd(XENPF_pmem_add).setInterfaceVersion(XENPF_INTERFACE_VERSION)
                .setPmemAdd(XenpfPmemAdd.newBuilder().setSpfn(s).setEpfn(e).setRsvSpfn(rs).setRsvEpfn(rt).setDataSpfn(ds).setDataEpfn(dt)));
    }

    /** The rfc-v4 profile's Xen, booted with the same firmware. */
    StepResult bootV4() {
        xen = new Harness(kit, Roles.XEN, w -> Xen.create(w, Xen.Config.of(Design.newBuilder().setProfile("rfc-v4").build())));
        return xen.deliver(Roles.PLATFORM, Envelope.newBuilder().setFirmwareHandoff(handoff()));
    }

    static Envelope.Builder setup(int type, long s, long e, long ms, long me) {
        return Envelope.newBuilder().setSysctl(Sysctl.newBuilder().setCmd(XEN_SYSCTL_nvdimm_op).setInterfaceVersion(XEN_SYSCTL_INTERFACE_VERSION)
                .setNvdimm(XenSysctlNvdimmOp.newBuilder().setCmd(XEN_SYSCTL_nvdimm_pmem_setup).setPmemSetup(
                        XenSysctlNvdimmPmemSetup.newBuilder().setType(type).setSmfn(s).setEmfn(e).setMgmtSmfn(ms).setMgmtEmfn(me))));
    }

    int createHvm() {
        StepResult r = xen.deliver(Roles.XL, domctl(XEN_DOMCTL_createdomain, 0, Domctl.newBuilder().setCreatedomain(
                DomctlCreateDomain.newBuilder().setFlags(XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap))));
        HypercallRet ret = Harness.only(r).getHypercallRet();
        assertEquals(0, ret.getRc());
        int d = ret.getDomctl().getDomain();
        assertEquals(0, call(Roles.XL, domctl(XEN_DOMCTL_max_vcpus, d, Domctl.newBuilder().setMaxVcpus(DomctlMaxVcpus.newBuilder().setMax(1)))));
        return d;
    }

    /** Management pages for 16 GiB of pmem: 40 bytes a page for data and for itself (0x9ff6 needed). */
    static final long M = 0xa000;

    /** rfc-v1: Dom0 reports the region with [S, S+M) reserved for Xen and [S+M, E) data. */
    void handOver() {
        assertEquals(0, call(Roles.DOM0, pmemAdd(S, E, S, S + M, S + M, E)));
    }

    /** rfc-v4: the admin hands over [S, S+M) as management and [S+M, E) as data. */
    void handOverV4() {
        assertEquals(0, call(Roles.XL, setup(PMEM_REGION_TYPE_MGMT, S, S + M, S, S + M)));
        assertEquals(0, call(Roles.XL, setup(PMEM_REGION_TYPE_DATA, S + M, E, S, S + M)));
    }

    // ---- XENPF_pmem_add

    @Test
    void pmemAddChecksArgumentsThenRightsThenState() {
        assertEquals(Errno.EPERM.neg(), call("guest-3", pmemAdd(S, E, S, S + M, S + M, E)), "only the hardware domain reports pmem");
        Envelope.Builder badVersion = pmemAdd(S, E, S, S + M, S + M, E);
        badVersion.getPlatformOpBuilder().setInterfaceVersion(1);
        assertEquals(Errno.EACCES.neg(), call(Roles.DOM0, badVersion));
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(E, S, S, S + M, S + M, E)), "empty or reversed region");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(S, E, S, S, S + M, E)), "empty reserved area");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(S, E, S, S + M, E, E)), "empty data area");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(S, E, S - 1, S + M, S + M, E)), "reserved area outside the region");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(S, E, S, S + M, S + M, E + 1)), "data area outside the region");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(S, E, S, S + M, S + M - 1, E)), "areas overlap");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(0x100, 0x200, 0x100, 0x140, 0x140, 0x200)), "RAM is not pmem");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(1L << 40, (1L << 40) + 2, 1L << 40, (1L << 40) + 1, (1L << 40) + 1, (1L << 40) + 2)),
                "beyond paddr_bits");
        StepResult small = xen.deliver(Roles.DOM0, pmemAdd(S, E, S, S + 16, S + 16, E));
        assertEquals(Errno.EINVAL.neg(), Harness.only(small).getHypercallRet().getRc(),
                "16 pages cannot hold 16 GiB's frame table and M2P: rfc-v1's check_reserved_size is an argument check");
        assertTrue(xen.logged("too small for the frame table and M2P of 4194304 pages"));
        assertTrue(small.getObservedList().stream().noneMatch(o -> o.hasPmemArea()), "a refused report registers nothing");
        // accepted: Xen writes its tables inside the reserved area only, then answers
        StepResult r = xen.deliver(Roles.DOM0, pmemAdd(S, E, S, S + M, S + M, E));
        Envelope w = Harness.first(r, Envelope::hasMemAccess);
        assertEquals(DOMID_XEN, w.getMemAccess().getInitiatorDomid());
        assertTrue(w.getMemAccess().getSpa() >= (S << 12) && w.getMemAccess().getSpa() + w.getMemAccess().getLen() <= (S + M) << 12);
        assertTrue(r.getSentList().stream().noneMatch(Envelope::hasHypercallRet), "the answer follows the tables");
        assertTrue(xen.logged("pmem: pfns 0x280000 - 0x680000, reserved 0x280000 - 0x28a000, data 0x28a000 - 0x680000"));
        assertTrue(xen.logged("withdrawn from Dom0"));
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, pmemAdd(S + 0x10000, S + 0x20000, S + 0x10000, S + 0x10800, S + 0x10800, S + 0x20000)),
                "overlaps a reported region (rfc-v1 pmem_list_add)");
        assertTrue(xen.logged("overlaps one already reported"));
    }

    static Envelope.Builder mmuUpdate(long mfn, long nr) {
        return Envelope.newBuilder().setMmuUpdate(MmuUpdate.newBuilder().setCmd(MMU_NORMAL_PT_UPDATE).setMfn(mfn).setNrPtes(nr).setWritable(true).setForeigndom(DOMID_SELF));
    }

    /** __HYPERVISOR_mmu_update: arguments, then each PTE against iomem_caps, then installed for good. */
    @Test
    void mmuUpdateChecksEachPteWhenInstalledAndDenyingAccessLaterDoesNotRemoveIt() {
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, mmuUpdate(S, 16)), "only a PV kernel has page tables for Xen to validate");
        assertEquals(Errno.ENOSYS.neg(), call(Roles.DOM0, mmuUpdate(S, 16).setMmuUpdate(MmuUpdate.newBuilder().setCmd(7).setMfn(S).setNrPtes(16))));
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, mmuUpdate(S, 0)), "no PTEs");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, mmuUpdate(1L << 40, 1)), "beyond paddr_bits");
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, mmuUpdate(S, MMU_UPDATE_MAX_PTES + 1)), "over the simulation's limit");
        // the whole region while it is still Dom0's I/O memory: accepted
        assertEquals(0, call(Roles.DOM0, mmuUpdate(S, E - S)));
        handOver();   // takes [S, S+M) from Dom0's iomem_caps
        assertEquals(Errno.EPERM.neg(), call(Roles.DOM0, mmuUpdate(S + 1, 1)), "a new PTE onto the reserved area is refused");
        assertTrue(xen.logged("d0 non-privileged attempt to map MMIO space"));
        // an access through the PTE installed before is not checked again: it reaches the bus
        assertEquals(Roles.PLATFORM, Harness.only(dom0Access(MemAccess.Op.READ, (S + 1) << 12, 8)).getTo());
    }

    @Test
    void afterPmemAddDom0LosesTheReservedAreaOnly() {
        handOver();
        assertEquals(Errno.EPERM.neg(), Harness.only(dom0Access(MemAccess.Op.READ, (S + 1) << 12, 8)).getMemAccessDone().getRc());
        assertEquals(Roles.PLATFORM, Harness.only(dom0Access(MemAccess.Op.READ, (S + M) << 12, 8)).getTo());
        int d = createHvm();
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, iomem(d, S, 16, true)), "Dom0 cannot pass the reserved area on");
    }

    /** A bus copy reads its source and writes its destination: Dom0 must reach both, whichever is denied. */
    @Test
    void dom0CopyIsCheckedOnBothRanges() {
        handOver();   // [S, S+M) is Xen's now; [S+M, E) is still Dom0's
        long mine = (S + M) << 12, xens = (S + 1) << 12;
        assertEquals(Roles.PLATFORM, Harness.only(dom0Copy(mine, mine + (64L << 12), 16L << 12)).getTo(), "both ranges Dom0's: on the bus");
        assertEquals(Errno.EPERM.neg(), Harness.only(dom0Copy(xens, mine, 4096)).getMemAccessDone().getRc(), "source in the reserved area");
        assertEquals(Errno.EPERM.neg(), Harness.only(dom0Copy(mine, xens, 4096)).getMemAccessDone().getRc(), "destination in the reserved area");
        assertEquals(Errno.EINVAL.neg(), Harness.only(dom0Copy(Long.MAX_VALUE - 10, mine, 4096)).getMemAccessDone().getRc(), "source wraps");
    }

    StepResult dom0Copy(long src, long dst, long len) {
        return xen.deliver(Roles.DOM0, Envelope.newBuilder().setTag(77).setMemAccess(MemAccess.newBuilder().setOp(MemAccess.Op.COPY)
                .setSrcSpa(src).setSpa(dst).setLen(len).setReplyTo(Roles.DOM0).setReplyTag(77)));
    }

    @Test
    void rfcV1XenHasNoNvdimmSysctlAndRfcV4NoPmemAdd() {
        assertEquals(Errno.ENOSYS.neg(), call(Roles.XL, setup(PMEM_REGION_TYPE_MGMT, S, S + M, S, S + M)));
        bootV4();
        assertEquals(Errno.ENOSYS.neg(), call(Roles.DOM0, pmemAdd(S, E, S, S + M, S + M, E)));
    }

    // ---- rfc-v4 boot: the NFIT is Xen's

    @Test
    void rfcV4RegistersTheNfitRangesHidesTheTableAsTfinAndDeniesDom0() {
        StepResult r = bootV4();
        assertTrue(xen.logged("NFIT: PMEM MFNs 0x280000 - 0x680000 on PXM 0 registered"));
        DomainStart start = Harness.first(r, Envelope::hasDomainStart).getDomainStart();
        assertTrue(start.getAcpiTablesList().stream().noneMatch(t -> t.getSignature().equals("NFIT")), "Dom0 sees no NFIT");
        AcpiTableBlob tfin = start.getAcpiTablesList().stream().filter(t -> t.getSignature().equals("TFIN")).findFirst().orElseThrow();
        byte[] b = tfin.getData().toByteArray();
        assertEquals("TFIN", new String(b, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        int sum = 0;
        for (byte x : b) sum += x & 0xff;
        assertEquals(0, sum & 0xff, "the zapped table keeps a valid checksum");
        assertEquals(Errno.EPERM.neg(), Harness.only(dom0Access(MemAccess.Op.READ, (S + 1) << 12, 8)).getMemAccessDone().getRc(),
                "rfc-v4 denies Dom0 the registered regions");
        Envelope.Builder q = Envelope.newBuilder().setSysctl(Sysctl.newBuilder().setCmd(XEN_SYSCTL_nvdimm_op).setInterfaceVersion(XEN_SYSCTL_INTERFACE_VERSION)
                .setNvdimm(XenSysctlNvdimmOp.newBuilder().setCmd(XEN_SYSCTL_nvdimm_pmem_get_regions)
                        .setPmemRegions(XenSysctlNvdimmPmemRegions.newBuilder().setType(PMEM_REGION_TYPE_RAW).setNumRegions(4))));
        XenSysctlNvdimmPmemRawRegion raw = Harness.only(xen.deliver(Roles.XL, q)).getHypercallRet().getNvdimm().getPmemRegions().getRawRegions(0);
        assertEquals(List.of(S, E), List.of(raw.getSmfn(), raw.getEmfn()));
    }

    // ---- XENMEM_populate_pmem_map (rfc-v4)

    static Envelope.Builder populatePmem(int cmd, int dom, long mfn, long gfn, int nr) {
        return Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(cmd)
                .setPmemMap(XenPmemMap.newBuilder().setDomid(dom).setMfn(mfn).setGfn(gfn).setNrMfns(nr)));
    }

    @Test
    void populatePmemMapChecksThenContinuesWithErestartAndCannotBeRevoked() {
        bootV4();
        int d = createHvm();
        int nr = Xen.PMEM_POPULATE_PREEMPT_PAGES + 100;
        long mfn = S + M, gfn = 0x100000;
        assertEquals(Errno.ENXIO.neg(), call(Roles.XL, populatePmem(XENMEM_populate_pmem_map, d, mfn, gfn, nr)), "no DATA region yet");
        handOverV4();
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, populatePmem(XENMEM_populate_pmem_map, DOMID_SELF, mfn, gfn, nr)), "DOMID_SELF");
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, populatePmem(XENMEM_populate_pmem_map, d, -16, gfn, 32)), "wrapping range");
        assertEquals(Errno.ESRCH.neg(), call(Roles.XL, populatePmem(XENMEM_populate_pmem_map, 77, mfn, gfn, nr)));
        assertEquals(Errno.EPERM.neg(), call("guest-" + d, populatePmem(XENMEM_populate_pmem_map, d, mfn, gfn, nr)), "a guest has no right");
        assertEquals(Errno.ENXIO.neg(), call(Roles.XL, populatePmem(XENMEM_populate_pmem_map, d, S, gfn, 16)), "the management area is no DATA");
        // first call: preempted after PMEM_POPULATE_PREEMPT_PAGES with the progress in the continuation cmd
        HypercallRet first = callRet(Roles.XL, populatePmem(XENMEM_populate_pmem_map, d, mfn, gfn, nr));
        assertEquals(Errno.ERESTART.neg(), first.getRc());
        int cont = first.getContinuationCmd();
        assertEquals(XENMEM_populate_pmem_map, cont & MEMOP_CMD_MASK);
        assertEquals(Xen.PMEM_POPULATE_PREEMPT_PAGES, cont >>> MEMOP_EXTENT_SHIFT);
        StepResult again = xen.deliver(Roles.XL, populatePmem(cont, d, mfn, gfn, nr));
        assertEquals(0, Harness.first(again, Envelope::hasHypercallRet).getHypercallRet().getRc());
        assertTrue(again.getObservedList().stream().anyMatch(o -> o.hasP2M() && o.getP2M().getP2MType() == p2m_ram_rw
                && o.getP2M().getGfn() == gfn + Xen.PMEM_POPULATE_PREEMPT_PAGES && o.getP2M().getNr() == 100), "the rest, as p2m_ram_rw");
        // owned pages are not free: a second domain cannot have them
        int d2 = createHvm();
        assertEquals(Errno.EBUSY.neg(), call(Roles.XL, populatePmem(XENMEM_populate_pmem_map, d2, mfn + 10, gfn, 4)));
        // not revocable with memory_mapping: Dom0 holds no iomem rights to the region under rfc-v4
        // (and clear_mmio_p2m_entry would refuse a p2m_ram_rw entry with -EINVAL anyway)
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, iomem(d, mfn, 16, true)));
        StepResult rm = xen.deliver(Roles.XL, mapping(d, gfn, mfn, 16, DPCI_REMOVE_MAPPING));
        assertEquals(Errno.EPERM.neg(), Harness.only(rm).getHypercallRet().getRc());
        assertTrue(rm.getObservedList().stream().noneMatch(o -> o.hasP2M()), "the p2m keeps the pages");
        // destroydomain returns them to the pool
        assertEquals(0, call(Roles.XL, domctl(XEN_DOMCTL_destroydomain, d, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance()))));
        assertTrue(xen.logged("returned to the PMEM pool"));
        assertEquals(0, call(Roles.XL, populatePmem(XENMEM_populate_pmem_map, d2, mfn + 10, gfn, 4)));
    }

    // ---- pmem_setup

    @Test
    void pmemSetupRefusesUnreportedTooSmallAndOverlapping() {
        bootV4();
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, setup(PMEM_REGION_TYPE_MGMT, E, E + 0x1000, E, E + 0x1000)),
                "not a registered region");
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, setup(PMEM_REGION_TYPE_MGMT, S, S + 0x1000, S, S + 0x2000)),
                "MGMT must name itself as its management range");
        assertEquals(Errno.ENXIO.neg(), call(Roles.XL, setup(PMEM_REGION_TYPE_DATA, S + 0x1000, E, S, S + 0x1000)),
                "DATA needs an existing management area");
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, setup(7, S, S + 1, S, S + 1)), "unknown region type");
        // 16 pages of management for a 0x3ff000-page data area: far too small
        assertEquals(0, call(Roles.XL, setup(PMEM_REGION_TYPE_MGMT, S, S + 16, S, S + 16)));
        assertEquals(Errno.EEXIST.neg(), call(Roles.XL, setup(PMEM_REGION_TYPE_MGMT, S + 8, S + 24, S + 8, S + 24)));
        StepResult r = xen.deliver(Roles.XL, setup(PMEM_REGION_TYPE_DATA, S + 16, E, S, S + 16));
        HypercallRet ret = Harness.only(r).getHypercallRet();
        assertEquals(Errno.ENOSPC.neg(), ret.getRc());
        assertEquals(Errno.ENOSPC.value, ret.getNvdimm().getErr(), "err carries the positive errno");
        assertTrue(xen.logged("insufficient management pages"));
        assertTrue(r.getSentList().stream().noneMatch(Envelope::hasMemAccess), "nothing written when setup fails");
    }

    @Test
    void mgmtSetupWritesOnlyInsideTheAreaAndWithdrawsItFromDom0() {
        bootV4();
        StepResult r = xen.deliver(Roles.XL, setup(PMEM_REGION_TYPE_MGMT, S, S + 0x1000, S, S + 0x1000));
        Envelope w = Harness.only(r);
        assertEquals(DOMID_XEN, w.getMemAccess().getInitiatorDomid());
        assertTrue(w.getMemAccess().getSpa() >= (S << 12) && w.getMemAccess().getSpa() + w.getMemAccess().getLen() <= (S + 0x1000) << 12);
        // Xen answers the hypercall only once the bus has taken its write: the write precedes the reply.
        StepResult done = xen.answer(w, Envelope.newBuilder().setMemAccessDone(MemAccessDone.getDefaultInstance()));
        Envelope ret = Harness.only(done);
        assertEquals(Roles.XL, ret.getTo());
        assertEquals(0, ret.getHypercallRet().getRc());
        // Dom0 holds no rights to a registered region under rfc-v4, so it can pass none on.
        int d = createHvm();
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, iomem(d, S, 16, true)));
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, iomem(d, S + 0x1000, 16, true)));
    }

    @Test
    void regionListsReportWhatWasSetUp() {
        bootV4();
        handOverV4();
        Envelope.Builder q = Envelope.newBuilder().setSysctl(Sysctl.newBuilder().setCmd(XEN_SYSCTL_nvdimm_op).setInterfaceVersion(XEN_SYSCTL_INTERFACE_VERSION)
                .setNvdimm(XenSysctlNvdimmOp.newBuilder().setCmd(XEN_SYSCTL_nvdimm_pmem_get_regions)
                        .setPmemRegions(XenSysctlNvdimmPmemRegions.newBuilder().setType(PMEM_REGION_TYPE_DATA).setNumRegions(4))));
        HypercallRet ret = Harness.only(xen.deliver(Roles.XL, q)).getHypercallRet();
        assertEquals(0, ret.getRc());
        assertEquals(1, ret.getNvdimm().getPmemRegions().getNumRegions());
        XenSysctlNvdimmPmemDataRegion d = ret.getNvdimm().getPmemRegions().getDataRegions(0);
        assertEquals(List.of(S + M, E, S, S + M), List.of(d.getSmfn(), d.getEmfn(), d.getMgmtSmfn(), d.getMgmtEmfn()));
    }

    // ---- XEN_DOMCTL_memory_mapping

    @Test
    void memoryMappingValidatesArgumentsBeforeRights() {
        int d = createHvm();
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, mapping(d, 0x100000, S, 0, DPCI_ADD_MAPPING)), "nr_mfns 0");
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, mapping(d, 0x100000, -16, 32, DPCI_ADD_MAPPING)), "MFN range wraps");
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, mapping(d, -8, S, 16, DPCI_ADD_MAPPING)), "GFN range wraps");
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, mapping(d, 0x100000, 1L << 40, 1, DPCI_ADD_MAPPING)), "MFN beyond paddr_bits");
        assertEquals(Errno.ESRCH.neg(), call(Roles.XL, mapping(99, 0x100000, S, 1, DPCI_ADD_MAPPING)));
        assertEquals(Errno.EPERM.neg(), call("guest-" + d, mapping(d, 0x100000, S, 1, DPCI_ADD_MAPPING)), "a guest cannot map for itself");
        Envelope.Builder v = mapping(d, 0x100000, S, 1, DPCI_ADD_MAPPING);
        v.getDomctlBuilder().setInterfaceVersion(0xe);
        assertEquals(Errno.EACCES.neg(), call(Roles.XL, v), "interface version mismatch");
    }

    @Test
    void mappingPmemThatIsNoDataAreaIsRefused() {
        int d = createHvm();
        // Dom0 holds the pmem in iomem_caps from boot (upstream dom0_setup_permissions) and may pass
        // it on, but Xen's pmem check maps only handed-over data areas.
        assertEquals(0, call(Roles.XL, iomem(d, S, 64, true)));
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, mapping(d, 0x100000, S, 64, DPCI_ADD_MAPPING)));
        assertTrue(xen.logged("not a pmem data area"));
        handOver();
        // the reserved area is Xen's now: the guest's grant from before does not make it mappable
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, mapping(d, 0x100000, S + 0x20, 16, DPCI_ADD_MAPPING)));
    }

    @Test
    void mappingMakesAtMost64InsertionsPerCallAndReportsProgress() {
        handOver();
        int d = createHvm();
        long mfn = S + M + 0x2000;
        assertEquals(0, call(Roles.XL, iomem(d, mfn, 512, true)));
        StepResult r = xen.deliver(Roles.XL, mapping(d, 0x108000, mfn, 512, DPCI_ADD_MAPPING));
        assertEquals(64, Harness.first(r, Envelope::hasHypercallRet).getHypercallRet().getRc(), "positive partial progress");
        P2mChange p = r.getObserved(r.getObservedCount() - 2).hasP2M() ? r.getObserved(r.getObservedCount() - 2).getP2M()
                : r.getObservedList().stream().filter(Observation::hasP2M).findFirst().orElseThrow().getP2M();
        assertEquals(0x108000, p.getGfn());
        assertEquals(64, p.getNr());
        assertEquals(p2m_mmio_direct, p.getP2MType());
        long done = 64;
        while (done < 512) {
            long rc = call(Roles.XL, mapping(d, 0x108000 + done, mfn + done, 512 - done, DPCI_ADD_MAPPING));
            assertTrue(rc == 0 || rc == 64, "rc " + rc);
            done += rc == 0 ? 512 - done : rc;
        }
        // The guest can reach the frames now: a load goes to the bus at the right address.
        xen.deliver(Roles.XL, domctl(XEN_DOMCTL_unpausedomain, d, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance())));
        StepResult load = xen.deliver("guest-" + d, Envelope.newBuilder().setGuestMemAccess(GuestMemAccess.newBuilder().setGpa((0x108000L + 5) << 12).setLen(8)));
        MemAccess m = Harness.only(load).getMemAccess();
        assertEquals((mfn + 5) << 12, m.getSpa());
        assertEquals("guest-" + d, m.getReplyTo());
        // Removing a range that maps other frames is only warned about; a hole is -EINVAL.
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, mapping(d, 0x200000, mfn, 1, DPCI_REMOVE_MAPPING)));
        assertEquals(64, call(Roles.XL, mapping(d, 0x108000, mfn, 512, DPCI_REMOVE_MAPPING)));
    }

    @Test
    void anotherGuestsFramesRamAndTheManagementAreaAreRefused() {
        handOver();
        int a = createHvm(), b = createHvm();
        long mfn = S + M + 0x2000;
        assertEquals(0, call(Roles.XL, iomem(a, mfn, 64, true)));
        assertEquals(0, call(Roles.XL, iomem(b, mfn, 64, true)));
        assertEquals(0, call(Roles.XL, mapping(a, 0x100000, mfn, 64, DPCI_ADD_MAPPING)));
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, mapping(b, 0x100000, mfn, 64, DPCI_ADD_MAPPING)), "mapped by another guest");
        assertEquals(0, call(Roles.XL, iomem(b, 0x20000, 16, true)), "Dom0 holds RAM in its caps and may pass it on");
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, mapping(b, 0x100000, 0x20000, 16, DPCI_ADD_MAPPING)), "RAM");
        assertEquals(Errno.EPERM.neg(), call(Roles.XL, iomem(b, S, 16, true)), "the management area is out of Dom0's reach");
    }

    @Test
    void withoutTheCheckXenMapsWhateverIomemCapsAllow() {
        xen = new Harness(kit, Roles.XEN, w -> Xen.create(w, Xen.Config.of(Design.newBuilder().setMappingCheck("off").build())));
        xen.deliver(Roles.PLATFORM, Envelope.newBuilder().setFirmwareHandoff(handoff()));
        int d = createHvm();
        assertEquals(0, call(Roles.XL, iomem(d, 0x20000, 16, true)));
        assertEquals(0, call(Roles.XL, mapping(d, 0x100000, 0x20000, 16, DPCI_ADD_MAPPING)), "upstream: RAM mapped");
    }

    // ---- domain lifecycle and memory

    @Test
    void createPopulateUnpauseStartsTheGuest() {
        int d = createHvm();
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, domctl(XEN_DOMCTL_createdomain, d, Domctl.newBuilder().setCreatedomain(
                DomctlCreateDomain.newBuilder().setFlags(XEN_DOMCTL_CDF_hvm_guest)))), "domid in use");
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, domctl(XEN_DOMCTL_createdomain, 0, Domctl.newBuilder().setCreatedomain(
                DomctlCreateDomain.newBuilder().setFlags(0)))), "PV guests are not simulated");
        assertEquals(0, call(Roles.XL, domctl(XEN_DOMCTL_max_mem, d, Domctl.newBuilder().setMaxMem(DomctlMaxMem.newBuilder().setMaxMemkb(4096)))));
        Envelope.Builder pop = Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_populate_physmap)
                .setReservation(XenMemoryReservation.newBuilder().setDomid(d).setExtentOrder(9).setNrExtents(3).addAllExtentStart(List.of(0L, 512L, 1024L))));
        assertEquals(2, call(Roles.XL, pop), "max_mem of 4 MiB stops after two 2 MiB extents");
        StepResult r = xen.deliver(Roles.XL, domctl(XEN_DOMCTL_unpausedomain, d, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance())));
        Envelope start = Harness.first(r, Envelope::hasDomainStart);
        assertEquals("guest-" + d, start.getTo());
        // Unmapped guest frames fault instead of reaching the bus.
        StepResult f = xen.deliver("guest-" + d, Envelope.newBuilder().setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0x40000000L).setLen(8)));
        assertEquals(Errno.EFAULT.neg(), Harness.only(f).getGuestFault().getRc());
        StepResult cross = xen.deliver("guest-" + d, Envelope.newBuilder().setGuestMemAccess(GuestMemAccess.newBuilder().setGpa(0xff8).setLen(16)));
        assertEquals(Errno.EINVAL.neg(), Harness.only(cross).getGuestFault().getRc(), "an access may not cross a page");
    }

    /** The p2m runs (gfn, nr, mfn) a delivery observed, neighbours that continue each other merged. */
    static List<long[]> p2mRuns(List<StepResult> steps) {
        List<long[]> runs = new java.util.ArrayList<>();
        for (StepResult r : steps) {
            for (Observation o : r.getObservedList()) {
                if (!o.hasP2M() || o.getP2M().getRemove()) continue;
                P2mChange c = o.getP2M();
                long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
                if (last != null && last[0] + last[1] == c.getGfn() && last[2] + last[1] == c.getMfn()) last[1] += c.getNr();
                else runs.add(new long[] {c.getGfn(), c.getNr(), c.getMfn()});
            }
        }
        return runs;
    }

    static Envelope.Builder populate(int d, List<Long> gpfns) {
        return Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_populate_physmap)
                .setReservation(XenMemoryReservation.newBuilder().setDomid(d).setExtentOrder(9).setNrExtents(gpfns.size()).addAllExtentStart(gpfns)));
    }

    @Test
    void populatingConsecutiveExtentsAtOnceGivesTheFramesOneByOneWould() {
        List<Long> gpfns = List.of(0L, 512L, 1024L, 1536L, 2048L);
        int a = createHvm();
        assertEquals(0, call(Roles.XL, domctl(XEN_DOMCTL_max_mem, a, Domctl.newBuilder().setMaxMem(DomctlMaxMem.newBuilder().setMaxMemkb(64 << 10)))));
        List<long[]> together = p2mRuns(List.of(xen.deliver(Roles.XL, populate(a, gpfns))));
        boot();   // a fresh Xen with the same heap
        int b = createHvm();
        assertEquals(0, call(Roles.XL, domctl(XEN_DOMCTL_max_mem, b, Domctl.newBuilder().setMaxMem(DomctlMaxMem.newBuilder().setMaxMemkb(64 << 10)))));
        List<StepResult> one = new java.util.ArrayList<>();
        for (long g : gpfns) one.add(xen.deliver(Roles.XL, populate(b, List.of(g))));
        List<long[]> oneByOne = p2mRuns(one);
        assertFalse(together.isEmpty());
        assertEquals(5 * 512, together.stream().mapToLong(r -> r[1]).sum());
        assertEquals(oneByOne.size(), together.size());
        for (int i = 0; i < together.size(); i++) assertArrayEquals(oneByOne.get(i), together.get(i), "run " + i);
    }

    @Test
    void portIoGoesToTheIoreqServerAndBack() {
        int d = createHvm();
        Envelope.Builder create = Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(d).setOp(XEN_DMOP_create_ioreq_server)
                .setCreateIoreqServer(XenDmOpCreateIoreqServer.getDefaultInstance()));
        HypercallRet c = Harness.only(xen.deliver("qemu-" + d, create)).getHypercallRet();
        int id = c.getDmOp().getCreateIoreqServer().getId();
        assertEquals(0, call("qemu-" + d, Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(d).setOp(XEN_DMOP_map_io_range_to_ioreq_server)
                .setMapIoRangeToIoreqServer(XenDmOpIoreqServerRange.newBuilder().setId(id).setType(XEN_DMOP_IO_RANGE_PORT).setStart(0xa18).setEnd(0xa1b)))));
        assertEquals(Errno.EINVAL.neg(), call("qemu-" + d, Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(d).setOp(XEN_DMOP_map_io_range_to_ioreq_server)
                .setMapIoRangeToIoreqServer(XenDmOpIoreqServerRange.newBuilder().setId(id).setType(XEN_DMOP_IO_RANGE_PORT).setStart(0x10000).setEnd(0x10001)))));
        assertEquals(0, call("qemu-" + d, Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(d).setOp(XEN_DMOP_set_ioreq_server_state)
                .setSetIoreqServerState(XenDmOpSetIoreqServerState.newBuilder().setId(id).setEnabled(1)))));
        xen.deliver(Roles.XL, domctl(XEN_DOMCTL_unpausedomain, d, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance())));
        StepResult io = xen.deliver("guest-" + d, Envelope.newBuilder().setGuestIo(GuestIo.newBuilder().setPort(0xa18).setSize(4).setWrite(true).setData(0x1ffff000)));
        Ioreq q = Harness.only(io).getIoreq();
        assertEquals("qemu-" + d, Harness.only(io).getTo());
        assertEquals(0xa18, q.getAddr());
        assertEquals(0x1ffff000, q.getData());
        StepResult done = xen.deliver("qemu-" + d, Envelope.newBuilder().setIoreqDone(IoreqDone.newBuilder().setDomid(d)));
        assertEquals("guest-" + d, Harness.only(done).getTo());
        assertTrue(Harness.only(done).hasGuestIoDone());
        // A port nobody claimed reads as all ones.
        StepResult floating = xen.deliver("guest-" + d, Envelope.newBuilder().setGuestIo(GuestIo.newBuilder().setPort(0x80).setSize(1)));
        assertEquals(0xff, Harness.only(floating).getGuestIoDone().getData());
    }

    /** XEN_DMOP_set_isa_irq_level: Xen 4.10's checks, and an interrupt on each rising edge only. */
    @Test
    void setIsaIrqLevelChecksItsArgumentsAndDeliversRisingEdges() {
        int d = createHvm();
        xen.deliver(Roles.XL, domctl(XEN_DOMCTL_unpausedomain, d, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance())));
        java.util.function.BiFunction<Integer, Integer, StepResult> level = (irq, lvl) -> xen.deliver("qemu-" + d, Envelope.newBuilder()
                .setDmOp(DmOp.newBuilder().setDomid(d).setOp(XEN_DMOP_set_isa_irq_level)
                        .setSetIsaIrqLevel(XenDmOpSetIsaIrqLevel.newBuilder().setIsaIrq(irq).setLevel(lvl))));
        assertEquals(Errno.EINVAL.neg(), Harness.first(level.apply(16, 1), Envelope::hasHypercallRet).getHypercallRet().getRc(), "isa_irq > 15");
        assertEquals(Errno.EINVAL.neg(), Harness.first(level.apply(9, 2), Envelope::hasHypercallRet).getHypercallRet().getRc(), "level not 0/1");
        StepResult up = level.apply(9, 1);
        assertEquals(0, Harness.first(up, Envelope::hasHypercallRet).getHypercallRet().getRc());
        Envelope irq = Harness.first(up, Envelope::hasGuestInterrupt);
        assertEquals("guest-" + d, irq.getTo());
        assertEquals(9, irq.getGuestInterrupt().getGsi());
        assertEquals(1, level.apply(9, 1).getSentCount(), "already high: only the answer");
        assertEquals(1, level.apply(9, 0).getSentCount());
        assertTrue(level.apply(9, 1).getSentList().stream().anyMatch(Envelope::hasGuestInterrupt), "a new edge");
        assertEquals(Errno.EPERM.neg(), call("guest-" + d, Envelope.newBuilder().setDmOp(DmOp.newBuilder().setDomid(d).setOp(XEN_DMOP_set_isa_irq_level)
                .setSetIsaIrqLevel(XenDmOpSetIsaIrqLevel.newBuilder().setIsaIrq(9).setLevel(1)))), "only Dom0's device model");
    }

    @Test
    void malformedMessagesAreLoggedNotThrown() {
        StepResult r = xen.deliver("guest-9", Envelope.newBuilder().setXsRequest(XsRequest.getDefaultInstance()));
        assertEquals(0, r.getSentCount());
        assertTrue(xen.logged("xen has no handler for XS_REQUEST"));
        StepResult twice = xen.deliver(Roles.PLATFORM, Envelope.newBuilder().setFirmwareHandoff(handoff()));
        assertEquals(0, twice.getSentCount());
        assertTrue(xen.logged("second firmware hand-off"));
    }

    // ---- the PV Dom0

    @Test
    void dom0IsPvWithNoP2mAndKeepsPmemInItsCaps() {
        xen = new Harness(kit, Roles.XEN, w -> Xen.create(w, Xen.Config.of(Design.getDefaultInstance())));
        StepResult r = xen.deliver(Roles.PLATFORM, Envelope.newBuilder().setFirmwareHandoff(handoff()));
        DomainStart start = Harness.first(r, Envelope::hasDomainStart).getDomainStart();
        assertFalse(start.getHvm(), "Dom0 is PV");
        assertTrue(start.getNrPages() > 0);
        assertTrue(r.getObservedList().stream().noneMatch(o -> o.hasP2M()), "Xen keeps no p2m for a PV Dom0");
        assertFalse(xen.logged("withheld"), "pmem is not withheld from Dom0");
        // Dom0 may read pmem before reporting it: Xen forwards the access to the bus as Dom0's.
        StepResult rd = dom0Access(MemAccess.Op.READ, (S << 12) + 4096, 4096);
        MemAccess fwd = Harness.only(rd).getMemAccess();
        assertEquals(Roles.PLATFORM, Harness.only(rd).getTo());
        assertEquals(0, fwd.getInitiatorDomid());
        assertEquals(Roles.DOM0, fwd.getReplyTo());
        assertEquals(77, fwd.getReplyTag(), "the bus answers Dom0's own tag");
    }

    StepResult dom0Access(MemAccess.Op op, long spa, int len) {
        MemAccess.Builder m = MemAccess.newBuilder().setOp(op).setSpa(spa).setReplyTo(Roles.DOM0).setReplyTag(77);
        if (op == MemAccess.Op.WRITE) m.setData(ByteString.copyFrom(new byte[len])); else m.setLen(len);
        return xen.deliver(Roles.DOM0, Envelope.newBuilder().setTag(77).setMemAccess(m));
    }

    @Test
    void dom0AccessToTheWithdrawnAreaIsRefusedWithEperm() {
        handOver();
        StepResult w = dom0Access(MemAccess.Op.WRITE, (S + 2) << 12, 512);
        Envelope done = Harness.only(w);
        assertEquals(Roles.DOM0, done.getTo());
        assertEquals(77, done.getTag());
        assertEquals(Errno.EPERM.neg(), done.getMemAccessDone().getRc());
        assertTrue(xen.logged("d0 non-privileged attempt to map MMIO space 280002"));
        StepResult fill = dom0Access(MemAccess.Op.FILL, (S + M - 1) << 12, 2 * 4096);
        assertEquals(Errno.EPERM.neg(), Harness.only(fill).getMemAccessDone().getRc(), "a range that straddles into the area");
        StepResult ok = dom0Access(MemAccess.Op.WRITE, (S + M) << 12, 512);
        assertEquals(Roles.PLATFORM, Harness.only(ok).getTo(), "the data area stays Dom0's");
        // RAM that is not Dom0's is refused too; only Dom0's CPU goes this way.
        assertEquals(Errno.EPERM.neg(), Harness.only(dom0Access(MemAccess.Op.READ, 0x1000, 8)).getMemAccessDone().getRc(), "Xen's own RAM");
        StepResult other = xen.deliver("qemu-1", Envelope.newBuilder().setMemAccess(MemAccess.newBuilder().setSpa(S << 12).setLen(8)));
        assertEquals(0, other.getSentCount());
        assertTrue(xen.logged("rejected MEM_ACCESS from qemu-1"));
    }

    static Envelope.Builder machineMap(int nr, boolean nullBuffer) {
        return Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder().setCmd(XENMEM_machine_memory_map)
                .setMemoryMap(XenMemoryMap.newBuilder().setNrEntries(nr).setNullBuffer(nullBuffer)));
    }

    @Test
    void machineMemoryMapFollowsXensRules() {
        // Host map: 3 entries. The buffer must hold one more than that.
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, machineMap(3, false)), "nr_entries < host entries + 1");
        assertEquals(Errno.EPERM.neg(), call("guest-1", machineMap(16, false)), "hardware domain only");
        HypercallRet count = callRet(Roles.DOM0, machineMap(0, true));
        assertEquals(3, count.getMemoryMap().getNrEntries(), "a NULL buffer only counts");
        assertEquals(0, count.getMemoryMap().getBufferCount());
        HypercallRet full = callRet(Roles.DOM0, machineMap(4, false));
        assertEquals(0, full.getRc());
        assertEquals(handoff().getE820List(), full.getMemoryMap().getBufferList(), "no synthetic entry while Dom0 holds every hole");
    }

    @Test
    void machineMemoryMapReservesHolesDom0MayNotTouch() {
        // pmem only in the NFIT (no E820 type 7): the pmem range is a hole of the host map.
        FirmwareHandoff.Builder h = handoff().toBuilder();
        h.removeE820(2);
        xen = new Harness(kit, Roles.XEN, w -> Xen.create(w, Xen.Config.of(Design.getDefaultInstance())));
        xen.deliver(Roles.PLATFORM, Envelope.newBuilder().setFirmwareHandoff(h));
        assertEquals(2, callRet(Roles.DOM0, machineMap(3, false)).getMemoryMap().getNrEntries());
        handOver();
        HypercallRet after = callRet(Roles.DOM0, machineMap(8, false));
        assertEquals(0, after.getRc());
        List<E820Entry> map = after.getMemoryMap().getBufferList();
        assertEquals(3, map.size(), "the withdrawn management area appears as reserved: " + map);
        assertEquals(E820Entry.newBuilder().setAddr(S << 12).setSize(M << 12).setType(E820_RESERVED).build(), map.get(2));
        assertEquals(Errno.EINVAL.neg(), call(Roles.DOM0, machineMap(3, false)), "room for the host map + 1 but not the synthetic entry");
    }

    @Test
    void createdomainIs410sAndVcpusComeFromMaxVcpus() {
        StepResult r = xen.deliver(Roles.XL, domctl(XEN_DOMCTL_createdomain, 0, Domctl.newBuilder().setCreatedomain(
                DomctlCreateDomain.newBuilder().setFlags(XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap)
                        .setConfig(XenArchDomainconfig.newBuilder().setEmulationFlags(XEN_X86_EMU_ALL)))));
        int d = Harness.only(r).getHypercallRet().getDomctl().getDomain();
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, domctl(XEN_DOMCTL_createdomain, 0, Domctl.newBuilder().setCreatedomain(
                DomctlCreateDomain.newBuilder().setFlags(XEN_DOMCTL_CDF_hvm_guest | (1 << 5))))), "unknown flag");
        assertEquals(Errno.ESRCH.neg(), call(Roles.XL, domctl(XEN_DOMCTL_max_vcpus, 99, Domctl.newBuilder().setMaxVcpus(DomctlMaxVcpus.newBuilder().setMax(1)))));
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, domctl(XEN_DOMCTL_max_vcpus, d, Domctl.newBuilder().setMaxVcpus(DomctlMaxVcpus.newBuilder().setMax(129)))),
                "more than HVM_MAX_VCPUS");
        // Without vCPUs an unpaused domain runs nothing.
        StepResult idle = xen.deliver(Roles.XL, domctl(XEN_DOMCTL_unpausedomain, d, Domctl.newBuilder().setNone(DomctlNone.getDefaultInstance())));
        assertEquals(0, Harness.only(idle).getHypercallRet().getRc());
        assertEquals(0, call(Roles.XL, domctl(XEN_DOMCTL_max_vcpus, d, Domctl.newBuilder().setMaxVcpus(DomctlMaxVcpus.newBuilder().setMax(2)))));
        assertEquals(Errno.EINVAL.neg(), call(Roles.XL, domctl(XEN_DOMCTL_max_vcpus, d, Domctl.newBuilder().setMaxVcpus(DomctlMaxVcpus.newBuilder().setMax(1)))),
                "vCPUs cannot be taken away");
    }

    @Test
    void memoryMapAddPrintsWhatXenPrints() {
        handOver();
        int d = createHvm();
        long mfn = S + M;
        assertEquals(0, call(Roles.XL, iomem(d, mfn, 0x1600, true)));
        assertEquals(64, call(Roles.XL, mapping(d, 0x100000, mfn, 0x1600, DPCI_ADD_MAPPING)));
        assertTrue(xen.logged("(XEN) memory_map:add: dom" + d + " gfn=100000 mfn=" + Long.toHexString(mfn) + " nr=1600"),
                "Xen 4.10 prints the requested count in %lx: " + xen.logs());
    }
}
