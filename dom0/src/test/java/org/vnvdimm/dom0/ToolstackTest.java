package org.vnvdimm.dom0;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.contract.testing.Harness;
import org.vnvdimm.proto.*;

class ToolstackTest {
    static ActorTestKit kit;

    @BeforeAll static void up() { kit = ActorTestKit.create("ToolstackTest"); }

    @AfterAll static void down() { kit.shutdownTestKit(); }

    static Envelope.Builder ret(long rc) { return Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(rc)); }

    @Test
    void pmemSetupIsMgmtThenDataAndStopsAtTheFirstError() {
        Harness xl = new Harness(kit, Roles.XL, Toolstack::create);
        StepResult r = xl.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setXlPmemSetup(XlPmemSetup.newBuilder().setMgmtSmfn(0x100).setMgmtEmfn(0x200).setDataSmfn(0x200).setDataEmfn(0x10000))));
        // xl pmem-list -r first: the count, then the regions
        XenSysctlNvdimmOp nr = Harness.only(r).getSysctl().getNvdimm();
        assertEquals(XEN_SYSCTL_nvdimm_pmem_get_regions_nr, nr.getCmd());
        assertEquals(PMEM_REGION_TYPE_RAW, nr.getPmemRegionsNr().getType());
        r = xl.answer(Harness.only(r), Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0)
                .setNvdimm(nr.toBuilder().setPmemRegionsNr(nr.getPmemRegionsNr().toBuilder().setNumRegions(1)))));
        XenSysctlNvdimmOp list = Harness.only(r).getSysctl().getNvdimm();
        assertEquals(XEN_SYSCTL_nvdimm_pmem_get_regions, list.getCmd());
        assertEquals(1, list.getPmemRegions().getNumRegions());
        r = xl.answer(Harness.only(r), Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0)
                .setNvdimm(list.toBuilder().setPmemRegions(XenSysctlNvdimmPmemRegions.newBuilder().setType(PMEM_REGION_TYPE_RAW).setNumRegions(1)
                        .addRawRegions(XenSysctlNvdimmPmemRawRegion.newBuilder().setSmfn(0x100).setEmfn(0x10000))))));
        assertTrue(xl.logged("xl pmem-list -r: smfn 0x100 emfn 0x10000 pxm 0"));
        XenSysctlNvdimmPmemSetup m = Harness.only(r).getSysctl().getNvdimm().getPmemSetup();
        assertEquals(PMEM_REGION_TYPE_MGMT, m.getType());
        assertEquals(m.getSmfn(), m.getMgmtSmfn());
        r = xl.answer(Harness.only(r), ret(0));
        XenSysctlNvdimmPmemSetup d = Harness.only(r).getSysctl().getNvdimm().getPmemSetup();
        assertEquals(PMEM_REGION_TYPE_DATA, d.getType());
        assertEquals(List.of(0x200L, 0x10000L, 0x100L, 0x200L), List.of(d.getSmfn(), d.getEmfn(), d.getMgmtSmfn(), d.getMgmtEmfn()));
        r = xl.answer(Harness.only(r), ret(Errno.ENOSPC.neg()));
        AdminResult res = Harness.only(r).getAdminResult();
        assertEquals(Errno.ENOSPC.neg(), res.getRc());
        assertTrue(res.getOutput().contains("pmem-setup -d"));
    }

    @Test
    void onlyADomainsOwnDeviceModelMayAskForIomem() {
        Harness xl = new Harness(kit, Roles.XL, Toolstack::create);
        StepResult r = xl.deliver("qemu-1", Envelope.newBuilder().setIomemGrantRequest(IomemGrantRequest.newBuilder().setDomid(1).setFirstMfn(0x300000).setNrMfns(16)));
        assertEquals(Errno.EPERM.neg(), Harness.only(r).getIomemGrantReply().getRc(), "xl built no domain 1");
        r = xl.deliver("qemu-2", Envelope.newBuilder().setIomemGrantRequest(IomemGrantRequest.newBuilder().setDomid(1).setFirstMfn(0x300000).setNrMfns(16)));
        assertEquals(Errno.EPERM.neg(), Harness.only(r).getIomemGrantReply().getRc(), "qemu-2 does not serve domain 1");
    }

    @Test
    void qemuArgvMatchesLibxlsShape() {
        Toolstack.Guest g = new Toolstack.Guest(DomainConfig.newBuilder().setName("vm1")
                .addVnvdimms(VnvdimmConfig.newBuilder().setFile("/mnt/pmem0/vm1.img").setLabelBytes(128 << 10).setSlot(0))
                .addAllDeviceModelArgs(List.of("-object", "memory-backend-file,id=x,mem-path=/mnt/pmem0/b.img,size=2G,share=on",
                        "-device", "nvdimm,id=nv2,memdev=x")).build(), null);
        g.domid = 3;
        List<String> a = Toolstack.qemuArgv(g, 512L << 20, List.of(66L << 20));
        assertEquals(List.of("-xen-domid", "3", "-machine", "xenfv,nvdimm=on", "-m", "512M,slots=2,maxmem=3584M"), a.subList(0, 6));
        assertTrue(a.contains("memory-backend-file,id=mem1,mem-path=/mnt/pmem0/vm1.img,size=69206016,share=on,align=2M"));
        assertTrue(a.contains("nvdimm,id=xen_nvdimm1,memdev=mem1,label-size=131072,slot=0"));
        assertEquals("nvdimm,id=nv2,memdev=x", a.get(a.size() - 1), "device_model_args go last, as given");
    }

    @Test
    void xlCreatesWith410sDomctlsAndWritesTheWorkloadToXenstoreBeforeUnpausing() {
        Harness xl = new Harness(kit, Roles.XL, Toolstack::create);
        DomainConfig cfg = DomainConfig.newBuilder().setName("vm1").setMemoryBytes(64L << 20).setVcpus(2)
                .setWorkload(GuestWorkload.newBuilder().setPatternBytes(16384).setPatternSeed(42)).build();
        StepResult r = xl.deliver(Roles.ADMIN, Envelope.newBuilder().setAdminCommand(AdminCommand.newBuilder()
                .setXlCreate(XlCreate.newBuilder().setDomain(cfg))));
        Domctl create = Harness.only(r).getDomctl();
        assertEquals(XEN_DOMCTL_createdomain, create.getCmd());
        assertEquals(XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap, create.getCreatedomain().getFlags());
        r = xl.answer(Harness.only(r), Envelope.newBuilder().setHypercallRet(HypercallRet.newBuilder().setRc(0)
                .setDomctl(create.toBuilder().setDomain(5))));
        Domctl vcpus = Harness.only(r).getDomctl();
        assertEquals(XEN_DOMCTL_max_vcpus, vcpus.getCmd(), "4.10: vCPUs come with max_vcpus after createdomain");
        assertEquals(2, vcpus.getMaxVcpus().getMax());
        assertEquals(5, vcpus.getDomain());
        // Answer everything with success until xl unpauses; note the xenstore writes on the way.
        java.util.Map<String, String> written = new java.util.LinkedHashMap<>();
        boolean unpaused = false;
        for (int i = 0; i < 100 && !unpaused; i++) {
            Envelope q = Harness.only(r);
            if (q.hasXsRequest()) {
                if (q.getXsRequest().getType() == XS_WRITE) written.put(q.getXsRequest().getPath(), q.getXsRequest().getValue());
                r = xl.answer(q, Envelope.newBuilder().setXsResponse(XsResponse.newBuilder().setType(q.getXsRequest().getType())));
            } else if (q.hasDomctl() && q.getDomctl().getCmd() == XEN_DOMCTL_unpausedomain) {
                unpaused = true;
            } else if (q.hasMemoryOp() && q.getMemoryOp().getCmd() == XENMEM_populate_physmap) {
                r = xl.answer(q, ret(q.getMemoryOp().getReservation().getNrExtents()));
            } else {
                r = xl.answer(q, ret(0));
            }
        }
        assertTrue(unpaused);
        assertEquals("16384", written.get("/local/domain/5/data/vnvdimm-sim/pattern_bytes"));
        assertEquals("42", written.get("/local/domain/5/data/vnvdimm-sim/pattern_seed"));
    }
}
