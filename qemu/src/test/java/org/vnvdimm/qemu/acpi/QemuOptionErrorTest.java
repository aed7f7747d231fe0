package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each refused configuration names the option and property and carries QEMU's message. */
class QemuOptionErrorTest {
    /** -m 128M,slots=3,maxmem=1G with one 128 MiB RAM backend nvm0. */
    private static final String BASE = "-machine pc,nvdimm=on -m 128M,slots=3,maxmem=1G"
            + " -object memory-backend-ram,id=nvm0,size=128M ";

    private static QemuOptionException fails(String options) {
        return assertThrows(QemuOptionException.class, () -> QemuOptions.parse(options));
    }

    private static void check(String options, String option, String property, String message) {
        QemuOptionException e = fails(options);
        assertEquals(option, e.option(), "option of: " + e.getMessage());
        assertEquals(property, e.property(), "property of: " + e.getMessage());
        assertEquals(message, e.qemuMessage());
        assertEquals(option + ": " + message, e.getMessage());
    }

    @Test
    void nvdimmWithoutMachineNvdimmOn() {
        check("-m 128M,slots=3,maxmem=1G -object memory-backend-ram,id=nvm0,size=128M"
                        + " -device nvdimm,id=dimm1,memdev=nvm0",
                "-device nvdimm,id=dimm1,memdev=nvm0", "", "nvdimm is not enabled: missing 'nvdimm' in '-M'");
    }

    @Test
    void labelSizeBelow128KiB() {
        check(BASE + "-device nvdimm,id=dimm1,memdev=nvm0,label-size=64K",
                "-device nvdimm,id=dimm1,memdev=nvm0,label-size=64K", "label-size",
                "Property 'nvdimm.label-size' (0x10000) is required at least 0x20000");
        check(BASE + "-device nvdimm,id=dimm1,memdev=nvm0,label-size=0",
                "-device nvdimm,id=dimm1,memdev=nvm0,label-size=0", "label-size",
                "Property 'nvdimm.label-size' (0x0) is required at least 0x20000");
    }

    @Test
    void backendNotLargerThanLabelOrNoAlignedPmemLeft() {
        check("-M pc,nvdimm=on -m 128M,slots=1,maxmem=1G"
                        + " -object memory-backend-file,id=tiny,size=128K,mem-path=/tmp/t"
                        + " -device nvdimm,memdev=tiny,label-size=128K",
                "-device nvdimm,memdev=tiny,label-size=128K", "label-size",
                "the size of memdev tiny (0x20000) is too small to contain nvdimm label (0x20000) and aligned "
                        + "PMEM (0x1000)");
        check("-M pc,nvdimm=on -m 128M,slots=1,maxmem=1G -object memory-backend-ram,id=r,size=2M"
                        + " -device nvdimm,memdev=r,label-size=128K",
                "-device nvdimm,memdev=r,label-size=128K", "label-size",
                "the size of memdev r (0x200000) is too small to contain nvdimm label (0x20000) and aligned "
                        + "PMEM (0x200000)");
    }

    @Test
    void addressNotAligned() {
        check(BASE + "-device nvdimm,id=d,memdev=nvm0,addr=0x100001000",
                "-device nvdimm,id=d,memdev=nvm0,addr=0x100001000", "addr",
                "address must be aligned to 0x200000 bytes");
    }

    @Test
    void addressOverlappingAnotherDevice() {
        check(BASE + "-object memory-backend-ram,id=r2,size=128M -device pc-dimm,id=dimm0,memdev=r2"
                        + " -device nvdimm,id=d,memdev=nvm0,addr=0x104000000",
                "-device nvdimm,id=d,memdev=nvm0,addr=0x104000000", "addr",
                "address range conflicts with memory device id='dimm0'");
    }

    @Test
    void addressOutsideTheDeviceMemoryRegion() {
        // Region: base 4 GiB, size (1G - 128M) + 3 x 1G = 0xF8000000.
        check(BASE + "-device nvdimm,id=d,memdev=nvm0,addr=0x80000000",
                "-device nvdimm,id=d,memdev=nvm0,addr=0x80000000", "addr",
                "can't add memory device [0x80000000:0x8000000], usable range for memory devices "
                        + "[0x100000000:0xf8000000]");
        check(BASE + "-device nvdimm,id=d,memdev=nvm0,addr=0x1f4000000",
                "-device nvdimm,id=d,memdev=nvm0,addr=0x1f4000000", "addr",
                "can't add memory device [0x1f4000000:0x8000000], usable range for memory devices "
                        + "[0x100000000:0xf8000000]");
    }

