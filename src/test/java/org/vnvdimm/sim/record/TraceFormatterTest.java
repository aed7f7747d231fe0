package org.vnvdimm.sim.record;

import static org.junit.jupiter.api.Assertions.*;
import static org.vnvdimm.contract.XenAbi.*;

import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.*;

/** Frames and addresses in 0x hex, counts in decimal, Xen's names for flags and commands. */
class TraceFormatterTest {
    static Envelope domctl(int cmd, int dom, Domctl.Builder d) {
        return Envelope.newBuilder().setDomctl(d.setCmd(cmd).setDomain(dom)).build();
    }

    @Test
    void createdomainIsXen410sWithFlagsByName() {
        String s = TraceFormatter.describe(domctl(XEN_DOMCTL_createdomain, 0, Domctl.newBuilder().setCreatedomain(DomctlCreateDomain.newBuilder()
                .setFlags(XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap).setConfig(XenArchDomainconfig.newBuilder().setEmulationFlags(XEN_X86_EMU_ALL)))));
        assertEquals("XEN_DOMCTL_createdomain dom=0 ssidref=0 flags=XEN_DOMCTL_CDF_hvm_guest|XEN_DOMCTL_CDF_hap emulation_flags=0x3ff", s);
        assertEquals("XEN_DOMCTL_CDF_hvm_guest|0x40", TraceFormatter.cdfFlags(1 | 0x40));
        assertEquals("0", TraceFormatter.cdfFlags(0));
        assertEquals("XEN_DOMCTL_max_vcpus dom=3 max=2",
                TraceFormatter.describe(domctl(XEN_DOMCTL_max_vcpus, 3, Domctl.newBuilder().setMaxVcpus(DomctlMaxVcpus.newBuilder().setMax(2)))));
    }

    @Test
    void countsAreDecimalAndFramesHex() {
        assertEquals("XEN_DOMCTL_memory_mapping dom=1 first_gfn=0x100000 first_mfn=0x28a300 nr_mfns=5632 add",
                TraceFormatter.describe(domctl(XEN_DOMCTL_memory_mapping, 1, Domctl.newBuilder().setMemoryMapping(DomctlMemoryMapping.newBuilder()
                        .setFirstGfn(0x100000).setFirstMfn(0x28a300).setNrMfns(0x1600).setAddMapping(DPCI_ADD_MAPPING)))));
        assertEquals("iomem grant dom=1 first_mfn=0x28a300 nr_mfns=5632", TraceFormatter.describe(Envelope.newBuilder()
                .setIomemGrantRequest(IomemGrantRequest.newBuilder().setDomid(1).setFirstMfn(0x28a300).setNrMfns(0x1600)).build()));
        assertEquals("p2m d1 gfn=0x100000 nr=64 -> mfn=0x28a300 p2m_mmio_direct", TraceFormatter.describe(Observation.newBuilder()
                .setP2M(P2mChange.newBuilder().setDomid(1).setGfn(0x100000).setNr(64).setMfn(0x28a300).setP2MType(p2m_mmio_direct)).build()));
        assertEquals("start PV dom0 kernel, nr_pages=131072, ACPI NFIT", TraceFormatter.describe(Envelope.newBuilder().setDomainStart(DomainStart.newBuilder()
                .setNrPages(0x20000).addAcpiTables(AcpiTableBlob.newBuilder().setSignature("NFIT"))).build()));
        assertEquals("XENMEM_machine_memory_map buffer=NULL", TraceFormatter.describe(Envelope.newBuilder().setMemoryOp(MemoryOp.newBuilder()
                .setCmd(XENMEM_machine_memory_map).setMemoryMap(XenMemoryMap.newBuilder().setNullBuffer(true))).build()));
    }
}
