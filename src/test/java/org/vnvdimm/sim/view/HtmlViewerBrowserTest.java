package org.vnvdimm.sim.view;

import static org.junit.jupiter.api.Assertions.*;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.vnvdimm.proto.TraceRecord;

/** The HTML viewer in a real headless Chromium: header, click for details, filters, violations, keys. */
class HtmlViewerBrowserTest {
    @TempDir static Path tmp;
    static Browser browser;
    static Path bootHtml, hostileHtml;
    /** boot's deliveries as its run folder recorded them (the page must show all of them). */
    static int BOOT_DELIVERIES;
    static RecordedRun hostile;

    @BeforeAll
    static void pages() throws Exception {
        RunFolders.run("boot", 1, tmp.resolve("boot"));
        RunFolders.run("hostile-qemu-unchecked", 1, tmp.resolve("hostile"));
        RecordedRun boot = RunFolderRun.open(tmp.resolve("boot"));
        BOOT_DELIVERIES = Math.toIntExact(boot.end().orElseThrow().getDeliveries());
        bootHtml = html(boot, tmp.resolve("boot.html"));
        hostile = RunFolderRun.open(tmp.resolve("hostile"));
        hostileHtml = html(hostile, tmp.resolve("hostile.html"));
    }

    /** Started by each test, so that without a browser each test fails (CI) or is skipped with the reason. */
    @org.junit.jupiter.api.BeforeEach
    void browser() {
        if (browser == null) browser = Browser.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.close();
    }

