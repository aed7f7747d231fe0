package org.vnvdimm.sim.view;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sourceforge.plantuml.FileFormat;
import net.sourceforge.plantuml.FileFormatOption;
import net.sourceforge.plantuml.SourceStringReader;

/** PlantUML itself (test scope): renders one diagram to SVG and reports its size in pixels. */
final class PlantUml {
    private PlantUml() {}

    record Size(int widthPx, int heightPx, String svg) {}

    private static final Pattern SIZE = Pattern.compile("<svg[^>]*? width=\"(\\d+)px\" height=\"(\\d+)px\"");

    static Size render(String diagram) throws Exception {
        System.setProperty("java.awt.headless", "true");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SourceStringReader(diagram).outputImage(out, new FileFormatOption(FileFormat.SVG));
        String svg = out.toString(StandardCharsets.UTF_8);
        Matcher m = SIZE.matcher(svg);
        if (!m.find()) throw new AssertionError("PlantUML drew no sized SVG: " + svg.substring(0, Math.min(300, svg.length())));
        return new Size(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), svg);
    }
}
