package org.vnvdimm.sim.record;

import java.util.Locale;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.HypercallRet;
import org.vnvdimm.proto.Observation;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.proto.Verdict;

/**
 * Renders a trace for people: one numbered, aligned line per delivery, a request's answer shown on
 * the request's line, console lines and verdicts indented below, and long repeated exchanges (a
 * 4 KiB memory_mapping loop) folded to their first and last rounds. Streams: it holds a bounded
 * window of records, so a run of millions of deliveries renders in constant memory.
 */
public final class TraceText {
    /** Shortest repetition worth folding, and the longest exchange period searched. */
    static final int FOLD_MIN_REPEATS = 4;
    static final int FOLD_MAX_PERIOD = 4;
    /** How far ahead a request's answer is looked for, and how much a fold may swallow at once. */
    static final int WINDOW = 4096;

    public enum Detail { QUIET, NORMAL, VERBOSE }

    private final Detail detail;
    private final int roleWidth;
    private final int seqWidth;

    /** @param roleWidth column width for roles (the longest role name, at least 4) */
    public TraceText(Detail detail, int roleWidth, int seqWidth) {
        this.detail = detail;
        this.roleWidth = Math.max(4, roleWidth);
        this.seqWidth = Math.max(4, seqWidth);
    }

    /** Convenience for traces held in memory (tests, small runs). */
    public static List<String> lines(List<TraceRecord> records, Detail detail) {
        int w = 4;
        for (TraceRecord r : records) w = Math.max(w, Math.max(r.getDelivered().getFrom().length(), r.getDelivered().getTo().length()));
        long last = records.isEmpty() ? 0 : records.get(records.size() - 1).getDelivered().getSeq();
        List<String> out = new ArrayList<>();
        new TraceText(detail, w, Long.toString(last).length()).render(records.iterator(), out::add);
        return out;
    }

    public void render(Iterator<TraceRecord> it, Consumer<String> out) {
        walk(it, new Visitor() {
            @Override
            public void delivery(TraceRecord r, Envelope answer) { render(r, answer, out); }

            @Override
            public void folded(int rounds, long firstSeq, long lastSeq) {
                out.accept(String.format(Locale.ROOT, "%s  … %d more rounds of this exchange (#%d – #%d) …", " ".repeat(seqWidth), rounds, firstSeq, lastSeq));
            }
        });
    }

    /** What a walk over a trace meets: deliveries (with the answer to a request, if near), and folded rounds. */
    public interface Visitor {
        /** @param answer the delivery answering this one (in_reply_to = its seq), or null */
        void delivery(TraceRecord r, Envelope answer);

        /** {@code rounds} rounds of the exchange just shown, deliveries #firstSeq to #lastSeq, left out. */
        void folded(int rounds, long firstSeq, long lastSeq);
    }

    /**
     * The structure behind every rendering (text, diagrams): each delivery in order, except that a
     * run of at least FOLD_MIN_REPEATS rounds of one exchange shows only its first and last rounds.
     */
    public static void walk(Iterator<TraceRecord> it, Visitor v) {
        Window w = new Window(it);
        while (w.fill()) {
            int[] fold = foldAt(w);
            if (fold == null) {
                v.delivery(w.get(0), w.answer(w.get(0).getDelivered().getSeq()));
                w.consume(1);
                continue;
            }
            int period = fold[0], repeats = fold[1];
            for (int k = 0; k < period; k++) v.delivery(w.get(k), w.answer(w.get(k).getDelivered().getSeq()));
            long firstSeq = w.get(period).getDelivered().getSeq();
            long lastSeq = w.get((repeats - 1) * period - 1).getDelivered().getSeq();
            v.folded(repeats - 2, firstSeq, lastSeq);
            for (int k = 0; k < period; k++) {
                TraceRecord r = w.get((repeats - 1) * period + k);
                v.delivery(r, w.answer(r.getDelivered().getSeq()));
            }
            w.consume(repeats * period);
        }
    }

    /** The next WINDOW records, with each request's answer indexed by the request's seq. */
    private static final class Window {
        private final Iterator<TraceRecord> it;
        private final ArrayList<TraceRecord> buf = new ArrayList<>();
        private final ArrayList<String> shapes = new ArrayList<>();
        private final java.util.HashMap<Long, Envelope> answers = new java.util.HashMap<>();
        private int head;

