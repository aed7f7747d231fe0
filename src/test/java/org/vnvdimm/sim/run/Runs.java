package org.vnvdimm.sim.run;

import java.util.List;
import java.util.function.Predicate;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.cli.BuiltinScenarios;
import org.vnvdimm.sim.record.MemoryRecorder;

/** Test helper: run a scenario and keep its trace in memory. */
public final class Runs {
    private Runs() {}

    public record Run(RunResult result, List<TraceRecord> trace) {
        public List<Envelope> delivered() { return trace.stream().map(TraceRecord::getDelivered).toList(); }

        /** Seq of the first delivery matching p, or Long.MAX_VALUE. */
        public long firstSeq(Predicate<Envelope> p) {
            return trace.stream().map(TraceRecord::getDelivered).filter(p).mapToLong(Envelope::getSeq).min().orElse(Long.MAX_VALUE);
        }

        public long lastSeq(Predicate<Envelope> p) {
            return trace.stream().map(TraceRecord::getDelivered).filter(p).mapToLong(Envelope::getSeq).max().orElse(-1);
        }

        public Envelope bySeq(long seq) { return trace.get((int) seq - 1).getDelivered(); }

        /** The answer delivered for request seq, or null. */
        public Envelope answerTo(long seq) {
            return trace.stream().map(TraceRecord::getDelivered).filter(e -> e.getInReplyTo() == seq).findFirst().orElse(null);
        }
    }

    public static Scenario builtin(String name) {
        try {
            return BuiltinScenarios.resolve(name);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static Run run(Simulator sim, Scenario s, long seed) {
        MemoryRecorder mem = new MemoryRecorder();
        RunResult r = sim.run(s, seed, mem);
        return new Run(r, mem.records());
    }
}
