package org.vnvdimm.sim.junit;

import java.util.List;
import java.util.function.Predicate;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.fault.MessageNames;

/** A run's deliveries, with the questions fault-injection tests ask of them. */
public final class Trace {
    private final List<TraceRecord> records;

    Trace(List<TraceRecord> records) { this.records = List.copyOf(records); }

    public List<TraceRecord> records() { return records; }

    public List<Envelope> deliveries() { return records.stream().map(TraceRecord::getDelivered).toList(); }

    /** Deliveries of a message by its fault-plan name: XEN_DOMCTL_memory_mapping, XS_WRITE, ioreq, ... */
    public static Predicate<Envelope> delivery(String name) { return e -> MessageNames.of(e).equals(name); }

    /** ... of that name from one role to another. */
    public static Predicate<Envelope> delivery(String name, String from, String to) {
        return delivery(name).and(e -> e.getFrom().equals(from) && e.getTo().equals(to));
    }

    /** The seq of the first delivery matching p, or -1. */
    public long first(Predicate<Envelope> p) {
        for (TraceRecord t : records) if (p.test(t.getDelivered())) return t.getDelivered().getSeq();
        return -1;
    }

    public long last(Predicate<Envelope> p) {
        long s = -1;
        for (TraceRecord t : records) if (p.test(t.getDelivered())) s = t.getDelivered().getSeq();
        return s;
    }

    public long count(Predicate<Envelope> p) { return records.stream().filter(t -> p.test(t.getDelivered())).count(); }

    /** Both happened, and the first a was delivered before the first b. */
    public boolean happensBefore(Predicate<Envelope> a, Predicate<Envelope> b) {
        long x = first(a), y = first(b);
        return x > 0 && y > 0 && x < y;
    }

    /** A console or fault line containing text was observed at some delivery. */
    public boolean logged(String text) {
        return records.stream().flatMap(t -> t.getObservedList().stream()).anyMatch(o -> o.hasLog() && o.getLog().getText().contains(text));
    }
}
