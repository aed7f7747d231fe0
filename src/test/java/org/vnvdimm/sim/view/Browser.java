package org.vnvdimm.sim.view;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Debian Chromium driven by its chromedriver (both from apt: .ci/run installs them). Under
 * CI=true a missing browser fails the test; elsewhere the test is skipped and says why.
 */
final class Browser implements AutoCloseable {
    final ChromeDriver driver;

    private Browser(ChromeDriver driver) { this.driver = driver; }

    static Browser start() {
        Path chromium = onPath("chromium", "chromium-browser");
        Path chromedriver = onPath("chromedriver");
        if (chromium == null || chromedriver == null) {
            String why = "the HTML viewer's browser test needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver; .ci/run installs them): "
                    + (chromium == null ? "no chromium" : "no chromedriver") + " on PATH";
            if ("true".equals(System.getenv("CI"))) fail(why);
            Assumptions.abort(why);
        }
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium.toFile());
        // root in a container: no sandbox; a small /dev/shm: use /tmp.
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
                "--no-first-run", "--disable-extensions", "--disable-background-networking");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        ChromeDriver d = new ChromeDriver(service, o);
        d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(120)).scriptTimeout(Duration.ofSeconds(60));
        return new Browser(d);
    }

    private static Path onPath(String... names) {
        // -Dvnvdimm.test.path=DIRS searches DIRS instead of PATH (to see this test fail or skip without a browser).
        String path = System.getProperty("vnvdimm.test.path", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        for (String dir : path.split(File.pathSeparator)) {
            for (String n : names) {
                Path p = Path.of(dir, n);
                if (Files.isExecutable(p)) return p;
            }
        }
        return null;
    }

    /** Loads the page and waits until the viewer says it is ready; returns the wall-clock milliseconds that took. */
    long open(Path html) {
        driver.get("about:blank"); // a fresh load, not a reload that restores the last scroll offset
        long t0 = System.nanoTime();
        driver.get(html.toUri().toString());
        new WebDriverWait(driver, Duration.ofSeconds(120)).until(dr -> "1".equals(js("return document.documentElement.dataset.ready || ''")));
        return (System.nanoTime() - t0) / 1_000_000;
    }

    Object js(String script, Object... args) { return ((JavascriptExecutor) driver).executeScript(script, args); }

    long selected() { return ((Number) js("return window.vnvdimmViewer.selected()")).longValue(); }

    long shown() { return ((Number) js("return window.vnvdimmViewer.shown()")).longValue(); }

    @Override
    public void close() { driver.quit(); }
}
