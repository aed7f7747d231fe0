package org.vnvdimm.qemu.acpi;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.vnvdimm.acpi.NfitStructure;

/** Option strings and golden tables shared by the tests of this package. */
final class QemuAcpiFixtures {
    /**
     * The dimmpxm options of QEMU's bios-tables-test (shared/acpi-golden/README.md), with the test's own
     * "-machine pc -accel tcg -net none" prefix and boot-disk suffix.
     */
    static String goldenOptions(String machine) {
        return "-machine " + machine + " -accel tcg -net none"
                + " -machine nvdimm=on,nvdimm-persistence=cpu -smp 4,sockets=4 -m 128M,slots=3,maxmem=1G"
                + " -object memory-backend-ram,id=ram0,size=32M -object memory-backend-ram,id=ram1,size=32M"
                + " -object memory-backend-ram,id=ram2,size=32M -object memory-backend-ram,id=ram3,size=32M"
                + " -numa node,memdev=ram0,nodeid=0 -numa node,memdev=ram1,nodeid=1"
                + " -numa node,memdev=ram2,nodeid=2 -numa node,memdev=ram3,nodeid=3"
                + " -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1"
                + " -numa cpu,node-id=2,socket-id=2 -numa cpu,node-id=3,socket-id=3"
                + " -object memory-backend-ram,id=ram4,size=128M -object memory-backend-ram,id=nvm0,size=128M"
                + " -device pc-dimm,id=dimm0,memdev=ram4,node=1 -device nvdimm,id=dimm1,memdev=nvm0,node=2"
                + " -drive id=hd0,if=none,file=/tmp/bios-tables-test-disk.raw,format=raw -device ide-hd,drive=hd0";
    }

    /** The README form: one -machine with everything. */
    static final String README_OPTIONS = "-machine pc,nvdimm=on,nvdimm-persistence=cpu -smp 4,sockets=4"
            + " -m 128M,slots=3,maxmem=1G"
            + " -object memory-backend-ram,id=ram0,size=32M -object memory-backend-ram,id=ram1,size=32M"
            + " -object memory-backend-ram,id=ram2,size=32M -object memory-backend-ram,id=ram3,size=32M"
            + " -numa node,memdev=ram0,nodeid=0 -numa node,memdev=ram1,nodeid=1"
            + " -numa node,memdev=ram2,nodeid=2 -numa node,memdev=ram3,nodeid=3"
            + " -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1"
            + " -numa cpu,node-id=2,socket-id=2 -numa cpu,node-id=3,socket-id=3"
            + " -object memory-backend-ram,id=ram4,size=128M -object memory-backend-ram,id=nvm0,size=128M"
            + " -device pc-dimm,id=dimm0,memdev=ram4,node=1 -device nvdimm,id=dimm1,memdev=nvm0,node=2";

    /** Several NVDIMMs on two NUMA nodes, mixed backends (hand-checked in NfitBuilderConfigTest). */
    static final String MULTI_NODE = "-machine pc,nvdimm=on -m 2G,slots=4,maxmem=10G"
            + " -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G"
            + " -numa node,memdev=m0,nodeid=0 -numa node,memdev=m1,nodeid=1"
            + " -object memory-backend-file,id=nv0,size=1G,mem-path=/dev/dax0.0,share=on,align=2M"
            + " -object memory-backend-ram,id=nv1,size=2G"
            + " -object memory-backend-file,id=nv2,size=512M,mem-path=/tmp/nv2,share=on"
            + " -device nvdimm,id=d0,memdev=nv0,node=1 -device nvdimm,id=d1,memdev=nv1,node=0"
            + " -device nvdimm,id=d2,memdev=nv2,node=1";

    /** Explicit slot and addr mixed with automatic placement. */
    static final String EXPLICIT_SLOT_ADDR = "-machine pc,nvdimm=on -m 1G,slots=4,maxmem=9G"
            + " -object memory-backend-ram,id=a,size=1G -object memory-backend-ram,id=b,size=1G"
            + " -object memory-backend-ram,id=c,size=512M"
            + " -device nvdimm,id=n1,memdev=a,slot=3,addr=0x180000000"
            + " -device pc-dimm,id=p1,memdev=b -device nvdimm,id=n2,memdev=c,slot=1";

    /** Label areas on a 2 MiB-aligned RAM backend and a 4 KiB-page file backend. */
    static final String LABELS = "-machine pc,nvdimm=on -m 512M,slots=2,maxmem=4G"
            + " -object memory-backend-ram,id=r,size=128M -device nvdimm,id=l1,memdev=r,label-size=128K"
            + " -object memory-backend-file,id=f,size=128M,mem-path=/tmp/f,share=on"
            + " -device nvdimm,id=l2,memdev=f,label-size=256K";

    /** q35 with 4 GiB RAM (RAM above 4G moves the device memory up) and mem-ctrl persistence. */
    static String bigRam(String machine) {
        return "-machine " + machine + ",nvdimm=on,nvdimm-persistence=mem-ctrl -m 4G,slots=2,maxmem=8G"
                + " -object memory-backend-ram,id=nv0,size=1G -device nvdimm,id=nv,memdev=nv0";
    }

    /** Read-only file backend, so unarmed=on is required. */
    static final String UNARMED = "-machine q35,nvdimm=on -m 1G,slots=1,maxmem=2G"
            + " -object memory-backend-file,id=ro,size=256M,mem-path=/tmp/ro,readonly=on"
            + " -device nvdimm,id=u,memdev=ro,unarmed=on";

    static byte[] resource(String path) throws IOException {
        try (InputStream in = QemuAcpiFixtures.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException("missing test resource " + path);
            }
            return in.readAllBytes();
        }
    }

    static byte[] goldenNfit() throws IOException {
        return resource("/acpi-golden/x86-pc/NFIT.dimmpxm");
    }

    /** Structures as sorted hex strings: compares NFITs whose device order QEMU leaves unspecified. */
    static List<String> orderIndependent(List<NfitStructure> structures) {
        List<String> out = new ArrayList<>();
        for (NfitStructure s : structures) {
            out.add(HexFormat.of().formatHex(s.encode()));
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private QemuAcpiFixtures() {
    }
}
