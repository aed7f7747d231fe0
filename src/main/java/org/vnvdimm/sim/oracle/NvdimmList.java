package org.vnvdimm.sim.oracle;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One domain's NVDIMMs as the wire told them to its QEMU, not as QEMU says it holds them: the
 * -object/-device options xl spawned it with, then each QMP object_add and device_add delivered to it
 * and QEMU's answer. The FIT the guest reads must describe exactly these: handle slot + 1 (QEMU's
 * nvdimm_slot_to_handle), an SPA range of ALIGN_DOWN(backend size - label-size, backend align)
 * bytes (nvdimm_prepare_memory_region; a file backend aligns to max(4 KiB, align=), rfc-v4's
 * memory-backend-xen to 4 KiB). A device with
 * no slot= takes the lowest free slot when QEMU plugs it (pc_dimm_get_free_slot), i.e. in the order
 * the commands reach QEMU.
 */
final class NvdimmList {
    static final long HOST_PAGE_BYTES = 4096;

    /** A device: its slot, its region size, and whether QEMU answered its device_add (boot devices: yes). */
    record Device(int slot, long regionBytes, boolean acked) {}

    private record Backend(long sizeBytes, long alignBytes) {}

    private final Map<String, Backend> backends = new LinkedHashMap<>();
    private final TreeMap<Integer, Device> bySlot = new TreeMap<>();

    /** From xl's argv; a device whose backend or sizes do not parse is left out (QEMU would refuse to start). */
    static NvdimmList fromArgv(List<String> argv) {
        NvdimmList l = new NvdimmList();
        for (int i = 0; i + 1 < argv.size(); i++) {
            if (!argv.get(i).equals("-object")) continue;
            Map<String, String> kv = options(argv.get(i + 1));
            if ((kv.containsKey("memory-backend-file") || kv.containsKey("memory-backend-xen")) && kv.containsKey("id")) {
                Long size = size(kv.get("size")), align = kv.containsKey("align") ? size(kv.get("align")) : Long.valueOf(0);
                if (size != null && align != null) l.backends.put(kv.get("id"), new Backend(size, Math.max(HOST_PAGE_BYTES, align)));
            }
        }
        for (int i = 0; i + 1 < argv.size(); i++) {
            if (!argv.get(i).equals("-device") || !argv.get(i + 1).startsWith("nvdimm")) continue;
            Map<String, String> kv = options(argv.get(i + 1));
            Long label = kv.containsKey("label-size") ? size(kv.get("label-size")) : Long.valueOf(0);
            Integer slot = kv.containsKey("slot") ? parseIntOrNull(kv.get("slot")) : null;
            if (label != null) l.plug(kv.get("memdev"), label, slot, true);
        }
        return l;
    }

    /** QMP object_add as delivered: the backend exists from now (until QEMU answers with an error). */
    String objectAdd(JsonObject args) {
        String type = str(args, "qom-type");
        if (!"memory-backend-file".equals(type) && !"memory-backend-xen".equals(type)) return null;
        String id = str(args, "id");
        Long size = num(args, "size"), align = args.has("align") ? num(args, "align") : Long.valueOf(0);
        if (id == null || size == null || align == null) return null;
        backends.put(id, new Backend(size, Math.max(HOST_PAGE_BYTES, align)));
        return id;
    }

    void objectFailed(String id) { backends.remove(id); }

    /** QMP device_add nvdimm as delivered: QEMU plugs it now; returns its slot, or -1 if QEMU cannot. */
    int deviceAdd(JsonObject args) {
        Long label = args.has("label-size") ? num(args, "label-size") : Long.valueOf(0);
        Long slot = args.has("slot") ? num(args, "slot") : null;
        if (label == null) return -1;
        return plug(str(args, "memdev"), label, slot == null ? null : Math.toIntExact(slot), false);
    }

    void deviceAcked(int slot) {
        Device d = bySlot.get(slot);
        if (d != null) bySlot.put(slot, new Device(slot, d.regionBytes(), true));
    }

    void deviceFailed(int slot) { bySlot.remove(slot); }

