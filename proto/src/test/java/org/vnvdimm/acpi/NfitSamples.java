package org.vnvdimm.acpi;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Test tables: QEMU's golden NFIT (x86 dimmpxm) and QEMU-shaped tables with several NVDIMMs. */
final class NfitSamples {
    /** tests/data/acpi/x86/pc/NFIT.dimmpxm of QEMU v10.2.0 (240 bytes), see facts/qemu-acpi.md section 1c. */
    static final String GOLDEN_SHA256 = "6a2f220396b936163a88b786a76ebb93e307b8f45547f0174098d2b99875ea33";
    private static final String GOLDEN_HEX = ""
            + "4e464954f000000001d5424f434853204258504320202020010000004258"
            + "504301000000000000000000380004000300000000000200000079d3f066"
            + "f3b47440ac430d3318b78cdb000000080100000000000008000000000880"
            + "000000000000010030000200000000000000040005000000000800000000"
            + "000000000000000000000000000000000000010000000000040050000500"
            + "868001000100000000000000000000000000573412000103000000000000"
            + "000000000000000000000000000000000000000000000000000000000000"
            + "000000000000000000000000000007001000010000000300000000000000";

    private NfitSamples() {
    }

    static byte[] golden() {
        return HexFormat.of().parseHex(GOLDEN_HEX);
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static AcpiHeader qemuHeader() {
        return AcpiHeader.of("NFIT", 1, "BOCHS ", "BXPC    ", 1, "BXPC", 1);
    }

    /** The three structures QEMU emits per NVDIMM, for a device in {@code slot}. */
    static List<NfitStructure> qemuDevice(int slot, long node, long base, long sizeBytes, boolean unarmed) {
        int spaIndex = (slot + 1) << 1;
        return List.of(
                new NfitSpaRange(spaIndex, NfitSpaRange.FLAG_CONTROL_REGION_FOR_HOT_ADD
                        | NfitSpaRange.FLAG_PROXIMITY_DOMAIN_VALID, node, Guid.PERSISTENT_MEMORY, base, sizeBytes,
                        NfitSpaRange.EFI_MEMORY_WB | NfitSpaRange.EFI_MEMORY_NV),
                new NfitMemoryDeviceMap(slot + 1, 0, 0, spaIndex, spaIndex + 1, sizeBytes, 0, 0, 0, 1,
                        unarmed ? NfitMemoryDeviceMap.FLAG_NOT_ARMED : 0),
                NfitControlRegion.pmem(spaIndex + 1, 0x8086, 1, 1, 0x123456 + slot,
                        NfitControlRegion.FORMAT_BYTE_ADDRESSABLE_PMEM));
    }

    /** A QEMU-shaped table with {@code devices} NVDIMMs of 1 GiB on alternating nodes, plus capabilities. */
    static byte[] qemuTable(int devices, long caps) {
        List<NfitStructure> all = new ArrayList<>();
        for (int slot = 0; slot < devices; slot++) {
            all.addAll(qemuDevice(slot, slot % 2, 0x1_0000_0000L + slot * 0x4000_0000L, 0x4000_0000L, slot == 1));
        }
        if (caps != 0) {
            all.add(NfitPlatformCapabilities.of(caps));
        }
        return NfitWriter.writeTable(qemuHeader(), all);
    }

    /** One of every known structure type plus an unknown one, consistent enough to parse. */
    static List<NfitStructure> everyType() {
        List<NfitStructure> all = new ArrayList<>(qemuDevice(0, 3, 0x2_0000_0000L, 0x800_0000L, false));
        all.add(new NfitSpaRange(9, NfitSpaRange.FLAG_LOCATION_COOKIE_VALID, 0, Guid.CONTROL_REGION,
                0xF000_0000L, 0x1000, 1, java.util.OptionalLong.of(0x1122_3344_5566_7788L)));
        all.add(new NfitInterleave(7, 256, List.of(0L, 4L, 8L)));
        all.add(new NfitSmbios(new byte[] {17, 40, 1, 2, 3}));
        all.add(new NfitControlRegion(11, 0x8086, 2, 3, 4, 5, 6, 1, 7, 0x2019, 0xDEADBEEFL, 0x0201, 1, 0x2000,
                0x100, 8, 0x200, 4, 1, NfitControlRegion.LENGTH_BYTES));
        all.add(new NfitControlRegion(12, 1, 2, 3, 0, 0, 0, 0, 0, 0, 42, 0x0301, 0, 0, 0, 0, 0, 0, 0,
                NfitControlRegion.SHORT_LENGTH_BYTES));
        all.add(new NfitBlockDataWindow(11, 2, 0x1000, 0x2000, 0x4000_0000L, 0));
        all.add(new NfitFlushHintAddress(1, List.of(0xFED0_0000L, 0xFED0_1000L)));
        all.add(NfitPlatformCapabilities.of(NfitPlatformCapabilities.CAP_MEMORY_CONTROLLER_FLUSH));
        byte[] unknown = {0x2A, 0, 8, 0, 1, 2, 3, 4};
        all.add(new NfitUnknown(42, unknown));
        return all;
    }
}
