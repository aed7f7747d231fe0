package org.vnvdimm.sim.view;

import static org.junit.jupiter.api.Assertions.*;

import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.vnvdimm.proto.TraceRecord;
import org.vnvdimm.sim.record.TraceFiles;
import org.vnvdimm.sim.run.RunResult;

/**
 * The views of `scale-1000-guests` (1,000 guests, over 200,000 deliveries): every Mermaid part and
 * trace.mmd within maxTextSize, every PlantUML part within PLANTUML_LIMIT_SIZE (the largest drawn by
 * PlantUML), and the HTML page in Chromium: how long until it is usable, and that it stays usable.
 */
class TraceViewsScaleTest {
    @TempDir static Path tmp;
    static RecordedRun run;
    static long deliveries;

    @BeforeAll
    static void scaleRun() throws Exception {
        RunResult res = RunFolders.run("scale-1000-guests", 1, tmp.resolve("scale"));
        assertTrue(res.passed(), res.summary().getOutcome());
        deliveries = res.summary().getDeliveries();
        assertTrue(deliveries > 200_000, "deliveries " + deliveries);
        run = RunFolderRun.open(tmp.resolve("scale"));
    }

    @Test
    void everyMermaidPartAndTraceMmdStayUnderMaxTextSize() throws Exception {
        List<SequenceDiagrams.Part> parts = new ArrayList<>();
        SequenceDiagrams.render(run, TraceFilter.ALL, SequenceDiagrams.Dialect.MERMAID, p -> parts.add(new SequenceDiagrams.Part(p.number(), p.firstSeq(), p.lastSeq(), p.messages(), p.participants(), "", p.text().length(), 0)));
        int longest = parts.stream().mapToInt(SequenceDiagrams.Part::estimatedWidthPx).max().orElseThrow();
        System.out.printf(Locale.ROOT, "scale-1000-guests: %d deliveries, %d Mermaid parts, the longest %d characters%n", deliveries, parts.size(), longest);
        assertTrue(longest <= SequenceDiagrams.MERMAID_MAX_TEXT_SIZE, "longest " + longest);
        assertTrue(parts.size() > 10, "a long run is split: " + parts.size());
        assertEquals(deliveries, parts.get(parts.size() - 1).lastSeq(), "the parts reach the last delivery");
        List<String> mmd = new ArrayList<>();
        try (TraceReaderRun r = new TraceReaderRun(tmp.resolve("scale"))) {
            TraceFiles.mermaid(r.deliveries, "scale-1000-guests, seed 1", mmd::add);
        }
        String text = String.join("\n", mmd) + "\n";
        assertTrue(text.length() <= SequenceDiagrams.MERMAID_MAX_TEXT_SIZE, "trace.mmd " + text.length());
        assertTrue(text.contains("continued in part 2") && text.contains("vnvdimm trace RUN --format mermaid --out FILE"), "trace.mmd says where the rest is");
    }

    @Test
    void everyPlantUmlPartStaysWithinPlantUmlLimitSizeAndTheLargestDrawWithinIt() throws Exception {
        List<SequenceDiagrams.Part> largest = new ArrayList<>();
        int[] count = {0};
        int[] max = {0, 0};
        SequenceDiagrams.render(run, TraceFilter.ALL, SequenceDiagrams.Dialect.PLANTUML, p -> {
            count[0]++;
            max[0] = Math.max(max[0], p.estimatedWidthPx());
            max[1] = Math.max(max[1], p.estimatedHeightPx());
            assertTrue(p.estimatedWidthPx() <= SequenceDiagrams.PLANTUML_LIMIT_SIZE_PX && p.estimatedHeightPx() <= SequenceDiagrams.PLANTUML_LIMIT_SIZE_PX, "part " + p.number());
            largest.add(p);
            largest.sort(Comparator.comparingInt((SequenceDiagrams.Part x) -> Math.max(x.estimatedWidthPx(), x.estimatedHeightPx())).reversed());
            if (largest.size() > 4) largest.remove(4);
        });
        System.out.printf(Locale.ROOT, "scale-1000-guests: %d PlantUML parts, estimated at most %d x %d px%n", count[0], max[0], max[1]);
        for (SequenceDiagrams.Part p : largest) {
            PlantUml.Size s = PlantUml.render(p.text());
            System.out.printf(Locale.ROOT, "  part %d (%d messages, %d participants): drawn %d x %d px, estimated %d x %d%n", p.number(), p.messages(), p.participants(),
                    s.widthPx(), s.heightPx(), p.estimatedWidthPx(), p.estimatedHeightPx());
            assertTrue(s.widthPx() <= SequenceDiagrams.PLANTUML_LIMIT_SIZE_PX && s.heightPx() <= SequenceDiagrams.PLANTUML_LIMIT_SIZE_PX, "part " + p.number());
            assertTrue(p.estimatedWidthPx() >= s.widthPx() && p.estimatedHeightPx() >= s.heightPx(), "the model must not underestimate part " + p.number());
        }
    }

