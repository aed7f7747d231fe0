package org.vnvdimm.sim.journal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;
import org.vnvdimm.sim.record.TraceFormatter;

/**
 * Compares two recorded runs (two seeds of a scenario, two designs, two code versions): the first
 * delivery that differs, then the deliveries after it aligned by what they are (sender, receiver,
 * message kind; a longest common subsequence over a window), then the verdicts only one run has.
 */
public final class RunDiff {
    public enum Mark { SAME, CHANGED, ONLY_A, ONLY_B }

    /** One aligned row: a and/or b (null on the side that has no such delivery). */
    public record Row(Mark mark, TraceRecord a, TraceRecord b) {}

    /**
     * identicalPrefix: deliveries equal in both before the first difference; firstDiffSeq 0 when the
     * runs' deliveries are identical; rows: the aligned view from there (at most window per side).
     */
    public record Result(long identicalPrefix, long firstDiffSeq, List<Row> rows, List<Verdict> onlyA, List<Verdict> onlyB,
                         long deliveriesA, long deliveriesB) {
        public boolean identical() { return firstDiffSeq == 0 && onlyA.isEmpty() && onlyB.isEmpty(); }
    }

    private RunDiff() {}

    public static Result diff(RecordedRun a, RecordedRun b, int window) {
        long same = 0;
        List<TraceRecord> wa = new ArrayList<>(), wb = new ArrayList<>();
        try (RecordedRun.CloseableIterator<TraceRecord> ia = a.deliveries(); RecordedRun.CloseableIterator<TraceRecord> ib = b.deliveries()) {
            while (ia.hasNext() && ib.hasNext()) {
                TraceRecord x = ia.next(), y = ib.next();
                if (!x.equals(y)) {
                    wa.add(x);
                    wb.add(y);
                    break;
                }
                same++;
            }
            while (wa.size() < window && ia.hasNext()) wa.add(ia.next());
            while (wb.size() < window && ib.hasNext()) wb.add(ib.next());
        }
        long firstDiff = wa.isEmpty() && wb.isEmpty() ? 0 : same + 1;
        List<Verdict> va = a.verdicts(), vb = b.verdicts();
        return new Result(same, firstDiff, align(wa, wb), minus(va, vb), minus(vb, va), a.deliveriesRecorded(), b.deliveriesRecorded());
    }

    /** What a delivery is, without its stamps (seq, clock, time, cause): aligned rows share this. */
    static String kind(TraceRecord r) {
        Envelope e = r.getDelivered();
        return e.getFrom() + ">" + e.getTo() + ":" + e.getPayloadCase();
    }

    /** Its content without the stamps: SAME when equal, CHANGED otherwise. */
    static String content(TraceRecord r) {
        TraceRecord u = unstamped(r);
        return u.getDelivered().toString() + u.getObservedList() + r.getVerdictsList().stream().map(Verdict::getOracle).toList();
    }

    /**
     * The record without what depends only on its position in the run: seq, Lamport clock, cause,
     * virtual time, the request's seq a reply names, and the tag (a requester's counter, which
     * shifts when one more request came before). Verdicts are compared apart.
     */
    public static TraceRecord unstamped(TraceRecord r) {
        Envelope e = r.getDelivered().toBuilder().clearSeq().clearLamport().clearCause().clearVtimeNs().clearInReplyTo().clearTag().build();
        return r.toBuilder().setDelivered(e).clearVerdicts().build();
    }

    static List<Row> align(List<TraceRecord> a, List<TraceRecord> b) {
        int n = a.size(), m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = kind(a.get(i)).equals(kind(b.get(j))) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<Row> rows = new ArrayList<>();
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && kind(a.get(i)).equals(kind(b.get(j)))) {
                rows.add(new Row(content(a.get(i)).equals(content(b.get(j))) ? Mark.SAME : Mark.CHANGED, a.get(i), b.get(j)));
                i++;
                j++;
            } else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
                rows.add(new Row(Mark.ONLY_A, a.get(i++), null));
            } else {
                rows.add(new Row(Mark.ONLY_B, null, b.get(j++)));
            }
        }
        return rows;
    }

    /** Verdicts of x that y does not have (same oracle and detail). */
    static List<Verdict> minus(List<Verdict> x, List<Verdict> y) {
        Set<String> in = new LinkedHashSet<>();
        for (Verdict v : y) in.add(v.getOracle() + "\u0000" + v.getDetail());
        List<Verdict> out = new ArrayList<>();
        for (Verdict v : x) if (!in.contains(v.getOracle() + "\u0000" + v.getDetail())) out.add(v);
        return out;
    }

    /** One side of a row, as a line: #seq from → to: what. */
    public static String line(TraceRecord r) {
        Envelope e = r.getDelivered();
        return "#" + e.getSeq() + " " + e.getFrom() + " → " + e.getTo() + ": " + TraceFormatter.describe(e);
    }
}
