package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.run.ScenarioDriver;

/** A domain's vNVDIMMs may be written as QEMU options; QEMU's own refusals come back at load time. */
class QemuOptionsInScenarioTest {
    static final String TEXT = BuiltinScenarios.text("scenarios/qemu-options.yaml");

    @Test
    void optionsBecomeLibxlDeviceModelArgs() throws Exception {
        Scenario s = ScenarioLoader.parse(TEXT, "qemu-options.yaml");
        var d = ScenarioDriver.expand(s).stream().filter(x -> x.hasXlCreate()).findFirst().orElseThrow().getXlCreate().getDomain();
        assertEquals(4, d.getDeviceModelArgsCount());
        assertEquals("-device", d.getDeviceModelArgs(2));
        assertEquals("nvdimm,id=nvb,memdev=memb,label-size=256K,slot=1", d.getDeviceModelArgs(3));
    }

    @Test
    void whatQemuRefusesTheLoaderRefusesAtTheOption() {
        ScenarioException e = assertThrows(ScenarioException.class,
                () -> ScenarioLoader.parse(TEXT.replace("label-size=256K,slot=1", "label-size=64K,slot=1"), "q.yaml"));
        assertEquals("steps[6].xl_create.domain.qemu", e.field());
        assertEquals(25, e.line());
        assertTrue(e.getMessage().contains("label-size"), e.getMessage());
        ScenarioException numa = assertThrows(ScenarioException.class,
                () -> ScenarioLoader.parse(TEXT.replace("slot=1", "slot=1,node=1"), "q.yaml"));
        assertTrue(numa.getMessage().contains("numa nodes"), numa.getMessage());
    }

    @Test
    void countNeedsAPlaceholder() {
        String two = BuiltinScenarios.text("scenarios/two-guests.yaml").replace("vm%d.img, size_bytes", "vm.img, size_bytes");
        ScenarioException e = assertThrows(ScenarioException.class, () -> ScenarioLoader.parse(two, "t.yaml"));
        assertEquals("steps[4].file.path", e.field());
    }
}
