package org.vnvdimm.sim.explore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.vnvdimm.sim.wire.ChoiceSource;

/**
 * A schedule: the scheduler's choices that differ from the default order (the link whose waiting
 * message was sent first). Decision k is the k-th time the scheduler had more than one link to
 * choose from (1-based). Replaying forces each listed choice when that link has a message waiting
 * and takes the default everywhere else, so an empty schedule is the default order, and a
 * recorded schedule replays its run exactly.
 *
 * <p>File format, one choice a line: {@code DECISION FROM>TO}; {@code #} starts a comment.
 */
public final class Schedule {
    /** One forced choice. */
    public record Choice(long decision, String from, String to) {
        public String link() { return from + ">" + to; }
    }

    private final List<Choice> choices;

    public Schedule(List<Choice> choices) { this.choices = List.copyOf(choices); }

    public static final Schedule DEFAULT = new Schedule(List.of());

    public List<Choice> choices() { return choices; }

    public int size() { return choices.size(); }

    /** A choice source that forces these choices and takes the default order elsewhere. */
    public ChoiceSource replay() {
        TreeMap<Long, Choice> at = new TreeMap<>();
        for (Choice c : choices) at.put(c.decision(), c);
        return new ChoiceSource() {
            long decision;

            @Override
            public int choose(Links links) {
                Choice c = at.get(++decision);
                if (c != null) {
                    for (int i = 0; i < links.size(); i++) {
                        if (links.from(i).equals(c.from()) && links.to(i).equals(c.to())) return i;
                    }
                }
                return ChoiceSource.oldest(links);
            }
        };
    }

    /** Wraps a choice source and notes every choice that is not the default, as a schedule. */
    public static final class Recording implements ChoiceSource {
        private final ChoiceSource inner;
        private final List<Choice> out = new ArrayList<>();
        private long decision;

        public Recording(ChoiceSource inner) { this.inner = inner; }

        @Override
        public int choose(Links links) {
            decision++;
            int i = inner.choose(links);
            if (i != ChoiceSource.oldest(links)) out.add(new Choice(decision, links.from(i), links.to(i)));
            return i;
        }

        public Schedule schedule() { return new Schedule(out); }

        public long decisions() { return decision; }
    }

    public String text(String comment) {
        StringBuilder b = new StringBuilder("# vnvdimm schedule: ").append(comment).append('\n')
                .append("# DECISION FROM>TO: at the scheduler's DECISION-th choice among several links, deliver FROM>TO's next message;\n")
                .append("# every other choice takes the message sent first\n");
        for (Choice c : choices) b.append(c.decision()).append(' ').append(c.link()).append('\n');
        return b.toString();
    }

    public void write(Path file, String comment) throws IOException {
        Files.writeString(file, text(comment), StandardCharsets.UTF_8);
    }

    /** Bad schedule file: the message names file:line. */
    public static final class BadSchedule extends Exception {
        private static final long serialVersionUID = 1L;

        BadSchedule(String message) { super(message, null, false, false); }
    }

    public static Schedule read(Path file) throws BadSchedule {
        List<String> lines;
        try {
            if (!Files.isRegularFile(file)) throw new BadSchedule(file + ": not a regular file, not a schedule");
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadSchedule(file + ": cannot read it: " + org.vnvdimm.sim.scenario.FileErrors.describe(e));
        }
        return parse(lines, file.toString());
    }

    public static Schedule parse(List<String> lines, String name) throws BadSchedule {
        List<Choice> out = new ArrayList<>();
        long last = 0;
        for (int n = 0; n < lines.size(); n++) {
            String l = lines.get(n).strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] f = l.split("\\s+");
            String where = name + ":" + (n + 1) + ":1: ";
            if (f.length != 2) throw new BadSchedule(where + "expected 'DECISION FROM>TO', got '" + l + "'");
            long d;
            try {
                d = Long.parseLong(f[0]);
            } catch (NumberFormatException e) {
                throw new BadSchedule(where + "expected a decision number, got '" + f[0] + "'");
            }
            if (d <= last) throw new BadSchedule(where + "expected decisions in increasing order above " + last + ", got " + d);
            int gt = f[1].indexOf('>');
            if (gt <= 0 || gt == f[1].length() - 1) throw new BadSchedule(where + "expected a link FROM>TO, got '" + f[1] + "'");
            out.add(new Choice(d, f[1].substring(0, gt), f[1].substring(gt + 1)));
            last = d;
        }
        return new Schedule(out);
    }
}
