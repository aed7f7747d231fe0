package org.vnvdimm.sim.scenario;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes a message as YAML that {@link YamlProtoReader} reads back into the same message: the set
 * fields in field-number order, messages as mappings, repeated fields as sequences, strings double-
 * quoted. For scenario files the simulator writes (explore's and shrink's reproducers).
 */
public final class ProtoYaml {
    private ProtoYaml() {}

    public static String write(Message m) {
        StringBuilder b = new StringBuilder();
        fields(m, 0, b);
        return b.toString();
    }

    /** One-line flow form, for a --fault option. */
    public static String flow(Message m) {
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            if (!first) b.append(", ");
            first = false;
            b.append(e.getKey().getName()).append(": ");
            flowValue(e.getKey(), e.getValue(), b);
        }
        return b.toString();
    }

    private static void flowValue(FieldDescriptor f, Object v, StringBuilder b) {
        if (f.isRepeated()) {
            b.append('[');
            List<?> l = (List<?>) v;
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(", ");
                flowScalarOrMessage(f, l.get(i), b);
            }
            b.append(']');
        } else {
            flowScalarOrMessage(f, v, b);
        }
    }

    private static void flowScalarOrMessage(FieldDescriptor f, Object v, StringBuilder b) {
        if (v instanceof Message sub) b.append('{').append(flow(sub)).append('}');
        else b.append(scalar(f, v));
    }

    private static void fields(Message m, int indent, StringBuilder b) {
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            pad(b, indent).append(f.getName()).append(':');
            if (f.isRepeated()) {
                List<?> l = (List<?>) e.getValue();
                if (l.isEmpty()) { b.append(" []\n"); continue; }
                b.append('\n');
                for (Object x : l) {
                    pad(b, indent + 2).append("- ");
                    if (x instanceof Message sub) {
                        if (sub.getAllFields().isEmpty()) { b.append("{}\n"); continue; }
                        b.append('{').append(flow(sub)).append("}\n");
                    } else {
                        b.append(scalar(f, x)).append('\n');
                    }
                }
            } else if (e.getValue() instanceof Message sub) {
                if (sub.getAllFields().isEmpty()) { b.append(" {}\n"); continue; }
                b.append('\n');
                fields(sub, indent + 2, b);
            } else {
                b.append(' ').append(scalar(f, e.getValue())).append('\n');
            }
        }
    }

    private static StringBuilder pad(StringBuilder b, int n) {
        for (int i = 0; i < n; i++) b.append(' ');
        return b;
    }

    static String scalar(FieldDescriptor f, Object v) {
        return switch (f.getJavaType()) {
            case STRING -> quote((String) v);
            case BOOLEAN -> v.toString();
            case INT -> f.getType() == FieldDescriptor.Type.UINT32 || f.getType() == FieldDescriptor.Type.FIXED32
                    ? Integer.toUnsignedString((Integer) v) : v.toString();
            case LONG -> f.getType() == FieldDescriptor.Type.UINT64 || f.getType() == FieldDescriptor.Type.FIXED64
                    ? Long.toUnsignedString((Long) v) : v.toString();
            case FLOAT, DOUBLE -> v.toString();
            case ENUM -> ((EnumValueDescriptor) v).getName();
            case BYTE_STRING -> quote(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray()));
            case MESSAGE -> throw new IllegalArgumentException("not a scalar");
        };
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
