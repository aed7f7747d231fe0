package org.vnvdimm.sim.view;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vnvdimm.proto.TraceRecord;

/** Mermaid and PlantUML parts: each within the renderer's default limits, verdicts at their message. */
class SequenceDiagramsTest {
    @TempDir static Path tmp;
    static RecordedRun boot, hostile, two;

    @BeforeAll
    static void runs() throws Exception {
        RunFolders.run("boot", 1, tmp.resolve("boot"));
        RunFolders.run("hostile-qemu-unchecked", 1, tmp.resolve("hostile"));
        RunFolders.run("two-guests", 1, tmp.resolve("two"));
        boot = RunFolderRun.open(tmp.resolve("boot"));
        hostile = RunFolderRun.open(tmp.resolve("hostile"));
        two = RunFolderRun.open(tmp.resolve("two"));
    }

    static List<SequenceDiagrams.Part> parts(RecordedRun r, SequenceDiagrams.Dialect d) throws Exception {
        List<SequenceDiagrams.Part> l = new ArrayList<>();
        SequenceDiagrams.render(r, TraceFilter.ALL, d, l::add);
        return l;
    }

    @Test
    void mermaidPartsStayUnderMaxTextSizeAndEachIsAWholeDiagram() throws Exception {
        for (RecordedRun r : List.of(boot, hostile, two)) {
            List<SequenceDiagrams.Part> ps = parts(r, SequenceDiagrams.Dialect.MERMAID);
            long last = 0;
            for (SequenceDiagrams.Part p : ps) {
                assertTrue(p.text().length() <= SequenceDiagrams.MERMAID_MAX_TEXT_SIZE, r.name() + " part " + p.number() + ": " + p.text().length());
                assertTrue(p.text().startsWith("sequenceDiagram\n    title "), p.text().substring(0, 40));
                for (String line : p.text().split("\n")) {
                    if (line.startsWith("    ") && !line.startsWith("    title")) {
                        assertFalse(line.contains(";") || line.contains("#"), "Mermaid would cut or misread: " + line);
                    }
                }
                assertTrue(p.firstSeq() > last, "parts follow one another");
                last = p.lastSeq();
            }
        }
    }

    @Test
    void aVerdictIsDrawnRightUnderTheMessageWhereItFired() throws Exception {
        TraceRecord bad = null;
        try (RecordedRun.Deliveries d = hostile.deliveries()) {
            while (d.hasNext() && bad == null) {
                TraceRecord r = d.next();
                if (r.getVerdictsCount() > 0) bad = r;
            }
        }
        assertNotNull(bad);
        long seq = bad.getDelivered().getSeq();
        String to = bad.getDelivered().getTo().replace('-', '_');
        for (SequenceDiagrams.Dialect d : SequenceDiagrams.Dialect.values()) {
            String all = String.join("\n", parts(hostile, d).stream().map(SequenceDiagrams.Part::text).toList());
            List<String> lines = List.of(all.split("\n"));
            int at = -1;
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).trim();
                if (!l.startsWith("Note") && !l.startsWith("note") && l.contains(": " + seq + " ")) at = i;
            }
            assertTrue(at >= 0, d + ": the arrow of #" + seq);
            String next = lines.get(at + 1).trim();
            assertTrue(next.startsWith(d == SequenceDiagrams.Dialect.MERMAID ? "Note over " + to + ": VIOLATION isolation" : "note over " + to + " #FFAAAA : VIOLATION isolation"), d + ": " + next);
        }
    }

    /** PlantUML draws each part: its real size is within PLANTUML_LIMIT_SIZE, and the model's estimate is not below it. */
    @Test
    void plantUmlDrawsEachPartWithinItsDefaultSizeLimit() throws Exception {
        int drawn = 0;
        for (RecordedRun r : List.of(boot, hostile, two)) {
            for (SequenceDiagrams.Part p : parts(r, SequenceDiagrams.Dialect.PLANTUML)) {
                PlantUml.Size s = PlantUml.render(p.text());
                System.out.println("plantuml " + p.number() + " " + p.messages() + " msgs " + p.participants() + " lanes: drawn " + s.widthPx() + "x" + s.heightPx() + " est " + p.estimatedWidthPx() + "x" + p.estimatedHeightPx());
                String what = r.name() + " part " + p.number() + ": drawn " + s.widthPx() + "x" + s.heightPx() + ", estimated " + p.estimatedWidthPx() + "x" + p.estimatedHeightPx();
                assertTrue(s.widthPx() <= SequenceDiagrams.PLANTUML_LIMIT_SIZE_PX && s.heightPx() <= SequenceDiagrams.PLANTUML_LIMIT_SIZE_PX, what);
                assertTrue(p.estimatedHeightPx() >= s.heightPx() && p.estimatedWidthPx() >= s.widthPx(), "the model must not underestimate: " + what);
                assertFalse(s.svg().contains("Syntax Error"), what + ": PlantUML reports a syntax error");
                drawn++;
            }
        }
        assertTrue(drawn >= 3, "parts drawn: " + drawn);
    }

    @Test
    void plantUmlLabelsKeepTheirText() throws Exception {
        String t = SequenceDiagrams.plantText("ndctl create-namespace --region=region0 a//b **c** <b>x</b> \\n");
        PlantUml.Size s = PlantUml.render("@startuml\na -> b : " + t + "\n@enduml\n");
        String text = s.svg().replaceAll("<[^>]+>", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        assertTrue(text.contains("ndctl create-namespace --region=region0 a//b **c** <b>x</b>"), text);
    }
}
