package org.vnvdimm.sim.view;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vnvdimm.proto.Envelope;

/**
 * A delivery's fields for the Perfetto and HTML views: the message (the envelope without the wire's
 * stamps, which the views show on their own) as protobuf's JSON mapping prints it. Byte fields
 * longer than MAX_BYTES (page data on the bus, table blobs) keep their first SHOWN_BYTES, and a
 * "_shortened" list says which and how long they were: a 16 KiB page per load would make a
 * 200,000-delivery page too large to open. trace.jsonl and trace.bin keep every byte.
 */
final class Fields {
    static final int MAX_BYTES = 64;
    static final int SHOWN_BYTES = 32;
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private Fields() {}

    static String of(Envelope e) {
        Envelope bare = e.toBuilder().clearFrom().clearTo().clearSeq().clearLamport().clearCause().clearVtimeNs().clearInReplyTo().build();
        List<String> notes = new ArrayList<>();
        Message m = shorten(bare, "", notes);
        String json;
        try {
            json = JSON.print(m);
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException("cannot print delivery #" + e.getSeq() + ": " + ex.getMessage(), ex);
        }
        if (notes.isEmpty()) return json;
        StringBuilder b = new StringBuilder(json.substring(0, json.length() - 1));
        if (b.length() > 1) b.append(',');
        b.append("\"_shortened\":[");
        for (int i = 0; i < notes.size(); i++) b.append(i == 0 ? "" : ",").append('"').append(notes.get(i)).append('"');
        return b.append("]}").toString();
    }

    /** The message with long byte fields cut to their first SHOWN_BYTES; notes get "path: N bytes". */
    private static Message shorten(Message m, String path, List<String> notes) {
        Message.Builder b = null;
        for (Map.Entry<FieldDescriptor, Object> f : m.getAllFields().entrySet()) {
            FieldDescriptor fd = f.getKey();
            String at = path + fd.getJsonName();
            if (fd.getType() == FieldDescriptor.Type.BYTES && !fd.isRepeated()) {
                ByteString bs = (ByteString) f.getValue();
                if (bs.size() > MAX_BYTES) {
                    if (b == null) b = m.toBuilder();
                    b.setField(fd, bs.substring(0, SHOWN_BYTES));
                    notes.add(at + ": " + bs.size() + " bytes, the first " + SHOWN_BYTES + " shown");
                }
            } else if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                if (fd.isRepeated()) {
                    List<?> items = (List<?>) f.getValue();
                    for (int i = 0; i < items.size(); i++) {
                        Message item = (Message) items.get(i);
                        Message s = shorten(item, at + "[" + i + "].", notes);
                        if (s != item) {
                            if (b == null) b = m.toBuilder();
                            b.setRepeatedField(fd, i, s);
                        }
                    }
                } else {
                    Message item = (Message) f.getValue();
                    Message s = shorten(item, at + ".", notes);
                    if (s != item) {
                        if (b == null) b = m.toBuilder();
                        b.setField(fd, s);
                    }
                }
            }
        }
        return b == null ? m : b.build();
    }
}
