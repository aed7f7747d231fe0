package org.vnvdimm.sim.run;

import static org.junit.jupiter.api.Assertions.*;

import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.record.Recorder;

/**
 * The built-in `scale-1000-guests` meets its expectation: 1,000 guests boot one after another on one
 * host and each reads back the pattern it wrote. It takes 15-25 s, so it is its own class rather
 * than a silent skip in {@link BuiltinScenariosTest}; it runs in every `mvn verify`.
 */
class Scale1000GuestsTest {
    static final String NAME = "scale-1000-guests";

    @Test
    void aThousandGuestsBootAndReadBackTheirData() {
        TreeSet<Long> readBack = new TreeSet<>();
        long[] records = {0};
        Recorder r = new Recorder() {
            public void begin(TraceHeader h) {}

            public void record(TraceRecord t) {
                records[0]++;
                for (Observation o : t.getObservedList()) {
                    if (o.hasGuestCheck() && o.getGuestCheck().getWhat().equals("data-readback") && o.getGuestCheck().getOk()) {
                        readBack.add((long) o.getGuestCheck().getDomid());
                    }
                }
            }

            public void end(RunSummary s) {}
        };
        RunResult res;
        try (Simulator sim = new Simulator()) {
            res = sim.run(Runs.builtin(NAME), 1, r);
        }
        assertTrue(res.passed(), res.summary().getOutcome() + " " + res.verdicts());
        assertEquals(0, res.verdicts().size());
        assertTrue(res.summary().getDeliveries() > 200_000, "deliveries " + res.summary().getDeliveries());
        assertEquals(res.summary().getDeliveries(), records[0]);
        for (org.vnvdimm.proto.StepOutcome s : res.steps()) assertEquals(0, s.getRc(), s.toString());
        assertEquals(1000, readBack.size(), "every guest read its data back: " + readBack.size());
    }
}
