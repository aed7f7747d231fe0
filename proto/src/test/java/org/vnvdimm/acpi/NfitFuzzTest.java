package org.vnvdimm.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

/**
 * Seeded mutation fuzzing of real NFIT tables: every mutated buffer must either parse or be rejected with
 * an {@link AcpiParseException}; nothing else may escape and no parse may exceed its step budget.
 */
class NfitFuzzTest {
    private static final long SEED = 0x5EED_AC91_2026L;
    private static final int CASES = 12_000;

    private record Seed(byte[] bytes, List<Integer> structureOffsets) {
    }

    private static Seed seed(byte[] table) {
        return new Seed(table, NfitParser.parseTable(table).structureOffsets());
    }

    @Test
    void mutatedTablesParseOrFailWithAcpiParseExceptionOnly() {
        List<Seed> seeds = List.of(
                seed(NfitSamples.golden()),
                seed(NfitSamples.qemuTable(1, 0)),
                seed(NfitSamples.qemuTable(3, 3)),
                seed(NfitSamples.qemuTable(6, 2)),
                seed(NfitWriter.writeTable(NfitSamples.qemuHeader(), NfitSamples.everyType())));
        SplittableRandom rnd = new SplittableRandom(SEED);
        Outcomes tables = new Outcomes();
        Outcomes fits = new Outcomes();
        for (int i = 0; i < CASES; i++) {
            Seed s = seeds.get(i % seeds.size());
            byte[] m = mutate(s, rnd);
            if (rnd.nextBoolean() && m.length >= 8) {
                Le.put32(m, 4, m.length); // keep the header length consistent so deeper checks are reached
            }
            if (rnd.nextInt(4) != 0 && m.length > AcpiChecksum.CHECKSUM_OFFSET) {
                AcpiChecksum.fix(m);
            }
            tables.run(i, m, true, !Arrays.equals(m, s.bytes()));
            byte[] fit = m.length > 40 ? Arrays.copyOfRange(m, 40, m.length) : m;
            fits.run(i, fit, false, true);
        }
        assertEquals(CASES, tables.parsed + tables.rejected);
        assertTrue(tables.parsedMutated > 100, "mutated tables that still parse: " + tables.parsedMutated);
        assertTrue(tables.rejected > 1000, "rejected tables: " + tables.rejected);
        assertTrue(fits.parsed > 100 && fits.rejected > 100, "fit outcomes " + fits.parsed + "/" + fits.rejected);
        // The mutations must reach the structure checks, not only the header checks.
        for (String field : List.of("Checksum", "Length", "Signature", "Header",
                "SPA Range Structure Index", "System Physical Address Range Base")) {
            assertTrue(tables.rejectedByField.containsKey(field), "no rejection by " + field + ": "
                    + tables.rejectedByField);
        }
        System.out.println("NFIT fuzz, " + CASES + " cases: tables parsed " + tables.parsed + " (mutated "
                + tables.parsedMutated + "), rejected " + tables.rejected + " " + tables.rejectedByField
                + "; fits parsed " + fits.parsed + ", rejected " + fits.rejected);
    }

    private static final class Outcomes {
        int parsed;
        int parsedMutated;
        int rejected;
        final Map<String, Integer> rejectedByField = new TreeMap<>();

        void run(int caseNo, byte[] buf, boolean asTable, boolean mutated) {
            int budget = buf.length / 4 + 1; // every structure is at least 4 bytes
            try {
                ParsedNfit p = asTable ? NfitParser.parseTable(buf, budget) : NfitParser.parseFit(buf, budget);
                parsed++;
                if (mutated) {
                    parsedMutated++;
                }
                checkInvariants(p, buf.length, asTable);
            } catch (AcpiParseException e) {
                rejected++;
                rejectedByField.merge(e.field(), 1, Integer::sum);
                assertNotEquals("parser step budget", e.field(), "case " + caseNo);
                assertTrue(e.offset() >= 0 && e.offset() <= buf.length, "case " + caseNo + ": " + e.getMessage());
            } catch (RuntimeException | StackOverflowError other) {
                fail("case " + caseNo + " threw " + other + " for " + HexFormat.of().formatHex(buf), other);
            }
        }
    }