    private int plug(String memdev, long labelBytes, Integer slot, boolean acked) {
        Backend b = memdev == null ? null : backends.get(memdev);
        if (b == null || labelBytes >= b.sizeBytes()) return -1;
        int s = slot != null ? slot : 0;
        if (slot == null) while (bySlot.containsKey(s)) s++;
        if (bySlot.containsKey(s)) return -1;
        long region = (b.sizeBytes() - labelBytes) / b.alignBytes() * b.alignBytes();
        bySlot.put(s, new Device(s, region, acked));
        return s;
    }

    /**
     * What is wrong with a FIT the guest read completely ({handle: region bytes}), or null: every
     * answered device must be in it with its size; every handle in it must be a device QEMU has or
     * is plugging (a device_add in flight may or may not be in it yet).
     */
    String mismatch(Map<Long, Long> fit) {
        List<String> wrong = new ArrayList<>();
        for (Device d : bySlot.values()) {
            Long got = fit.get((long) d.slot() + 1);
            if (got == null && d.acked()) wrong.add(fmt("handle %#x (slot %d, %d bytes) missing", d.slot() + 1, d.slot(), d.regionBytes()));
            else if (got != null && got != d.regionBytes()) wrong.add(fmt("handle %#x has %d bytes, the device %d", d.slot() + 1, got, d.regionBytes()));
        }
        for (Map.Entry<Long, Long> f : fit.entrySet()) {
            if (f.getKey() < 1 || !bySlot.containsKey((int) (f.getKey() - 1))) wrong.add(fmt("handle %#x is no device of QEMU's", f.getKey()));
        }
        return wrong.isEmpty() ? null : String.join("; ", wrong);
    }

    /** The answered devices as {handle: bytes}, for the message. */
    String describe() {
        StringBuilder b = new StringBuilder("[");
        for (Device d : bySlot.values()) {
            if (!d.acked()) continue;
            if (b.length() > 1) b.append(", ");
            b.append(fmt("%#x: %d", d.slot() + 1, d.regionBytes()));
        }
        return b.append(']').toString();
    }

    static JsonObject arguments(String qmpJson) {
        try {
            JsonElement j = JsonParser.parseString(qmpJson);
            if (!j.isJsonObject()) return null;
            JsonElement a = j.getAsJsonObject().get("arguments");
            return a != null && a.isJsonObject() ? a.getAsJsonObject() : new JsonObject();
        } catch (RuntimeException e) {
            return null;   // QEMU answers malformed QMP with an error; nothing is added
        }
    }

    static String execute(String qmpJson) {
        try {
            JsonElement j = JsonParser.parseString(qmpJson);
            return j.isJsonObject() ? str(j.getAsJsonObject(), "execute") : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String str(JsonObject o, String k) {
        JsonElement e = o.get(k);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static Long num(JsonObject o, String k) {
        JsonElement e = o.get(k);
        if (e == null || !e.isJsonPrimitive()) return null;
        return e.getAsJsonPrimitive().isNumber() ? Long.valueOf(e.getAsLong()) : size(e.getAsString());
    }

    /** QemuOpts "a,b=c,d=e": the first bare word maps to "". */
    private static Map<String, String> options(String opt) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : opt.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) kv.put(part, "");
            else kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return kv;
    }

    /** A QEMU size: bytes, or a number with a K/M/G/T suffix (powers of 1024); null if it is not one. */
    static Long size(String s) {
        if (s == null || s.isEmpty()) return null;
        char c = Character.toUpperCase(s.charAt(s.length() - 1));
        int shift = switch (c) { case 'K' -> 10; case 'M' -> 20; case 'G' -> 30; case 'T' -> 40; default -> 0; };
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        try {
            long v = Long.parseLong(digits);
            if (v < 0 || (shift > 0 && v > (Long.MAX_VALUE >>> shift))) return null;
            return v << shift;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer parseIntOrNull(String s) {
        try {
            return Integer.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String fmt(String f, Object... a) { return String.format(Locale.ROOT, f, a); }
}
