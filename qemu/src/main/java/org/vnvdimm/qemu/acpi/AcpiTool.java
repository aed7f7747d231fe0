package org.vnvdimm.qemu.acpi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Facade for the command-line tool: QEMU options in, guest NVDIMM ACPI tables out. The SSDT comes from
 * {@code SsdtBuilder.build(tables.slots(), tables.oemId(), memaAddr)} when {@link AcpiTables#ssdtExpected()}.
 */
public final class AcpiTool {
    public static final String NFIT_FILE_NAME = "NFIT.dat";

    private AcpiTool() {
    }

    /** Parses the options (one string, shell quoting allowed) and builds the NFIT and _FIT. */
    public static AcpiTables build(String qemuOptions) {
        return build(QemuOptions.parse(qemuOptions));
    }

    public static AcpiTables build(List<String> argv) {
        return build(QemuOptions.parse(argv));
    }

    public static AcpiTables build(QemuConfig config) {
        return new AcpiTables(config, NfitBuilder.build(config), NfitBuilder.buildFit(config));
    }

    /**
     * Writes {@code outDir/NFIT.dat} (creating the directory) and returns its path; writes nothing and
     * returns empty when there is no NFIT.
     */
    public static Optional<Path> writeNfit(AcpiTables tables, Path outDir) throws IOException {
        Optional<byte[]> nfit = tables.nfit();
        if (nfit.isEmpty()) {
            return Optional.empty();
        }
        Files.createDirectories(outDir);
        Path file = outDir.resolve(NFIT_FILE_NAME);
        Files.write(file, nfit.get());
        return Optional.of(file);
    }
}