    @Test
    void perfettoOfTheFirst20000DeliveriesIsValid() throws Exception {
        StringWriter w = new StringWriter();
        PerfettoTrace.write(run, new TraceFilter(Set.of(), 1, 20_000, null), w);
        assertEquals(List.of(), TraceEventFormat.problems(w.toString()));
    }

    @Test
    void theHtmlPageOfTheWholeRunIsUsableQuicklyAndStaysResponsive() throws Exception {
        Path html = tmp.resolve("scale.html");
        try (Writer w = Files.newBufferedWriter(html, StandardCharsets.UTF_8)) {
            HtmlViewer.write(run, TraceFilter.ALL, w);
        }
        try (Browser b = Browser.start()) {
            long ms = b.open(html);
            double inPage = ((Number) b.js("return window.vnvdimmViewer.loadMs")).doubleValue();
            System.out.printf(Locale.ROOT, "scale-1000-guests HTML: %d deliveries, %.1f MB, usable %d ms after loading began (its script: %.0f ms)%n",
                    deliveries, Files.size(html) / 1e6, ms, inPage);
            assertEquals(deliveries, b.shown());
            assertTrue(ms < 10_000, "usable after " + ms + " ms (aim: under 3 s; about 1.5 s on an idle 2-core machine)");
            // Jump to the end, then filter by one guest: timed, and the rows drawn are that guest's.
            new Actions(b.driver).sendKeys(Keys.END).perform();
            assertEquals(deliveries, b.selected());
            long t0 = System.nanoTime();
            b.driver.findElement(By.id("roles")).sendKeys("guest-999", Keys.ENTER);
            long filterMs = (System.nanoTime() - t0) / 1_000_000;
            long shown = b.shown();
            System.out.printf(Locale.ROOT, "  filter by role guest-999: %d deliveries shown, %d ms%n", shown, filterMs);
            assertTrue(shown > 50 && shown < 2_000, "shown " + shown);
            Set<String> who = new LinkedHashSet<>();
            WebElement first = null;
            for (WebElement r : b.driver.findElements(By.cssSelector("#list .row"))) {
                if (!r.isDisplayed()) continue;
                who.add(r.findElement(By.className("who")).getText());
                if (first == null) first = r;
            }
            assertTrue(who.stream().allMatch(s -> s.contains("guest-999")), who.toString());
            first.click();
            String detail = b.driver.findElement(By.id("detail")).getText();
            assertTrue(detail.contains("guest-999") && detail.contains("fields"), detail);
        }
    }

    /** trace.mmd's input: the folder's deliveries, as TraceFiles reads them. */
    static final class TraceReaderRun implements AutoCloseable {
        final org.vnvdimm.sim.record.TraceReader reader;
        final java.util.Iterator<TraceRecord> deliveries;

        TraceReaderRun(Path dir) throws Exception {
            reader = new org.vnvdimm.sim.record.TraceReader(dir.resolve("trace.bin"));
            deliveries = reader.iterator();
        }

        @Override
        public void close() throws Exception { reader.close(); }
    }
}