    @Test
    void slotOutOfRangeOrBusyOrExhausted() {
        check(BASE + "-device nvdimm,id=d,memdev=nvm0,slot=3", "-device nvdimm,id=d,memdev=nvm0,slot=3", "slot",
                "invalid slot number 3, valid range is [0-2]");
        check(BASE + "-object memory-backend-ram,id=r2,size=64M -device pc-dimm,id=p,memdev=r2"
                        + " -device nvdimm,id=d,memdev=nvm0,slot=0",
                "-device nvdimm,id=d,memdev=nvm0,slot=0", "slot", "slot 0 is busy");
        check("-M pc,nvdimm=on -m 128M,slots=1,maxmem=1G -object memory-backend-ram,id=a,size=64M"
                        + " -object memory-backend-ram,id=b,size=64M -device pc-dimm,memdev=a -device nvdimm,memdev=b",
                "-device nvdimm,memdev=b", "slot", "no free slots available");
        check("-M pc,nvdimm=on -object memory-backend-ram,id=a,size=64M -device nvdimm,memdev=a",
                "-device nvdimm,memdev=a", "slot", "no slots where allocated, please specify the 'slots' option");
        check("-M pc,nvdimm=on -object memory-backend-ram,id=a,size=64M -device nvdimm,memdev=a,slot=0",
                "-device nvdimm,memdev=a,slot=0", "slot", "invalid slot number 0, valid range is "
                        + "[0-18446744073709551615]");
    }

    @Test
    void maxmemBelowRamPlusDevices() {
        check("-M pc,nvdimm=on -m 128M,slots=3,maxmem=256M -object memory-backend-ram,id=a,size=128M"
                        + " -object memory-backend-ram,id=b,size=128M -device pc-dimm,memdev=a -device nvdimm,memdev=b",
                "-device nvdimm,memdev=b", "memdev",
                "not enough space, currently 0x8000000 in use of total space for memory devices 0x8000000");
        check("-m 1G,slots=1,maxmem=512M", "-m 1G,slots=1,maxmem=512M", "maxmem",
                "invalid value of maxmem: maximum memory size (0x20000000) must be at least the initial memory "
                        + "size (0x40000000)");
        check("-m 1G,slots=1,maxmem=1G", "-m 1G,slots=1,maxmem=1G", "maxmem",
                "invalid value of maxmem: memory slots were specified but maximum memory size (0x40000000) is "
                        + "equal to the initial memory size (0x40000000)");
        check("-m 1G,slots=1", "-m 1G,slots=1", "slots", "slots specified but no max-size");
        check("-m 1G,slots=257,maxmem=2G", "-m 1G,slots=257,maxmem=2G", "slots",
                "unsupported amount of memory slots: 257");
    }

    @Test
    void unknownMemdevAndMemdevUsedTwice() {
        check(BASE + "-device nvdimm,id=d,memdev=nope", "-device nvdimm,id=d,memdev=nope", "memdev",
                "Device 'nope' not found");
        check(BASE + "-device nvdimm,id=d1,memdev=nvm0 -device nvdimm,id=d2,memdev=nvm0",
                "-device nvdimm,id=d2,memdev=nvm0", "memdev", "can't use already busy memdev: nvm0");
        check("-M pc,nvdimm=on -m 128M,slots=2,maxmem=1G -object memory-backend-ram,id=r,size=128M"
                        + " -numa node,memdev=r -device nvdimm,memdev=r",
                "-device nvdimm,memdev=r", "memdev", "can't use already busy memdev: r");
        check("-m 128M -object memory-backend-ram,id=r,size=64M -numa node,memdev=r -numa node,memdev=r",
                "-numa", "memdev", "memory backend r can't be used multiple times.");
    }

    @Test
    void backendSizeNotAMultipleOfItsAlignment() {
        check(BASE + "-object memory-backend-ram,id=odd,size=3M -device pc-dimm,id=p,memdev=odd",
                "-device pc-dimm,id=p,memdev=odd", "memdev", "backend memory size must be multiple of 0x200000");
        check(BASE + "-object memory-backend-file,id=f,size=3M,mem-path=/tmp/f,align=2M -device pc-dimm,memdev=f",
                "-device pc-dimm,memdev=f", "memdev", "backend memory size must be multiple of 0x200000");
    }

