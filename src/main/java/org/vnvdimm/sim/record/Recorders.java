package org.vnvdimm.sim.record;

import java.util.List;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

public final class Recorders {
    private Recorders() {}

    public static Recorder all(Recorder... rs) {
        List<Recorder> list = List.of(rs);
        return new Recorder() {
            public void begin(TraceHeader h) { for (Recorder r : list) r.begin(h); }
            public void record(TraceRecord t) { for (Recorder r : list) r.record(t); }
            public void end(RunSummary s) { for (Recorder r : list) r.end(s); }
        };
    }

    public static Recorder none() {
        return new Recorder() {
            public void begin(TraceHeader h) {}
            public void record(TraceRecord t) {}
            public void end(RunSummary s) {}
        };
    }
}