    private static void checkInvariants(ParsedNfit p, int bufferLength, boolean asTable) {
        int start = asTable ? 40 : 0;
        for (int k = 0; k < p.structures().size(); k++) {
            int off = p.structureOffsets().get(k);
            int encoded = p.structures().get(k).length();
            if (k == 0) {
                assertEquals(start, off, "first structure offset");
            } else {
                int prev = p.structureOffsets().get(k - 1);
                // A declared Length may exceed the canonical encoding, never fall below it.
                assertTrue(off - prev >= Math.max(4, p.structures().get(k - 1).length()), "offsets advance");
            }
            assertTrue(off + encoded <= bufferLength, "structure inside the buffer");
        }
        // Re-encoding what was decoded gives the same structures.
        assertEquals(p.structures(), NfitParser.parseFit(p.encodeFit()).structures());
        assertTrue(p.structures().size() <= bufferLength / 4 + 1);
    }

    private static byte[] mutate(Seed s, SplittableRandom rnd) {
        byte[] b = s.bytes().clone();
        int kinds = 1 + (rnd.nextInt(5) == 0 ? rnd.nextInt(3) : 0);
        for (int k = 0; k < kinds; k++) {
            b = mutateOnce(b, s.structureOffsets(), rnd);
        }
        return b;
    }

    private static byte[] mutateOnce(byte[] b, List<Integer> offsets, SplittableRandom rnd) {
        if (b.length == 0) {
            return b;
        }
        switch (rnd.nextInt(9)) {
            case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
            case 1 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
            case 3 -> {
                if (b.length >= 8) {
                    long[] choices = {0, 36, 39, 40, b.length - 1L, b.length + 1L, b.length + 56L, rnd.nextLong(1L << 32)};
                    Le.put32(b, 4, choices[rnd.nextInt(choices.length)]);
                }
            }
            case 4 -> {
                int off = offsets.get(rnd.nextInt(offsets.size())) + 2;
                if (off + 1 < b.length) {
                    int orig = Le.u16(b, off);
                    int[] choices = {0, 1, 3, 4, 16, 32, 48, 56, 64, 80, orig - 1, orig + 1, orig - 8, orig + 8,
                            rnd.nextInt(0x10000)};
                    Le.put16(b, off, choices[rnd.nextInt(choices.length)] & 0xFFFF);
                }
            }
            case 5 -> {
                int off = offsets.get(rnd.nextInt(offsets.size()));
                if (off + 1 < b.length) {
                    Le.put16(b, off, rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(10));
                }
            }
            case 6 -> {
                int at = rnd.nextInt(b.length + 1);
                byte[] ins = new byte[1 + rnd.nextInt(8)];
                rnd.nextBytes(ins);
                byte[] out = new byte[b.length + ins.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(ins, 0, out, at, ins.length);
                System.arraycopy(b, at, out, at + ins.length, b.length - at);
                b = out;
            }
            case 7 -> {
                int at = rnd.nextInt(b.length);
                int n = Math.min(1 + rnd.nextInt(8), b.length - at);
                byte[] out = new byte[b.length - n];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + n, out, at, b.length - at - n);
                b = out;
            }
            default -> {
                // Field-sized overwrite inside a structure: indexes, bases, counts.
                int off = offsets.get(rnd.nextInt(offsets.size())) + 4 + rnd.nextInt(40);
                if (off + 8 <= b.length) {
                    Le.put64(b, off, rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(8));
                }
            }
        }
        return b;
    }

    @Test
    void mutationSeedsAreValidTables() {
        List<byte[]> all = new ArrayList<>(List.of(NfitSamples.golden(), NfitSamples.qemuTable(6, 2)));
        for (byte[] t : all) {
            assertTrue(NfitParser.parseTable(t).structures().size() >= 4);
        }
    }
}