    @Test
    void missingIdMemdevOrSize() {
        check("-object memory-backend-ram,size=1G", "-object memory-backend-ram,size=1G", "id",
                "Parameter 'id' is missing");
        check("-object id=x,size=1G", "-object id=x,size=1G", "qom-type", "Parameter 'qom-type' is missing");
        check(BASE + "-device nvdimm,id=d", "-device nvdimm,id=d", "memdev", "'memdev' property must be set");
        check(BASE + "-device pc-dimm,id=d", "-device pc-dimm,id=d", "memdev", "'memdev' property must be set");
        check("-object memory-backend-ram,id=r", "-object memory-backend-ram,id=r", "size",
                "can't create backend with size 0");
        check("-object memory-backend-file,id=f,size=1G", "-object memory-backend-file,id=f,size=1G", "mem-path",
                "mem-path property not set");
        check("-object memory-backend-ram,id=9r,size=1G", "-object memory-backend-ram,id=9r,size=1G", "id",
                "Parameter 'id' expects an identifier");
    }

    @Test
    void readOnlyBackendNeedsUnarmed() {
        check(QemuAcpiFixtures.UNARMED.replace(",unarmed=on", ""), "-device nvdimm,id=u,memdev=ro", "unarmed",
                "'unarmed' property must be 'on' since memdev ro is read-only");
    }

    @Test
    void machineOptionErrors() {
        check("-machine pc,nvdimm-persistence=disk", "-machine pc,nvdimm-persistence=disk", "nvdimm-persistence",
                "-machine nvdimm-persistence=disk: unsupported option");
        check("-machine pc,oem-id=SEVENCH", "-machine pc,oem-id=SEVENCH", "oem-id",
                "User specified oem-id value is bigger than 6 bytes in size");
        check("-machine q35,oem-table-id=NINECHARS", "-machine q35,oem-table-id=NINECHARS", "oem-table-id",
                "User specified oem-table-id value is bigger than 8 bytes in size");
        check("-machine pc,frobnicate=on", "-machine pc,frobnicate=on", "frobnicate",
                "Property 'pc-i440fx-10.2-machine.frobnicate' not found");
        check("-machine microvm", "-machine microvm", "type", "unsupported machine type: \"microvm\" (modelled: "
                + "pc, q35, xenfv and their versioned names)");
        check("-machine pc,max-ram-below-4g=5G", "-machine pc,max-ram-below-4g=5G", "max-ram-below-4g",
                "Machine option 'max-ram-below-4g=5368709120' expects size less than or equal to 4G");
        check("-machine xenfv -accel tcg", "-accel tcg", "accel", "xenfv machine requires the xen accelerator");
        check("-accel warp", "-accel warp", "accel", "invalid accelerator warp");
    }

    @Test
    void acpiOffRefusesMemoryDevices() {
        check(BASE.replace("nvdimm=on", "nvdimm=on,acpi=off") + "-device nvdimm,memdev=nvm0",
                "-device nvdimm,memdev=nvm0", "",
                "memory hotplug is not enabled: missing acpi device or acpi disabled");
    }

    @Test
    void deviceErrors() {
        check(BASE + "-device nvdimm,id=d,memdev=nvm0,colour=red", "-device nvdimm,id=d,memdev=nvm0,colour=red",
                "colour", "Property 'nvdimm.colour' not found");
        check(BASE + "-device pc-dimm,id=d,memdev=nvm0,label-size=128K",
                "-device pc-dimm,id=d,memdev=nvm0,label-size=128K", "label-size",
                "Property 'pc-dimm.label-size' not found");
        check(BASE + "-object memory-backend-ram,id=x,size=64M -device nvdimm,id=d,memdev=nvm0"
                        + " -device pc-dimm,id=d,memdev=x",
                "-device pc-dimm,id=d,memdev=x", "id", "Duplicate ID 'd' for device");
        check(BASE + "-device nvdimm,memdev=nvm0,node=1", "-device nvdimm,memdev=nvm0,node=1", "node",
                "'DIMM property node has value 1' which exceeds the number of numa nodes: 1");
        check(BASE + "-device nvdimm,memdev=nvm0,unarmed=maybe", "-device nvdimm,memdev=nvm0,unarmed=maybe",
                "unarmed", "Parameter 'unarmed' expects 'on' or 'off'");
        check(BASE + "-device virtio-mem-pci,id=vm0,memdev=nvm0", "-device virtio-mem-pci,id=vm0,memdev=nvm0",
                "driver", "device virtio-mem-pci takes device-memory space; its placement is not modelled");
    }

