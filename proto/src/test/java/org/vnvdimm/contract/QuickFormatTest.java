package org.vnvdimm.contract;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** ComponentBehavior.format writes what String.format(Locale.ROOT, …) writes, fast path or not. */
class QuickFormatTest {
    static final List<Object> VALUES = List.of(0, 1, -1, 42, Integer.MAX_VALUE, Integer.MIN_VALUE, 0L, -1L, 0x28a300L,
            Long.MAX_VALUE, Long.MIN_VALUE, 0xffff_ffffL, "text", "", (short) -2, (byte) -3, 3.5, true);

    @Test
    void everyConversionTheComponentsUseMatchesFormatter() {
        List<String> formats = List.of("%d", "%s", "%x", "%#x", "%016x", "%05x", "a %d b %#x c %s%%", "%n%s", "gfn=%08x", "%#018x", "%#06x", "%#03x", "[mem %#018x-%#018x]", "%X", "%,d", "%5s", "%-5d");
        int quick = 0;
        for (String f : formats) {
            for (Object v : VALUES) {
                Object[] args = f.startsWith("a ") ? new Object[] {v, v, v} : f.startsWith("[mem") ? new Object[] {v, v} : new Object[] {v};
                String expected;
                try {
                    expected = String.format(Locale.ROOT, f, args);
                } catch (java.util.IllegalFormatException ex) {
                    // the fast path never accepts what Formatter refuses, and format throws the same
                    assertNull(ComponentBehavior.quickFormat(f, args), f + " " + v);
                    assertThrows(ex.getClass(), () -> ComponentBehavior.format(f, args));
                    continue;
                }
                assertEquals(expected, ComponentBehavior.format(f, args), f + " " + v);
                String q = ComponentBehavior.quickFormat(f, args);
                if (q != null) { assertEquals(expected, q, f + " " + v); quick++; }
            }
        }
        // the fast path takes the common cases (not everything falls back)
        assertTrue(quick > 60, "fast path used " + quick + " times");
        assertNull(ComponentBehavior.quickFormat("%d %d", new Object[] {1}), "a missing argument is Formatter's to report");
        assertEquals("null", ComponentBehavior.format("%s", (Object) null));
        List<String> nested = new ArrayList<>();
        Object reentrant = new Object() {
            @Override public String toString() { nested.add(ComponentBehavior.format("%5s", "in")); return "out"; }
        };
        assertEquals("[out]", ComponentBehavior.format("[%6.3s]", reentrant).replace(" ", ""));
        assertEquals(List.of("   in"), nested);
    }
}
