package org.vnvdimm.sim.scenario;

import java.util.Locale;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import java.math.BigInteger;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.CollectionEndEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads one YAML document into any protobuf message, driven only by the message's Descriptor, so a
 * field added to the .proto is readable without touching this class.
 *
 * <p>Rules: mapping keys are proto field names; repeated fields take sequences; message fields take
 * mappings, and an empty mapping or no value means "present with defaults"; a message whose fields
 * all belong to one oneof must name exactly one of them; integers take decimal or 0x hex with '_'
 * separators and are range-checked; 64-bit integer fields whose name ends in {@code _bytes} also take
 * sizes with 1024-based units; enums take value names; bytes take base64; map fields take mappings.
 * Only the composer is used (no object construction), and a tag outside YAML's core schema is refused
 * at its place; nesting and aliases are bounded ({@link #MAX_NESTING}, {@link #MAX_ALIASES}).
 */
public final class YamlProtoReader {
    /** Deeper than any real schema; stops a recursive alias in a recursive message type. */
    static final int MAX_DEPTH = 64;

    /** Nested sequences and mappings a document may open; the composer recurses once per level. */
    public static final int MAX_NESTING = 64;

    /** Aliases ({@code *name}) a document may use; each use is read again in full. */
    public static final int MAX_ALIASES = 100;

    /** Tags a document may write: YAML's core schema ({@code !!str} ...) and the non-specific {@code !}. */
    static final List<String> CORE_TAGS = List.of("str", "int", "float", "bool", "null", "seq", "map");
    private static final String CORE_PREFIX = "tag:yaml.org,2002:";

    // Plain scalars that mean "no value" in YAML 1.2 core schema.
    private static final Set<String> NULL_WORDS = Set.of("", "~", "null", "Null", "NULL");

    private final String source;
    private final SourceMap sourceMap;

    private YamlProtoReader(String source) {
        this.source = source;
        this.sourceMap = new SourceMap(source);
    }

    /**
     * Fills {@code target} from the YAML text and returns where each value was written. On error
     * {@code target} may hold part of the document; callers must discard it.
     */
    public static SourceMap read(String yamlText, String sourceName, Message.Builder target) throws ScenarioException {
        YamlProtoReader reader = new YamlProtoReader(sourceName);
        Optional<Node> document = reader.compose(yamlText);
        if (document.isEmpty()) {
            throw new ScenarioException(sourceName, 1, 1, "(root)",
                    "a mapping with the keys " + fieldNames(target.getDescriptorForType()), "nothing");
        }
        Node root = document.get();
        reader.sourceMap.put("", reader.position(root));
        reader.readMessage(root, target, "", 0);
        return reader.sourceMap;
    }

    // ---------------------------------------------------------------- YAML text to node tree

    private Optional<Node> compose(String yamlText) throws ScenarioException {
        // A byte-order mark is not content; editors do not count it as a column either.
        String text = yamlText.startsWith("\uFEFF") ? yamlText.substring(1) : yamlText;
        // One read buffer for the whole text: snakeyaml-engine 2.9 throws IndexOutOfBoundsException when
        // a surrogate pair (an emoji) straddles the boundary between two buffer fills.
        // The composer's own alias bound (50 collection aliases by default) says nothing of where; ours comes first.
        LoadSettings settings = LoadSettings.builder().setLabel(source).setUseMarks(true)
                .setMaxAliasesForCollections(MAX_ALIASES + 1)
                .setBufferSize(Math.max(1024, text.length() + 16)).build();
        try {
            checkEvents(new Parse(settings).parseString(text));
            return new Compose(settings).composeString(text);
        } catch (MarkedYamlEngineException e) {
            throw YamlSyntax.fromMarked(source, e);
        } catch (ReaderException e) {
            throw YamlSyntax.fromReader(source, text, e);
        } catch (YamlEngineException e) {
            throw new ScenarioException(source, 0, 0, YamlSyntax.FIELD, "valid YAML", YamlSyntax.oneLine(e.getMessage()));
        }
    }

    /**
     * One pass over the parser's events before anything is composed: the composer recurses once per
     * nesting level (a few thousand '[' would overflow the stack), expands nothing but lets every
     * alias be read again in full, and keeps tags it does not know as plain text. So nesting and
     * aliases are bounded here, and any tag outside YAML's core schema is refused at its place.
     */
    private void checkEvents(Iterable<Event> events) throws ScenarioException {
        int depth = 0;
        int aliases = 0;
        for (Event event : events) {
            Optional<String> tag = Optional.empty();
            if (event instanceof CollectionStartEvent start) {
                depth++;
                if (depth > MAX_NESTING) {
                    throw at(event, "at most " + MAX_NESTING + " levels of nested sequences and mappings",
                            "a " + ordinal(depth) + " level");
                }
                tag = start.getTag();
            } else if (event instanceof CollectionEndEvent) {
                depth--;
            } else if (event instanceof AliasEvent alias) {
                aliases++;
                if (aliases > MAX_ALIASES) {
                    throw at(event, "at most " + MAX_ALIASES + " aliases (*name) in a scenario",
                            "a " + ordinal(aliases) + " alias, *" + alias.getAlias().getValue());
                }
            } else if (event instanceof ScalarEvent scalar) {
                tag = scalar.getTag();
            }
            if (tag.isPresent() && !knownTag(tag.get())) {
                throw at(event, "no tag, or one of YAML's core tags (" + CORE_TAGS.stream().map(t -> "!!" + t)
                        .collect(Collectors.joining(", ")) + ")", "the tag " + escape(shortTag(tag.get())));
            }
        }
    }

    private static boolean knownTag(String tag) {
        return tag.equals("!") || (tag.startsWith(CORE_PREFIX) && CORE_TAGS.contains(tag.substring(CORE_PREFIX.length())));
    }

    /** A resolved tag as the author wrote it: {@code tag:yaml.org,2002:x} is {@code !!x}. */
    private static String shortTag(String tag) {
        return tag.startsWith(CORE_PREFIX) ? "!!" + tag.substring(CORE_PREFIX.length()) : tag;
    }

    private static String ordinal(int n) {
        int mod100 = n % 100;
        String suffix = mod100 >= 11 && mod100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    private ScenarioException at(Event event, String expected, String got) {
        Optional<Mark> mark = event.getStartMark();
        int line = mark.map(m -> m.getLine() + 1).orElse(0);
        int column = mark.map(m -> m.getColumn() + 1).orElse(0);
        return new ScenarioException(source, line, column, YamlSyntax.FIELD, expected, got);
    }

    // ---------------------------------------------------------------- node tree to message

    private void readMessage(Node node, Message.Builder builder, String path, int depth) throws ScenarioException {
        Descriptor type = builder.getDescriptorForType();
        if (depth > MAX_DEPTH) {
            throw fail(node, path, "at most " + MAX_DEPTH + " levels of nesting (is an alias referring to itself?)", got(node));
        }
        OneofDescriptor onlyOneof = soleOneof(type);
        if (isNull(node)) {
            if (onlyOneof != null) {
                throw fail(node, path, exactlyOne(onlyOneof), "nothing");
            }
            return;
        }
        if (!(node instanceof MappingNode)) {
            String expected = onlyOneof != null ? exactlyOne(onlyOneof) : "a mapping with the keys " + fieldNames(type);
            if (onlyOneof != null && node instanceof ScalarNode scalar && type.findFieldByName(scalar.getValue()) != null
                    && type.findFieldByName(scalar.getValue()).getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                expected += " (write '" + scalar.getValue() + ": {}')";
            }
            throw fail(node, path, expected, got(node));
        }
        MappingNode mapping = (MappingNode) node;
        Map<String, Node> keysSeen = new HashMap<>();
        Map<OneofDescriptor, NodeTuple> oneofsSeen = new HashMap<>();
        for (NodeTuple entry : mapping.getValue()) {
            Node keyNode = entry.getKeyNode();
            if (!(keyNode instanceof ScalarNode) || isNull(keyNode)) {
                throw fail(keyNode, path.isEmpty() ? "(root)" : path, "a field name (one of " + fieldNames(type) + ")", got(keyNode));
            }
            String name = ((ScalarNode) keyNode).getValue();
            String fieldPath = (path.isEmpty() ? "" : path + ".") + escape(name);
            FieldDescriptor field = type.findFieldByName(name);
            if (field == null) {
                throw fail(keyNode, fieldPath, "one of the keys " + fieldNames(type), quote(name));
            }
            Node first = keysSeen.putIfAbsent(name, keyNode);
            if (first != null) {
                throw fail(keyNode, fieldPath, "each key once (" + name + " is first given at " + lineColumn(first) + ")",
                        "a second " + quote(name));
            }
            OneofDescriptor oneof = field.getRealContainingOneof();
            if (oneof != null) {
                NodeTuple earlier = oneofsSeen.putIfAbsent(oneof, entry);
                if (earlier != null) {
                    String earlierName = ((ScalarNode) earlier.getKeyNode()).getValue();
                    throw fail(keyNode, fieldPath, "only one of " + oneofNames(oneof) + " (" + earlierName
                            + " is already given at " + lineColumn(earlier.getKeyNode()) + ")", quote(name) + " as well");
                }
            }
            readField(entry.getValueNode(), builder, field, fieldPath, depth);
        }
        if (onlyOneof != null && oneofsSeen.isEmpty()) {
            throw fail(node, path, exactlyOne(onlyOneof), got(node));
        }
    }

    private void readField(Node value, Message.Builder builder, FieldDescriptor field, String path, int depth)
            throws ScenarioException {
        sourceMap.put(path, position(value));
        if (field.isMapField()) {
            readMapField(value, builder, field, path, depth);
        } else if (field.isRepeated()) {
            if (isNull(value)) {
                return; // "key:" with nothing after it: an empty list
            }
            if (!(value instanceof SequenceNode)) {
                throw fail(value, path, "a sequence ('- item' lines or [a, b]) of " + describeType(field), got(value));
            }
            List<Node> items = ((SequenceNode) value).getValue();
            for (int i = 0; i < items.size(); i++) {
                Node item = items.get(i);
                String itemPath = path + "[" + i + "]";
                sourceMap.put(itemPath, position(item));
                if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                    Message.Builder sub = builder.newBuilderForField(field);
                    readMessage(item, sub, itemPath, depth + 1);
                    builder.addRepeatedField(field, sub.build());
                } else {
                    builder.addRepeatedField(field, scalar(item, field, itemPath));
                }
            }
        } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            Message.Builder sub = builder.newBuilderForField(field);
            readMessage(value, sub, path, depth + 1);
            // Setting even a default instance marks the field present ("power_on: {}").
            builder.setField(field, sub.build());
        } else {
            builder.setField(field, scalar(value, field, path));
        }
    }

    private void readMapField(Node value, Message.Builder builder, FieldDescriptor field, String path, int depth)
            throws ScenarioException {
        if (isNull(value)) {
            return;
        }
        if (!(value instanceof MappingNode)) {
            throw fail(value, path, "a mapping of keys to " + describeType(field.getMessageType().findFieldByName("value")), got(value));
        }
        Descriptor entryType = field.getMessageType();
        FieldDescriptor keyField = entryType.findFieldByName("key");
        FieldDescriptor valueField = entryType.findFieldByName("value");
        Map<String, Node> keysSeen = new HashMap<>();
        for (NodeTuple entry : ((MappingNode) value).getValue()) {
            Node keyNode = entry.getKeyNode();
            String keyText = keyNode instanceof ScalarNode s ? s.getValue() : "";
            String entryPath = path + "[\"" + escape(keyText) + "\"]";
            if (!(keyNode instanceof ScalarNode) || isNull(keyNode)) {
                throw fail(keyNode, path, "a key (" + describeType(keyField) + ")", got(keyNode));
            }
            Node first = keysSeen.putIfAbsent(keyText, keyNode);
            if (first != null) {
                throw fail(keyNode, entryPath, "each key once (first given at " + lineColumn(first) + ")", "a second " + quote(keyText));
            }
            Message.Builder entryBuilder = builder.newBuilderForField(field);
            entryBuilder.setField(keyField, scalar(keyNode, keyField, entryPath));
            sourceMap.put(entryPath, position(entry.getValueNode()));
            if (valueField.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                Message.Builder sub = entryBuilder.newBuilderForField(valueField);
                readMessage(entry.getValueNode(), sub, entryPath, depth + 1);
                entryBuilder.setField(valueField, sub.build());
            } else {
                entryBuilder.setField(valueField, scalar(entry.getValueNode(), valueField, entryPath));
            }
            builder.addRepeatedField(field, entryBuilder.build());
        }
    }

    private Object scalar(Node node, FieldDescriptor field, String path) throws ScenarioException {
        if (!(node instanceof ScalarNode) || isNull(node)) {
            throw fail(node, path, describeType(field), got(node));
        }
        String text = ((ScalarNode) node).getValue();
        try {
            switch (field.getJavaType()) {
                case STRING:
                    return text;
                case BOOLEAN:
                    return ScalarParsers.bool(text);
                case INT: {
                    BigInteger v = ScalarParsers.integer(text, intKind(field), false);
                    return v.intValue(); // uint32 travels as the int with the same bits
                }
                case LONG: {
                    BigInteger v = ScalarParsers.integer(text, intKind(field), acceptsSizeUnits(field));
                    return v.longValue(); // uint64 travels as the long with the same bits
                }
                case FLOAT:
                    return (float) ScalarParsers.number(text);
                case DOUBLE:
                    return ScalarParsers.number(text);
                case ENUM: {
                    EnumValueDescriptor v = field.getEnumType().findValueByName(text);
                    if (v == null) {
                        throw new ScalarParsers.Rejected(describeType(field));
                    }
                    return v;
                }
                case BYTE_STRING:
                    return base64(text, field);
                default:
                    throw new IllegalStateException("scalar() reached for " + field.getFullName() + " of " + field.getJavaType());
            }
        } catch (ScalarParsers.Rejected r) {
            throw fail(node, path, r.expected, got(node));
        }
    }

    private static ByteString base64(String text, FieldDescriptor field) throws ScalarParsers.Rejected {
        try {
            return ByteString.copyFrom(Base64.getDecoder().decode(text));
        } catch (IllegalArgumentException notBase64) {
            throw new ScalarParsers.Rejected(describeType(field));
        }
    }

    /** A 64-bit integer field named {@code *_bytes} holds a byte count, so it also takes 16GiB-style sizes. */
    static boolean acceptsSizeUnits(FieldDescriptor field) {
        return field.getName().endsWith("_bytes") && intKind(field) != null && intKind(field).is64();
    }

    static ScalarParsers.IntKind intKind(FieldDescriptor field) {
        switch (field.getType()) {
            case INT32:
            case SINT32:
            case SFIXED32:
                return ScalarParsers.IntKind.INT32;
            case UINT32:
            case FIXED32:
                return ScalarParsers.IntKind.UINT32;
            case INT64:
            case SINT64:
            case SFIXED64:
                return ScalarParsers.IntKind.INT64;
            case UINT64:
            case FIXED64:
                return ScalarParsers.IntKind.UINT64;
            default:
                return null;
        }
    }

    private static String describeType(FieldDescriptor field) {
        switch (field.getJavaType()) {
            case STRING:
                return "a string";
            case BOOLEAN:
                return ScalarParsers.BOOLEAN_FORMS;
            case INT:
                return ScalarParsers.integerForms(intKind(field));
            case LONG:
                return acceptsSizeUnits(field) ? ScalarParsers.SIZE_FORMS : ScalarParsers.integerForms(intKind(field));
            case FLOAT:
            case DOUBLE:
                return "a decimal number";
            case ENUM:
                return "one of " + field.getEnumType().getValues().stream().map(EnumValueDescriptor::getName)
                        .collect(Collectors.joining(", "));
            case BYTE_STRING:
                return "base64 text";
            case MESSAGE:
                OneofDescriptor only = soleOneof(field.getMessageType());
                return only != null ? exactlyOne(only) : "a mapping with the keys " + fieldNames(field.getMessageType());
            default:
                return field.getJavaType().toString();
        }
    }

    /** The oneof that holds every field of the type (Step's "action"), or null. */
    static OneofDescriptor soleOneof(Descriptor type) {
        List<OneofDescriptor> oneofs = type.getRealOneofs();
        if (oneofs.size() != 1 || type.getFields().isEmpty()) {
            return null;
        }
        OneofDescriptor only = oneofs.get(0);
        return only.getFieldCount() == type.getFields().size() ? only : null;
    }

    private static String exactlyOne(OneofDescriptor oneof) {
        return "a mapping with exactly one of the keys " + oneofNames(oneof);
    }

    private static String oneofNames(OneofDescriptor oneof) {
        return oneof.getFields().stream().map(FieldDescriptor::getName).collect(Collectors.joining(", "));
    }

    private static String fieldNames(Descriptor type) {
        return type.getFields().stream().map(FieldDescriptor::getName).collect(Collectors.joining(", "));
    }

    // ---------------------------------------------------------------- helpers for positions and messages

    static boolean isNull(Node node) {
        if (!(node instanceof ScalarNode)) {
            return false;
        }
        ScalarNode scalar = (ScalarNode) node;
        return Tag.NULL.equals(scalar.getTag()) || (scalar.isPlain() && NULL_WORDS.contains(scalar.getValue()));
    }

    /** What a node is, for "got ...": the quoted scalar, or its shape. */
    static String got(Node node) {
        if (isNull(node)) {
            return "nothing";
        }
        if (node instanceof ScalarNode) {
            return quote(((ScalarNode) node).getValue());
        }
        if (node instanceof MappingNode) {
            return ((MappingNode) node).getValue().isEmpty() ? "an empty mapping" : "a mapping";
        }
        if (node instanceof SequenceNode) {
            return ((SequenceNode) node).getValue().isEmpty() ? "an empty sequence" : "a sequence";
        }
        return "a " + node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** Single-quoted, control characters escaped, long text shortened so the message stays one line. */
    static String quote(String text) {
        return "'" + escape(text) + "'";
    }

    /** Control characters and line separators escaped, long text shortened: safe inside a one-line message. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (shown == 60) {
                out.append("...");
                break;
            }
            if (cp == '\n') {
                out.append("\\n");
            } else if (cp == '\t') {
                out.append("\\t");
            } else if (Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                out.append(String.format(Locale.ROOT, "\\u%04X", cp));
            } else {
                out.appendCodePoint(cp);
            }
            shown++;
        }
        return out.toString();
    }

    private SourceMap.Position position(Node node) {
        Optional<Mark> mark = node.getStartMark();
        String text = node instanceof ScalarNode && !isNull(node) ? ((ScalarNode) node).getValue() : null;
        return mark.map(m -> new SourceMap.Position(m.getLine() + 1, m.getColumn() + 1, text))
                .orElse(new SourceMap.Position(1, 1, text));
    }

    private static String lineColumn(Node node) {
        return node.getStartMark().map(m -> "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1)).orElse("an earlier line");
    }

    private ScenarioException fail(Node node, String path, String expected, String got) {
        SourceMap.Position at = position(node);
        return new ScenarioException(source, at.line(), at.column(), path.isEmpty() ? "(root)" : path, expected, got);
    }
}