    @Test
    void numaErrors() {
        check("-m 128M -object memory-backend-ram,id=a,size=64M -numa node,memdev=a",
                "-numa", "memdev", "total memory for NUMA nodes (0x4000000) should equal RAM size (0x8000000)");
        check("-m 128M -numa node,memdev=ghost", "-numa node,memdev=ghost", "memdev", "memdev=ghost is ambiguous");
        check("-m 128M -object memory-backend-ram,id=a,size=128M -numa node,memdev=a,nodeid=1",
                "-numa", "nodeid", "numa: Node ID missing: 0");
        check("-m 128M -numa node,mem=128M", "-numa node,mem=128M", "mem",
                "Parameter -numa node,mem is not supported by this machine type (Use -numa node,memdev instead)");
        check("-m 128M -object memory-backend-ram,id=a,size=128M -numa node,memdev=a,nodeid=0 -numa node,nodeid=0",
                "-numa node,nodeid=0", "nodeid", "Duplicate NUMA nodeid: 0");
        check("-m 128M -numa cpu,node-id=2,socket-id=0", "-numa cpu,node-id=2,socket-id=0", "node-id",
                "Invalid node-id=2, NUMA node must be defined with -numa node,nodeid=ID before it's used with "
                        + "-numa cpu,node-id=ID");
    }

    @Test
    void commandLineErrors() {
        check("-frobnicate", "-frobnicate", "", "invalid option");
        check("-m", "-m", "", "requires an argument");
        check("-m lots", "-m lots", "size", "Parameter 'size' expects a non-negative number below 2^64");
        check("-readconfig vm.cfg", "-readconfig vm.cfg", "",
                "configuration files are not modelled; give the options on the command line");
        check("-m 1G -device 'nvdimm,id=x", "<command line>", "", "unterminated ' quote at character 14");
        check("-global nvdimm.label-size=128K", "-global nvdimm.label-size=128K", "",
                "-global defaults for nvdimm are not modelled; set the property on the option itself");
    }

    @Test
    void addressSpaceReachingTheAmdHyperTransportHole() {
        // Region ends at 4G + 1009G + 1 x 1G = 1014 GiB; plus the 2 GiB pc hole64 -> 1016 GiB - 1.
        check("-M pc,nvdimm=on -m 1G,slots=1,maxmem=1010G", "-m 1G,slots=1,maxmem=1010G", "maxmem",
                "highest guest address 0xfdffffffff reaches the AMD HyperTransport hole at 0xfd00000000, where "
                        + "QEMU relocates above-4G memory to 1 TiB; not modelled");
        // Just below the hole is accepted.
        QemuOptions.parse("-M pc,nvdimm=on -m 1G,slots=1,maxmem=1000G");
    }

    @Test
    void xenfvOfTheTwoXEraHasNoHyperTransportCheck() {
        // The same layout under xenfv (QEMU 2.x had no such check; it came with QEMU 7.1).
        QemuOptions.parse("-M xenfv,nvdimm=on -m 1G,slots=1,maxmem=1010G");
        // A 1 TiB vNVDIMM behind 512 MiB of RAM: device memory from 4 GiB, the device ends past 0xfd00000000.
        QemuConfig c = QemuOptions.parse("-M xenfv,nvdimm=on -m 512M,slots=2,maxmem=1049088M"
                + " -object memory-backend-file,id=m1,mem-path=/mnt/pmem0/vm1.img,size=1T,share=on,align=2M"
                + " -device nvdimm,id=n1,memdev=m1,label-size=128K");
        QemuConfig.MemoryDevice d = c.nvdimms().get(0);
        assertTrue(d.address() + d.regionSizeBytes() > 0xfd_0000_0000L, Long.toHexString(d.address()));
        // The same devices on pc (QEMU 10.2's rules) still reach the hole and are refused.
        QemuOptionException e = assertThrows(QemuOptionException.class, () -> QemuOptions.parse("-M pc,nvdimm=on -m 512M,slots=2,maxmem=1049088M"
                + " -object memory-backend-file,id=m1,mem-path=/mnt/pmem0/vm1.img,size=1T,share=on,align=2M"
                + " -device nvdimm,id=n1,memdev=m1,label-size=128K"));
        assertTrue(e.getMessage().contains("HyperTransport"), e.getMessage());
    }
}
