package org.vnvdimm.sim.record;

import java.util.List;
import org.vnvdimm.proto.RunSummary;
import org.vnvdimm.proto.TraceHeader;
import org.vnvdimm.proto.TraceRecord;

public final class Recorders {
    private Recorders() {}

    public static Recorder all(Recorder... rs) {
        List<Recorder> keep = new java.util.ArrayList<>();
        for (Recorder r : rs) if (!r.discards()) keep.add(r);
        if (keep.isEmpty()) return none();
        // One recorder that keeps something (explore's fingerprint, a plain run's digest): no fan-out.
        if (keep.size() == 1) return keep.get(0);
        List<Recorder> list = List.copyOf(keep);
        return new Recorder() {
            public void begin(TraceHeader h) { for (Recorder r : list) r.begin(h); }
            public void record(TraceRecord t) { for (Recorder r : list) r.record(t); }
            public void end(RunSummary s) { for (Recorder r : list) r.end(s); }
        };
    }

    private static final Recorder NONE = new Recorder() {
        public void begin(TraceHeader h) {}
        public void record(TraceRecord t) {}
        public void end(RunSummary s) {}
        @Override public void delivered(org.vnvdimm.proto.Envelope e, List<org.vnvdimm.proto.Observation> n,
                                        List<org.vnvdimm.proto.Observation> o, List<org.vnvdimm.proto.Verdict> v) {}
        @Override public boolean discards() { return true; }
    };

    public static Recorder none() { return NONE; }
}