    static Path html(RecordedRun r, Path file) throws Exception {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            HtmlViewer.write(r, TraceFilter.ALL, w);
        }
        return file;
    }

    WebElement byId(String id) { return browser.driver.findElement(By.id(id)); }

    /** The row of delivery #seq, scrolled into sight first (the list draws only the rows in sight). */
    WebElement row(long seq) {
        assertEquals(Boolean.TRUE, browser.js("return window.vnvdimmViewer.reveal(arguments[0])", seq), "#" + seq + " is in the list");
        for (WebElement r : browser.driver.findElements(By.cssSelector("#list .row"))) {
            if (r.isDisplayed() && r.findElement(By.className("seq")).getText().equals("#" + seq)) return r;
        }
        throw new AssertionError("no visible row #" + seq);
    }

    @Test
    void theHeaderSaysWhatRanAndHowItEnded() {
        browser.open(bootHtml);
        assertTrue(byId("title").getText().contains("boot, seed 1"), byId("title").getText());
        assertEquals("PASS", byId("outcome").getText());
        assertTrue(byId("summary").getText().contains("no violation, as expected"), byId("summary").getText());
        assertTrue(byId("ident").getText().contains("code vnvdimm-sim 0.1.0+src."), byId("ident").getText());
        assertTrue(byId("ident").getText().contains("trace sha256 "), byId("ident").getText());
        assertEquals(BOOT_DELIVERIES + " deliveries", byId("count").getText());
        // Lanes: one per component of boot, in the diagrams' order.
        List<String> lanes = browser.driver.findElements(By.cssSelector("#lanehead span")).stream().map(WebElement::getText).toList();
        assertEquals(List.of("admin", "platform", "xen", "dom0", "xl", "xenstored", "qemu-1", "guest-1"), lanes);
    }

    @Test
    void clickingADeliveryShowsItsFieldsObservationsAndItsRequest() {
        browser.open(bootHtml);
        row(2).click();
        assertEquals(2, browser.selected());
        String detail = byId("detail").getText();
        assertTrue(detail.startsWith("#2 platform → xen"), detail);
        assertTrue(detail.contains("\"firmwareHandoff\""), detail);
        assertTrue(detail.contains("(XEN) E820 type 7: PMEM MFNs 0x280000 - 0x680000 noted"), "observations: " + detail);
        // Filter by text, open the memory_mapping call, follow its answer.
        WebElement grep = byId("grep");
        grep.sendKeys("XEN_DOMCTL_memory_mapping", Keys.ENTER);
        long shown = browser.shown();
        assertTrue(shown > 10 && shown < BOOT_DELIVERIES, "shown " + shown);
        assertEquals(shown + " of " + BOOT_DELIVERIES + " deliveries", byId("count").getText());
        // #72: qemu-1's first memory_mapping in boot, answered by #73
        row(72).click();
        detail = byId("detail").getText();
        assertTrue(detail.startsWith("#72 qemu-1 → xen"), detail);
        assertTrue(detail.contains("\"cmd\": 39"), detail);
        assertTrue(detail.contains("answered by #73"), detail);
        browser.driver.findElement(By.linkText("#73")).click();
        assertEquals(73, browser.selected(), "following the answer clears a filter that hides it");
        assertTrue(byId("detail").getText().contains("reply to #72"), byId("detail").getText());
        // 'r' goes back to the request.
        new Actions(browser.driver).sendKeys("r").perform();
        assertEquals(72, browser.selected());
    }

    @Test
    void filteringByRoleKeepsOnlyThatComponentsDeliveries() {
        browser.open(bootHtml);
        byId("roles").sendKeys("guest-1", Keys.ENTER);
        assertTrue(browser.shown() > 10 && browser.shown() < BOOT_DELIVERIES, "shown " + browser.shown());
        for (WebElement r : browser.driver.findElements(By.cssSelector("#list .row"))) {
            if (r.isDisplayed()) assertTrue(r.findElement(By.className("who")).getText().contains("guest-1"), r.getText());
        }
        byId("roles").clear();
        byId("roles").sendKeys("qemu-*", Keys.ENTER);
        for (WebElement r : browser.driver.findElements(By.cssSelector("#list .row"))) {
            if (r.isDisplayed()) assertTrue(r.findElement(By.className("who")).getText().contains("qemu-1"), r.getText());
        }
    }

    @Test
    void theKeyboardMovesTheSelectionAndPagesThroughTheList() {
        browser.open(bootHtml);
        Actions a = new Actions(browser.driver);
        a.sendKeys(Keys.ARROW_DOWN).perform();
        assertEquals(1, browser.selected());
        a.sendKeys("jjj").perform();
        assertEquals(4, browser.selected());
        a.sendKeys("k").perform();
        assertEquals(3, browser.selected());
        a.sendKeys(Keys.END).perform();
        assertEquals(BOOT_DELIVERIES, browser.selected());
        assertTrue(row(BOOT_DELIVERIES).getAttribute("class").contains("sel"), "the last row is drawn and selected");
        a.sendKeys(Keys.PAGE_UP).perform();
        assertTrue(browser.selected() < BOOT_DELIVERIES - 10, "page up: " + browser.selected());
        a.sendKeys(Keys.HOME).perform();
        assertEquals(1, browser.selected());
        a.sendKeys("/").perform();
        assertEquals("grep", browser.driver.switchTo().activeElement().getAttribute("id"), "'/' goes to the text filter");
    }

    @Test
    void nextAndPreviousViolationJumpToTheDeliveriesWhereVerdictsFired() throws Exception {
        List<Long> bad = new java.util.ArrayList<>();
        try (RecordedRun.Deliveries d = hostile.deliveries()) {
            while (d.hasNext()) {
                TraceRecord r = d.next();
                if (r.getVerdictsCount() > 0) bad.add(r.getDelivered().getSeq());
            }
        }
        assertFalse(bad.isEmpty(), "hostile-qemu-unchecked has verdicts");
        browser.open(hostileHtml);
        new Actions(browser.driver).sendKeys("n").perform();
        assertEquals(bad.get(0), browser.selected());
        String detail = byId("detail").getText();
        assertTrue(detail.contains("VIOLATION isolation: "), detail);
        assertTrue(row(bad.get(0)).getAttribute("class").contains("bad"), "the row is marked");
        byId("next").click();
        assertEquals(bad.size() > 1 ? bad.get(1) : bad.get(0), browser.selected(), "the next one, or the first again");
        byId("prev").click();
        assertEquals(bad.size() > 1 ? bad.get(0) : bad.get(0), browser.selected());
        // Filtering on the verdict's words finds the same deliveries.
        byId("grep").sendKeys("violation isolation", Keys.ENTER);
        assertEquals(bad.size(), browser.shown());
    }

    @Test
    void thePageFetchesNothing() throws Exception {
        String page = Files.readString(bootHtml);
        assertFalse(page.contains("<script src") || page.contains("<link") || page.contains("http://") || page.contains("https://"), "no external resource");
        assertTrue(page.contains("Content-Security-Policy\" content=\"default-src 'none'"), "and the page forbids any");
        browser.open(bootHtml);
        Object requests = browser.js("return performance.getEntriesByType('resource').length");
        assertEquals(0L, ((Number) requests).longValue(), "no resource was requested");
    }
}