        Window(Iterator<TraceRecord> it) { this.it = it; }

        boolean fill() {
            while (buf.size() - head < WINDOW && it.hasNext()) {
                TraceRecord r = it.next();
                buf.add(r);
                shapes.add(TraceText.shape(r.getDelivered()));
                if (r.getDelivered().getInReplyTo() != 0) answers.putIfAbsent(r.getDelivered().getInReplyTo(), r.getDelivered());
            }
            return buf.size() > head;
        }

        int size() { return buf.size() - head; }

        TraceRecord get(int i) { return buf.get(head + i); }

        String shape(int i) { return shapes.get(head + i); }

        Envelope answer(long seq) { return answers.get(seq); }

        void consume(int n) {
            for (int i = 0; i < n; i++) answers.remove(buf.get(head + i).getDelivered().getSeq());
            head += n;
            if (head > WINDOW) {
                buf.subList(0, head).clear();
                shapes.subList(0, head).clear();
                head = 0;
            }
        }
    }

    /** {period, repeats} if a run of at least FOLD_MIN_REPEATS identical-shape exchanges starts the window. */
    private static int[] foldAt(Window w) {
        for (int p = 1; p <= FOLD_MAX_PERIOD; p++) {
            int repeats = 1;
            while ((repeats + 1) * p <= w.size() && sameShape(w, 0, repeats * p, p)) repeats++;
            if (repeats >= FOLD_MIN_REPEATS) return new int[] {p, repeats};
        }
        return null;
    }

    private static boolean sameShape(Window w, int a, int b, int p) {
        for (int k = 0; k < p; k++) {
            TraceRecord x = w.get(a + k), y = w.get(b + k);
            if (x.getVerdictsCount() > 0 || y.getVerdictsCount() > 0) return false;
            if (!w.shape(a + k).equals(w.shape(b + k))) return false;
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

    private void render(TraceRecord r, Envelope answer, Consumer<String> out) {
        Envelope e = r.getDelivered();
        StringBuilder b = new StringBuilder();
        b.append('#').append(String.format(Locale.ROOT, "%0" + seqWidth + "d", e.getSeq())).append(' ');
        b.append(pad(e.getFrom())).append(" → ").append(pad(e.getTo())).append("  ");
        b.append(message(e, answer));
        out.accept(b.toString());
        if (detail != Detail.QUIET) {
            for (Observation o : r.getObservedList()) {
                boolean show = detail == Detail.VERBOSE || o.hasLog() || o.hasGuestCheck() || o.hasDomainState();
                if (show) out.accept(" ".repeat(seqWidth + 3) + "· " + TraceFormatter.describe(o));
            }
        }
        for (Verdict v : r.getVerdictsList()) {
            out.accept(" ".repeat(seqWidth + 3) + "✗ VIOLATION " + v.getOracle() + ": " + v.getDetail());
        }
    }

    /** A delivery's line after its roles: "↩ #n" for a reply, the message, and a hypercall's answer when known. */
    public static String message(Envelope e, Envelope answer) {
        StringBuilder b = new StringBuilder();
        if (e.getInReplyTo() != 0) b.append("↩ #").append(e.getInReplyTo()).append(' ');
        b.append(TraceFormatter.describe(e));
        if (answer != null && answer.hasHypercallRet()) b.append(" → ").append(shortRet(e, answer.getHypercallRet()));
        return b.toString();
    }

    /** The answer on the request's line; positive is "partial" only where Xen means progress. */
    private static String shortRet(Envelope request, HypercallRet r) {
        boolean progress = request.hasDomctl() && request.getDomctl().getCmd() == org.vnvdimm.contract.XenAbi.XEN_DOMCTL_memory_mapping;
        String s = progress || r.getRc() <= 0 ? TraceFormatter.rc(r.getRc()) : Long.toString(r.getRc());
        if (r.hasDomctl() && r.getRc() == 0 && r.getDomctl().getCmd() == org.vnvdimm.contract.XenAbi.XEN_DOMCTL_createdomain) {
            s += " (domid " + r.getDomctl().getDomain() + ")";
        }
        if (r.hasContinuationCmd()) s += " (continuation)";
        return s;
    }

    private String pad(String role) { return String.format(Locale.ROOT, "%-" + roleWidth + "s", role); }
}
