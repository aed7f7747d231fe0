package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.CreateFile;
import org.vnvdimm.proto.Design;
import org.vnvdimm.proto.DimmConfig;
import org.vnvdimm.proto.DomainConfig;
import org.vnvdimm.proto.Expect;
import org.vnvdimm.proto.GuestWorkload;
import org.vnvdimm.proto.Limits;
import org.vnvdimm.proto.Mkfs;
import org.vnvdimm.proto.NdctlCreateNamespace;
import org.vnvdimm.proto.PlatformConfig;
import org.vnvdimm.proto.PowerOn;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Step;
import org.vnvdimm.proto.VnvdimmConfig;
import org.vnvdimm.proto.XlCreate;
import org.vnvdimm.proto.XlPmemSetup;

class ScenarioLoaderTest {

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    /** What ScenarioTexts.VALID must map to, written out field by field. */
    private static Scenario expectedValid() {
        return Scenario.newBuilder()
                .setName("basic-vnvdimm")
                .setDescription("one guest, one vNVDIMM")
                .setSeed(0x5eed0001L)
                .setDesign(Design.newBuilder().setProfile("seeds").setFrametable("pmem-mgmt")
                        .setMappingCheck("on").setDiscovery("dom0-reports"))
                .setPlatform(PlatformConfig.newBuilder()
                        .setRamBytes(4 * GIB).setE820Pmem(true).setNrCpus(4)
                        .addDimms(DimmConfig.newBuilder().setHandle(1).setSizeBytes(16 * GIB).setLabelBytes(128 * KIB).setPxm(0))
                        .addDimms(DimmConfig.newBuilder().setHandle(2).setSpa(0x800000000L).setSizeBytes(1073741824L)))
                .addSteps(Step.newBuilder().setPowerOn(PowerOn.getDefaultInstance()))
                .addSteps(Step.newBuilder().setNdctl(NdctlCreateNamespace.newBuilder().setRegion("region0").setMode("fsdax").setMap("xen")))
                .addSteps(Step.newBuilder().setPmemSetup(XlPmemSetup.newBuilder().setFromNamespace("namespace0.0")))
                .addSteps(Step.newBuilder().setMkfs(Mkfs.newBuilder().setDev("/dev/pmem0").setType("xfs").setMount("/mnt/pmem0").setFragment(3)))
                .addSteps(Step.newBuilder().setFile(CreateFile.newBuilder().setPath("/mnt/pmem0/vm1.img").setSizeBytes(GIB).setExtents(4)))
                .addSteps(Step.newBuilder().setXlCreate(XlCreate.newBuilder().setDomain(DomainConfig.newBuilder()
                        .setName("vm1").setMemoryBytes(512 * MIB).setVcpus(2)
                        .addVnvdimms(VnvdimmConfig.newBuilder().setFile("/mnt/pmem0/vm1.img").setLabelBytes(128 * KIB).setSlot(-1))
                        .setWorkload(GuestWorkload.newBuilder().setPatternBytes(64 * KIB).setPatternSeed(42)))))
                .addSteps(Step.newBuilder().setPowerOn(PowerOn.getDefaultInstance()))
                .setExpect(Expect.getDefaultInstance())
                .setLimits(Limits.newBuilder().setMaxDeliveries(100_000))
                .build();
    }

    @Test
    void validScenarioMapsToTheExpectedMessage() throws ScenarioException {
        Scenario s = ScenarioLoader.parse(ScenarioTexts.VALID, "valid.yaml");
        assertEquals(expectedValid(), s);
        // The same facts spelled out, so a failure names the field that went wrong.
        assertEquals(0x5eed0001L, s.getSeed(), "hex with '_'");
        assertEquals(4 * GIB, s.getPlatform().getRamBytes(), "4GiB");
        assertEquals(16 * GIB, s.getPlatform().getDimms(0).getSizeBytes(), "16G");
        assertEquals(128 * KIB, s.getPlatform().getDimms(0).getLabelBytes(), "128 KiB with a space");
        assertEquals(0x800000000L, s.getPlatform().getDimms(1).getSpa(), "0x8_0000_0000");
        assertEquals(1073741824L, s.getPlatform().getDimms(1).getSizeBytes(), "decimal with '_'");
        assertTrue(s.getPlatform().getE820Pmem(), "yes is true");
        assertEquals(8 - 1, s.getStepsCount());
        assertEquals(Step.ActionCase.POWER_ON, s.getSteps(0).getActionCase(), "power_on: {}");
        assertEquals(Step.ActionCase.POWER_ON, s.getSteps(6).getActionCase(), "power_on: with no value");
        assertEquals(Step.ActionCase.XL_CREATE, s.getSteps(5).getActionCase());
        assertEquals(-1, s.getSteps(5).getXlCreate().getDomain().getVnvdimms(0).getSlot(), "negative int32");
        assertEquals("on", s.getDesign().getMappingCheck(), "a plain 'on' stays the string on for a string field");
        assertTrue(s.hasExpect(), "violations: [] still makes expect present");
    }

