package org.vnvdimm.sim.cli;

import java.util.Locale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import org.vnvdimm.qemu.acpi.AcpiTables;
import org.vnvdimm.qemu.acpi.AcpiTool;
import org.vnvdimm.qemu.acpi.QemuConfig;
import org.vnvdimm.qemu.acpi.QemuOptionException;
import org.vnvdimm.qemu.acpi.SsdtBuilder;
import org.vnvdimm.sim.scenario.FileErrors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "acpi", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = {"Build the NFIT and NVDIMM SSDT real QEMU gives a guest for these QEMU options.",
        "Writes NFIT.dat and SSDT.dat (raw tables, as `iasl -d` reads them)."})
final class AcpiCommand implements Callable<Integer> {
    @Option(names = "--qemu", required = true, paramLabel = "OPTIONS",
            description = "QEMU options, e.g. \"-machine pc,nvdimm=on -m 128M,slots=3,maxmem=1G -object memory-backend-ram,id=nv0,size=128M -device nvdimm,id=d0,memdev=nv0\"")
    String qemu;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for NFIT.dat and SSDT.dat.")
    String out;

    @Option(names = "--mema", paramLabel = "ADDR", defaultValue = "0",
            description = "Guest address of the _DSM page to patch into the SSDT, as firmware does (default 0: QEMU's unpatched value).")
    String mema;

    @Override
    public Integer call() throws Exception {
        AcpiTables t;
        long memaAddr;
        try {
            memaAddr = Long.decode(mema);
            if (memaAddr < 0 || memaAddr > 0xffffffffL) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            System.err.println("vnvdimm acpi: --mema: expected a 32-bit address, got '" + mema + "'");
            return Main.EXIT_BAD_INPUT;
        }
        try {
            t = AcpiTool.build(qemu);
        } catch (QemuOptionException e) {
            System.err.println("qemu-system-x86_64: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        if (out.isBlank()) {
            System.err.println("vnvdimm acpi: --out: expected a folder name, got '" + out + "'");
            return Main.EXIT_BAD_INPUT;
        }
        Path dir;
        try {
            dir = Path.of(out);
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                System.err.println("vnvdimm acpi: --out " + out + ": is not a directory (it is a " + FileErrors.kindOf(dir) + ")");
                return Main.EXIT_BAD_INPUT;
            }
            Files.createDirectories(dir);
        } catch (InvalidPathException e) {
            System.err.println("vnvdimm acpi: --out: expected a folder name, got '" + out + "' (" + e.getReason() + ")");
            return Main.EXIT_BAD_INPUT;
        } catch (IOException e) {
            System.err.println("vnvdimm acpi: --out " + out + ": cannot create the folder: " + FileErrors.describe(e));
            return Main.EXIT_BAD_INPUT;
        }
        for (QemuConfig.MemoryDevice d : t.config().memoryDevices()) {
            System.out.printf(Locale.ROOT, "%-7s slot %d  addr %#x  size %#x  node %d%s%n", d.kind().driver(), d.slot(), d.address(), d.regionSizeBytes(), d.node(),
                    d.labelSizeBytes() > 0 ? String.format(Locale.ROOT, "  label-size %#x", d.labelSizeBytes()) : "");
        }
        try {
            if (t.nfit().isPresent()) {
                write(dir.resolve("NFIT.dat"), t.nfit().get());
            } else {
                System.out.println("no NVDIMM present at boot: QEMU builds no NFIT");
            }
            if (t.ssdtExpected()) {
                write(dir.resolve("SSDT.dat"), SsdtBuilder.build(t.slots(), t.oemId(), memaAddr));
            } else {
                System.out.println("nvdimm=on with memory slots is needed for the NVDIMM SSDT: none built");
            }
        } catch (IOException e) {
            System.err.println("vnvdimm acpi: cannot write the tables: " + FileErrors.describe(e));
            return Main.EXIT_BAD_INPUT;
        }
        return Main.EXIT_OK;
    }

    private static void write(Path p, byte[] table) throws Exception {
        Files.write(p, table);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(table));
        System.out.printf(Locale.ROOT, "wrote %s (%d bytes, sha256 %s)%n", p, table.length, sha);
    }
}
