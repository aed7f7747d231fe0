package org.vnvdimm.sim.record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.HypercallRet;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;

/**
 * Renders a trace for people: one numbered, aligned line per delivery, a request's answer shown on
 * the request's line, console lines and verdicts indented below, and long repeated exchanges (a
 * 4 KiB memory_mapping loop) folded to their first and last rounds.
 */
public final class TraceText {
    /** Shortest repetition worth folding, and the longest exchange period searched. */
    static final int FOLD_MIN_REPEATS = 4;
    static final int FOLD_MAX_PERIOD = 4;

    public enum Detail { QUIET, NORMAL, VERBOSE }

    private final List<TraceRecord> records;
    private final Detail detail;
    private final Map<Long, Envelope> replies = new HashMap<>();
    private final int roleWidth;
    private final int seqWidth;

    public TraceText(List<TraceRecord> records, Detail detail) {
        this.records = records;
        this.detail = detail;
        int w = 4;
        for (TraceRecord r : records) {
            Envelope e = r.getDelivered();
            if (e.getInReplyTo() != 0) replies.putIfAbsent(e.getInReplyTo(), e);
            w = Math.max(w, Math.max(e.getFrom().length(), e.getTo().length()));
        }
        roleWidth = w;
        seqWidth = Math.max(4, Long.toString(records.isEmpty() ? 0 : records.get(records.size() - 1).getDelivered().getSeq()).length());
    }

    public List<String> lines() {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < records.size()) {
            int[] fold = foldAt(i);
            if (fold == null) {
                render(records.get(i), out);
                i++;
                continue;
            }
            int period = fold[0], repeats = fold[1];
            for (int k = 0; k < period; k++) render(records.get(i + k), out);
            long firstSeq = records.get(i + period).getDelivered().getSeq();
            long lastSeq = records.get(i + (repeats - 1) * period - 1).getDelivered().getSeq();
            out.add(String.format("%s  … %d more rounds of this exchange (#%d – #%d) …", " ".repeat(seqWidth), repeats - 2, firstSeq, lastSeq));
            for (int k = 0; k < period; k++) render(records.get(i + (repeats - 1) * period + k), out);
            i += repeats * period;
        }
        return out;
    }

    /** {period, repeats} if a run of at least FOLD_MIN_REPEATS identical-shape exchanges starts at i. */
    private int[] foldAt(int i) {
        for (int p = 1; p <= FOLD_MAX_PERIOD; p++) {
            int repeats = 1;
            while (i + (repeats + 1) * p <= records.size() && sameShape(i, i + repeats * p, p)) repeats++;
            if (repeats >= FOLD_MIN_REPEATS) return new int[] {p, repeats};
        }
        return null;
    }

    private boolean sameShape(int a, int b, int p) {
        for (int k = 0; k < p; k++) {
            TraceRecord x = records.get(a + k), y = records.get(b + k);
            if (x.getVerdictsCount() > 0 || y.getVerdictsCount() > 0) return false;
            if (!shape(x.getDelivered()).equals(shape(y.getDelivered()))) return false;
        }
        return true;
    }

    private static String shape(Envelope e) {
        String sub = switch (e.getPayloadCase()) {
            case DOMCTL -> Integer.toString(e.getDomctl().getCmd());
            case MEMORY_OP -> Integer.toString(e.getMemoryOp().getCmd());
            case XS_REQUEST -> e.getXsRequest().getType() + e.getXsRequest().getPath().replaceAll("[0-9a-fx]+$", "");
            case HYPERCALL_RET -> e.getHypercallRet().getRc() > 0 ? "partial" : Long.toString(e.getHypercallRet().getRc());
            case GUEST_MEM_ACCESS -> Boolean.toString(e.getGuestMemAccess().getWrite());
            case MEM_ACCESS -> e.getMemAccess().getOp().name();
            case FOREIGN_MEM_ACCESS -> Boolean.toString(e.getForeignMemAccess().getWrite());
            default -> "";
        };
        return e.getFrom() + ">" + e.getTo() + ":" + e.getPayloadCase() + ":" + sub;
    }

    private void render(TraceRecord r, List<String> out) {
        Envelope e = r.getDelivered();
        StringBuilder b = new StringBuilder();
        b.append('#').append(String.format("%0" + seqWidth + "d", e.getSeq())).append(' ');
        b.append(pad(e.getFrom())).append(" → ").append(pad(e.getTo())).append("  ");
        if (e.getInReplyTo() != 0) b.append("↩ #").append(e.getInReplyTo()).append(' ');
        b.append(TraceFormatter.describe(e));
        Envelope answer = replies.get(e.getSeq());
        if (answer != null && answer.hasHypercallRet()) b.append(" → ").append(shortRet(e, answer.getHypercallRet()));
        out.add(b.toString());
        if (detail != Detail.QUIET) {
            for (Observation o : r.getObservedList()) {
                boolean show = detail == Detail.VERBOSE || o.hasLog() || o.hasGuestCheck() || o.hasDomainState();
                if (show) out.add(" ".repeat(seqWidth + 3) + "· " + TraceFormatter.describe(o));
            }
        }
        for (Verdict v : r.getVerdictsList()) {
            out.add(" ".repeat(seqWidth + 3) + "✗ VIOLATION " + v.getOracle() + ": " + v.getDetail());
        }
    }

    /** The answer on the request's line; positive is "partial" only where Xen means progress. */
    private static String shortRet(Envelope request, HypercallRet r) {
        boolean progress = request.hasDomctl() && request.getDomctl().getCmd() == org.vnvdimm.contract.XenAbi.XEN_DOMCTL_memory_mapping;
        String s = progress || r.getRc() <= 0 ? TraceFormatter.rc(r.getRc()) : Long.toString(r.getRc());
        if (r.hasDomctl() && r.getRc() == 0 && r.getDomctl().getCmd() == org.vnvdimm.contract.XenAbi.XEN_DOMCTL_createdomain) {
            s += " (domid " + r.getDomctl().getDomain() + ")";
        }
        return s;
    }

    private String pad(String role) { return String.format("%-" + roleWidth + "s", role); }
}