    @Test
    void sourceMapKnowsWhereValuesWereWritten() throws ScenarioException {
        LoadedScenario loaded = ScenarioLoader.parseWithSource(ScenarioTexts.VALID, "valid.yaml");
        SourceMap where = loaded.source();
        assertEquals(new SourceMap.Position(20, 12, "0x8_0000_0000"), where.exact("platform.dimms[1].spa").orElseThrow());
        assertEquals(new SourceMap.Position(40, 26, "128KiB"),
                where.exact("steps[5].xl_create.domain.vnvdimms[0].label_bytes").orElseThrow());
        assertEquals(new SourceMap.Position(24, 5, null), where.exact("steps[1]").orElseThrow(), "a step item starts after '- '");
        assertFalse(where.given("platform.dimms[1].pxm"));
        // A field left out resolves to the nearest enclosing value: the second DIMM's mapping.
        assertEquals(new SourceMap.Position(19, 7, null), where.nearest("platform.dimms[1].pxm").orElseThrow());
        assertEquals(new SourceMap.Position(2, 1, null), where.nearest("no_such_top_level").orElseThrow(), "the document");
        assertEquals(expectedValid(), loaded.scenario());
    }

    @Test
    void loadReadsAFileByPathAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, ScenarioTexts.VALID, StandardCharsets.UTF_8);
        assertEquals(expectedValid(), ScenarioLoader.load(good));

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, ScenarioTexts.with("ram_bytes: 4GiB", "ram_bytes: 4GB"), StandardCharsets.UTF_8);
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.load(bad));
        assertEquals(bad.toString(), e.file());
        assertTrue(e.getMessage().startsWith(bad + ":11:14: platform.ram_bytes: expected "), e.getMessage());
    }

    @Test
    void aByteOrderMarkIsIgnored() throws ScenarioException {
        assertEquals(expectedValid(), ScenarioLoader.parse("\uFEFF" + ScenarioTexts.VALID, "bom.yaml"));
    }

    @Test
    void emojiAcrossTheYamlReadBufferBoundaryIsRead() throws ScenarioException {
        // snakeyaml-engine 2.9 reads 1024 chars at a time and fails on a surrogate pair split between
        // two reads; the loader sizes the buffer to the text. Put the emoji at every offset near 1024.
        String open = "description: \"";
        int valueStart = ScenarioTexts.VALID.indexOf(open) + open.length();
        for (int highSurrogateAt = 1018; highSurrogateAt <= 1030; highSurrogateAt++) {
            String description = "p".repeat(highSurrogateAt - valueStart) + "\uD83D\uDE00 end";
            String text = ScenarioTexts.with("description: \"one guest, one vNVDIMM\"", open + description + "\"");
            assertEquals(highSurrogateAt, text.indexOf('\uD83D'));
            assertEquals(description, ScenarioLoader.parse(text, "emoji.yaml").getDescription(), "offset " + highSurrogateAt);
        }
    }

    @Test
    void crlfLineEndingsReadTheSame() throws ScenarioException {
        assertEquals(expectedValid(), ScenarioLoader.parse(ScenarioTexts.VALID.replace("\n", "\r\n"), "crlf.yaml"));
    }

    @Test
    void loadResourceUsesTheContextClassLoader(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("scenarios"));
        Files.writeString(dir.resolve("scenarios/basic.yaml"), ScenarioTexts.VALID, StandardCharsets.UTF_8);
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, saved)) {
            thread.setContextClassLoader(loader);
            assertEquals(expectedValid(), ScenarioLoader.loadResource("scenarios/basic.yaml"));
            assertEquals(expectedValid(), ScenarioLoader.loadResource("/scenarios/basic.yaml"), "a leading '/' is allowed");
        } finally {
            thread.setContextClassLoader(saved);
        }
    }

    @Test
    void loadResourceRejectsMissingAndBrokenResources() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ScenarioLoader.loadResource("scenarios-bad/does-not-exist.yaml"));
        assertEquals("no scenario resource scenarios-bad/does-not-exist.yaml on the classpath", missing.getMessage());

        IllegalStateException broken = assertThrows(IllegalStateException.class,
                () -> ScenarioLoader.loadResource("scenarios-bad/unknown-key.yaml"));
        ScenarioException cause = (ScenarioException) broken.getCause();
        assertEquals("scenarios-bad/unknown-key.yaml", cause.file());
        assertEquals(cause.getMessage(), broken.getMessage());
    }
}
