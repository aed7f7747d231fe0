package org.vnvdimm.qemu.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.vnvdimm.acpi.AcpiChecksum;
import org.vnvdimm.acpi.AcpiParseException;
import org.vnvdimm.acpi.NfitParser;
import org.vnvdimm.acpi.ParsedNfit;
import org.vnvdimm.qemu.acpi.QemuConfig.MemoryDevice;

/**
 * Seeded fuzzing on the QEMU side: (1) mutations of NFITs this builder produces for several devices must
 * parse or fail with AcpiParseException only; (2) random QEMU command lines must give either a consistent
 * configuration whose NFIT parses cleanly, or a QemuOptionException, never anything else.
 */
class QemuAcpiFuzzTest {
    @Test
    void mutatedBuilderTablesParseOrFailWithAcpiParseExceptionOnly() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(QemuAcpiFixtures.goldenNfit());
        for (String o : List.of(QemuAcpiFixtures.MULTI_NODE, QemuAcpiFixtures.EXPLICIT_SLOT_ADDR,
                QemuAcpiFixtures.LABELS, QemuAcpiFixtures.UNARMED, QemuAcpiFixtures.bigRam("q35"))) {
            seeds.add(AcpiTool.build(o).nfit().orElseThrow());
        }
        SplittableRandom rnd = new SplittableRandom(0xACB1_F17EL);
        int parsed = 0;
        int rejected = 0;
        Map<String, Integer> byField = new TreeMap<>();
        int cases = 10_000;
        for (int i = 0; i < cases; i++) {
            byte[] m = mutate(seeds.get(i % seeds.size()), rnd);
            if (rnd.nextBoolean() && m.length >= 8) {
                m[4] = (byte) m.length;
                m[5] = (byte) (m.length >>> 8);
                m[6] = 0;
                m[7] = 0;
            }
            if (rnd.nextInt(4) != 0 && m.length > 9) {
                AcpiChecksum.fix(m);
            }
            try {
                ParsedNfit p = NfitParser.parseTable(m, m.length / 4 + 1);
                parsed++;
                assertEquals(p.structures(), NfitParser.parseFit(p.encodeFit()).structures());
            } catch (AcpiParseException e) {
                rejected++;
                byField.merge(e.field(), 1, Integer::sum);
                assertTrue(e.offset() >= 0 && e.offset() <= m.length, e.getMessage());
                assertTrue(!e.field().equals("parser step budget"), e.getMessage());
            } catch (RuntimeException other) {
                fail("case " + i + " threw " + other + " on " + HexFormat.of().formatHex(m), other);
            }
        }
        assertTrue(parsed > 100 && rejected > 1000, "parsed " + parsed + ", rejected " + rejected);
        assertTrue(byField.containsKey("System Physical Address Range Base"), byField.toString());
        System.out.println("builder NFIT fuzz, " + cases + " cases: parsed " + parsed + ", rejected " + rejected
                + " " + byField);
    }

    private static byte[] mutate(byte[] seed, SplittableRandom rnd) {
        byte[] b = seed.clone();
        switch (rnd.nextInt(6)) {
            case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
            case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
            case 2 -> { // a structure Length field (structures start at 40, QEMU's are 56/48/80/16 long)
                int off = 40;
                int hops = rnd.nextInt(4);
                while (hops-- > 0 && off + 4 <= b.length) {
                    off += (b[off + 2] & 0xFF) | (b[off + 3] & 0xFF) << 8;
                }
                if (off + 4 <= b.length) {
                    int v = rnd.nextInt(3) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(100);
                    b[off + 2] = (byte) v;
                    b[off + 3] = (byte) (v >>> 8);
                }
            }
            case 3 -> { // an 8-byte field inside the first structures: base, size, indexes
                int off = 40 + rnd.nextInt(Math.max(1, b.length - 48));
                long v = rnd.nextInt(2) == 0 ? rnd.nextLong() : 0x1_0000_0000L + rnd.nextInt(1 << 20) * 4096L;
                for (int k = 0; k < 8 && off + k < b.length; k++) {
                    b[off + k] = (byte) (v >>> (8 * k));
                }
            }
            case 4 -> {
                int at = rnd.nextInt(b.length + 1);
                byte[] ins = new byte[1 + rnd.nextInt(8)];
                rnd.nextBytes(ins);
                byte[] out = new byte[b.length + ins.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(ins, 0, out, at, ins.length);
                System.arraycopy(b, at, out, at + ins.length, b.length - at);
                b = out;
            }
            default -> {
                int at = rnd.nextInt(b.length);
                int n = Math.min(1 + rnd.nextInt(8), b.length - at);
                byte[] out = new byte[b.length - n];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + n, out, at, b.length - at - n);
                b = out;
            }
        }
        return b;
    }

    @Test
    void randomCommandLinesGiveAConsistentConfigOrAQemuOptionException() {
        SplittableRandom rnd = new SplittableRandom(0x0917_10E5L);
        int accepted = 0;
        int acceptedSeveralNvdimms = 0;
        int refused = 0;
        Map<String, Integer> refusedBy = new TreeMap<>();
        int cases = 2_000;
        for (int i = 0; i < cases; i++) {
            String options = randomOptions(rnd);
            QemuConfig c;
            try {
                c = QemuOptions.parse(options);
            } catch (QemuOptionException e) {
                refused++;
                refusedBy.merge(e.property(), 1, Integer::sum);
                assertTrue(options.contains(e.option()) || e.option().equals("-numa"), e.getMessage());
                continue;
            } catch (RuntimeException other) {
                fail("case " + i + " threw " + other + " for: " + options, other);
                return;
            }
            accepted++;
            if (c.nvdimms().size() >= 2) {
                acceptedSeveralNvdimms++;
            }
            checkConsistent(c, options);
        }
        assertTrue(accepted > 200 && refused > 200, "accepted " + accepted + ", refused " + refused);
        assertTrue(acceptedSeveralNvdimms > 20, "accepted with 2+ NVDIMMs: " + acceptedSeveralNvdimms);
        System.out.println("QEMU option fuzz, " + cases + " cases: accepted " + accepted + " ("
                + acceptedSeveralNvdimms + " with 2+ NVDIMMs), refused " + refused
                + " by property " + refusedBy);
    }

    private static void checkConsistent(QemuConfig c, String options) {
        List<MemoryDevice> devices = c.memoryDevices();
        long used = 0;
        for (int i = 0; i < devices.size(); i++) {
            MemoryDevice d = devices.get(i);
            QemuConfig.DeviceMemoryRegion r = c.deviceMemory().orElseThrow();
            assertTrue(d.address() >= r.baseAddress() && d.endAddress() <= r.endAddress(), options);
            assertEquals(0, d.address() % d.alignBytes(), options);
            assertTrue(d.slot() >= 0 && d.slot() < c.ramSlots(), options);
            used += d.regionSizeBytes();
            for (int j = 0; j < i; j++) {
                MemoryDevice e = devices.get(j);
                assertTrue(d.slot() != e.slot(), "slots differ: " + options);
                assertTrue(d.endAddress() <= e.address() || e.endAddress() <= d.address(), "no overlap: " + options);
            }
        }
        assertTrue(used <= c.maxRamSizeBytes() - c.ramSizeBytes(), options);
        AcpiTables t = AcpiTool.build(c);
        if (c.nvdimms().isEmpty()) {
            assertTrue(t.nfit().isEmpty(), options);
        } else {
            ParsedNfit p = NfitParser.parseTable(t.nfit().orElseThrow()); // no overlaps, indexes resolve
            assertEquals(c.nvdimms().size(), p.spaRanges().size(), options);
        }
    }

    private static final String[] SIZES = {"64M", "128M", "130M", "256M", "1G", "2G", "3M", "512K", "1536M"};

    private static String randomOptions(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        String machine = new String[] {"pc", "q35", "xenfv", "pc-i440fx-8.2"}[rnd.nextInt(4)];
        sb.append("-machine ").append(machine);
        if (rnd.nextInt(6) != 0) {
            sb.append(",nvdimm=on");
        }
        if (rnd.nextInt(3) == 0) {
            sb.append(",nvdimm-persistence=").append(rnd.nextBoolean() ? "cpu" : "mem-ctrl");
        }
        String ram = new String[] {"128M", "1G", "3G", "4G", "512"}[rnd.nextInt(5)];
        int slots = rnd.nextInt(6);
        String maxmem = new String[] {"2G", "8G", "16G", "5G"}[rnd.nextInt(4)];
        sb.append(" -m ").append(ram);
        if (rnd.nextInt(8) != 0) {
            sb.append(",slots=").append(slots).append(",maxmem=").append(maxmem);
        }
        int backends = 1 + rnd.nextInt(5);
        for (int b = 0; b < backends; b++) {
            String size = SIZES[rnd.nextInt(SIZES.length)];
            switch (rnd.nextInt(3)) {
                case 0 -> sb.append(" -object memory-backend-ram,id=b").append(b).append(",size=").append(size);
                case 1 -> sb.append(" -object memory-backend-file,id=b").append(b).append(",size=").append(size)
                        .append(",mem-path=/tmp/b").append(b).append(rnd.nextBoolean() ? ",align=2M" : "")
                        .append(rnd.nextInt(5) == 0 ? ",readonly=on" : "");
                default -> sb.append(" -object memory-backend-memfd,id=b").append(b).append(",size=").append(size);
            }
        }
        int devices = rnd.nextInt(5);
        for (int d = 0; d < devices; d++) {
            boolean nv = rnd.nextInt(3) != 0;
            sb.append(" -device ").append(nv ? "nvdimm" : "pc-dimm").append(",id=dev").append(d)
                    // Mostly a backend of its own; sometimes a shared or missing one.
                    .append(",memdev=b").append(rnd.nextInt(8) == 0 ? rnd.nextInt(backends + 1) : d);
            if (rnd.nextInt(4) == 0) {
                sb.append(",slot=").append(rnd.nextInt(6));
            }
            if (rnd.nextInt(5) == 0) {
                sb.append(",addr=0x").append(Long.toHexString(0x1_0000_0000L + rnd.nextInt(16) * 0x1000_0000L
                        + (rnd.nextInt(4) == 0 ? 0x1000 : 0)));
            }
            if (nv && rnd.nextInt(3) == 0) {
                sb.append(",label-size=").append(new String[] {"128K", "256K", "64K", "1M"}[rnd.nextInt(4)]);
            }
            if (nv && rnd.nextInt(4) == 0) {
                sb.append(",unarmed=on");
            }
            if (rnd.nextInt(6) == 0) {
                sb.append(",node=").append(rnd.nextInt(2));
            }
        }
        return sb.toString();
    }
}
