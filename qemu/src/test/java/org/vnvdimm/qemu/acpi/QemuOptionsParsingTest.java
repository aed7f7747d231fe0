package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vnvdimm.qemu.acpi.QemuConfig.Machine;
import org.vnvdimm.qemu.acpi.QemuConfig.MemoryBackend;
import org.vnvdimm.qemu.acpi.QemuConfig.NvdimmPersistence;

/** Command-line syntax: splitting, key=value lists, sizes, aliases, ignored options. */
class QemuOptionsParsingTest {
    private static final long MIB = 1L << 20;

    @Test
    void shellLikeSplitting() {
        assertEquals(List.of("-device", "nvdimm,id=a b", "-name", "x\"y", "z"),
                QemuArgs.split("  -device 'nvdimm,id=a b'\t-name \"x\\\"y\" \\\n z "));
        assertEquals(List.of("ab", "c d"), QemuArgs.split("a\"b\" c\\ d"));
        assertEquals(List.of(), QemuArgs.split("   "));
    }

    @Test
    void keyValueListsWithImpliedKeyEscapedCommasAndShortBooleans() {
        Map<String, String> kv = QemuValues.keyValues("-machine", "pc,nvdimm,oem-id=a,,b", "type");
        assertEquals(Map.of("type", "pc", "nvdimm", "on", "oem-id", "a,b"), kv);
        assertEquals(List.of("qom-type", "id"),
                List.copyOf(QemuValues.keyValues("-object", "memory-backend-ram,id=x", "qom-type").keySet()));
    }

    @Test
    void qemuSizeSyntax() {
        assertEquals(128 * MIB, QemuValues.size("o", "size", "128M", 1));
        assertEquals(128 * MIB, QemuValues.size("o", "size", "128m", 1));
        assertEquals(3L << 29, QemuValues.size("o", "size", "1.5G", 1));
        assertEquals(4096, QemuValues.size("o", "size", "4096", 1));
        assertEquals(4096, QemuValues.size("o", "size", "4k", 1));
        assertEquals(2L << 40, QemuValues.size("o", "size", "2T", 1));
        assertEquals(0x1000, QemuValues.size("o", "size", "0x1000", 1));
        assertEquals(0xE, QemuValues.size("o", "size", "0xE", 1));
        assertEquals(512 * MIB, QemuValues.size("o", "size", "512", MIB));
        for (String bad : List.of("", "M", "1.5", "12Q", "-1", "0x10M", "99999999999E")) {
            assertEquals("size", org.junit.jupiter.api.Assertions.assertThrows(QemuOptionException.class,
                    () -> QemuValues.size("o", "size", bad, 1), bad).property());
        }
    }

    @Test
    void legacySuffixlessMemoryIsMebibytesAndSizeKeyWorks() {
        assertEquals(512 * MIB, QemuOptions.parse("-m 512").ramSizeBytes());
        QemuConfig c = QemuOptions.parse("-m size=1G,slots=2,maxmem=3G");
        assertEquals(1L << 30, c.ramSizeBytes());
        assertEquals(3L << 30, c.maxRamSizeBytes());
        assertEquals(2, c.ramSlots());
        assertEquals(128 * MIB, QemuOptions.parse("").ramSizeBytes());
        // QEMU rounds RAM up to 8 KiB.
        assertEquals(16 * 1024, QemuOptions.parse("-m size=10000B").ramSizeBytes());
    }

    @Test
    void argvListWithProgramNameAndAliases() {
        QemuConfig c = QemuOptions.parse(List.of("qemu-system-x86_64", "-M", "q35,nvdimm=on",
                "--m", "1G,slots=1,maxmem=2G", "-enable-kvm", "disk.img"));
        assertEquals(Machine.Q35, c.machine());
        assertEquals("pc-q35-10.2", c.machineTypeName());
        assertEquals("kvm", c.accel());
        assertTrue(c.nvdimmEnabled());
        assertTrue(c.notes().stream().anyMatch(n -> n.contains("disk.img")), c.notes().toString());
    }

    @Test
    void laterMachineOptionsOverrideEarlierOnes() {
        QemuConfig c = QemuOptions.parse("-machine pc -machine nvdimm=on,nvdimm-persistence=cpu "
                + "-machine q35,nvdimm-persistence=mem-ctrl");
        assertEquals(Machine.Q35, c.machine());
        assertEquals(NvdimmPersistence.MEM_CTRL, c.persistence().orElseThrow());
        assertEquals(2, c.persistence().get().capabilities());
        assertEquals(Machine.PC, QemuOptions.parse("-M pc-i440fx-9.0").machine());
        assertEquals("pc-i440fx-9.0", QemuOptions.parse("-M pc-i440fx-9.0").machineTypeName());
    }

    @Test
    void harmlessOptionsAreRecordedAsNotes() {
        QemuConfig c = QemuOptions.parse("-nodefaults -nographic -net none -cpu host -bios bios.bin"
                + " -drive file=x.img,if=virtio -device virtio-net-pci,netdev=n0 -smp 2 -accel kvm"
                + " -object iothread,id=io0 -machine pc,hpet=off");
        List<String> notes = c.notes();
        for (String expected : List.of("-nodefaults", "-nographic", "-net none", "-cpu host", "-bios bios.bin",
                "-drive file=x.img", "-device virtio-net-pci", "-object iothread", "-machine hpet=off")) {
            assertTrue(notes.stream().anyMatch(n -> n.startsWith(expected)), expected + " in " + notes);
        }
        assertEquals("2", c.smp().orElseThrow());
        assertEquals("kvm", c.accel());
        assertFalse(c.ssdtExpected());
    }

    @Test
    void backendAlignmentFollowsTheBackendKind() {
        QemuConfig c = QemuOptions.parse("-object memory-backend-ram,id=r,size=8M"
                + " -object memory-backend-file,id=f,size=8M,mem-path=/dev/hugepages/f,align=1G,share=on,pmem=on"
                + " -object memory-backend-file,id=g,size=8M,mem-path=/tmp/g"
                + " -object memory-backend-memfd,id=m,size=8M,hugetlb=on"
                + " -object memory-backend-memfd,id=n,size=8M");
        Map<String, Long> align = new java.util.TreeMap<>();
        for (MemoryBackend b : c.backends()) {
            align.put(b.id(), b.alignBytes());
        }
        assertEquals(Map.of("r", 2 * MIB, "f", 1L << 30, "g", 4096L, "m", 2 * MIB, "n", 4096L), align);
        assertTrue(c.backends().get(1).pmem());
        assertTrue(c.backends().get(4).share());
    }

    @Test
    void noAcpiFlagTurnsAcpiOff() {
        QemuConfig c = QemuOptions.parse("-machine pc,nvdimm=on -m 1G,slots=1,maxmem=2G -no-acpi");
        assertFalse(c.acpiEnabled());
        assertFalse(c.ssdtExpected());
    }
}
