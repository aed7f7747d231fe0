package org.vnvdimm.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import org.junit.jupiter.api.Test;
import org.vnvdimm.proto.MemAccess;
import org.vnvdimm.proto.MemAccessDone;

/** The reader is driven by Descriptors only: it reads messages it has never been told about. */
class YamlProtoReaderTest {

    @Test
    void enumsBytesAndSignedIntegers() throws ScenarioException {
        MemAccess.Builder access = MemAccess.newBuilder();
        YamlProtoReader.read("op: WRITE\nspa: 0x1_0000_0000\nlen: 4\ndata: AQIDBA==\n", "m.yaml", access);
        assertEquals(MemAccess.newBuilder().setOp(MemAccess.Op.WRITE).setSpa(0x100000000L).setLen(4)
                .setData(ByteString.copyFrom(new byte[] {1, 2, 3, 4})).build(), access.build());

        MemAccessDone.Builder done = MemAccessDone.newBuilder();
        YamlProtoReader.read("rc: -5\n", "m.yaml", done);
        assertEquals(-5, done.getRc());
    }

    @Test
    void unknownEnumNameListsTheValues() {
        ScenarioException e = assertThrows(ScenarioException.class,
                () -> YamlProtoReader.read("op: write\n", "m.yaml", MemAccess.newBuilder()));
        assertEquals("m.yaml:1:5: op: expected one of READ, WRITE, FILL, FLUSH, COPY, got 'write'", e.getMessage());
    }

    @Test
    void badBase64() {
        ScenarioException e = assertThrows(ScenarioException.class,
                () -> YamlProtoReader.read("data: not base64!\n", "m.yaml", MemAccess.newBuilder()));
        assertEquals("m.yaml:1:7: data: expected base64 text, got 'not base64!'", e.getMessage());
    }

    @Test
    void sizeUnitsOnlyOnBytesFields() {
        // MemAccess.len is a uint64 but not named *_bytes, so it takes plain integers only.
        ScenarioException e = assertThrows(ScenarioException.class,
                () -> YamlProtoReader.read("len: 4K\n", "m.yaml", MemAccess.newBuilder()));
        assertEquals("m.yaml:1:6: len: expected an integer (uint64, decimal or 0x hex, '_' between digits allowed), got '4K'",
                e.getMessage());
    }

    @Test
    void mapFieldsAndOneofOnlyMessages() throws ScenarioException {
        // Struct.fields is map<string, Value>; Value is a oneof-only message like Step.
        Struct.Builder struct = Struct.newBuilder();
        SourceMap where = YamlProtoReader.read("fields:\n  a: {number_value: 1.5}\n  b: {string_value: hi}\n", "s.yaml", struct);
        assertEquals(Struct.newBuilder()
                .putFields("a", Value.newBuilder().setNumberValue(1.5).build())
                .putFields("b", Value.newBuilder().setStringValue("hi").build()).build(), struct.build());
        assertEquals(new SourceMap.Position(3, 6, null), where.exact("fields[\"b\"]").orElseThrow());
        assertEquals("fields", SourceMap.parent("fields[\"b\"]"));
    }

    @Test
    void mapKeyGivenTwice() {
        ScenarioException e = assertThrows(ScenarioException.class, () -> YamlProtoReader.read(
                "fields:\n  a: {number_value: 1}\n  a: {number_value: 2}\n", "s.yaml", Struct.newBuilder()));
        assertEquals("s.yaml:3:3: fields[\"a\"]: expected each key once (first given at line 2, column 3), got a second 'a'",
                e.getMessage());
    }

    @Test
    void aSelfReferringAliasStopsAtTheDepthLimit() {
        // Struct -> Value -> Struct recurses, so an alias to an enclosing node would never end.
        ScenarioException e = assertThrows(ScenarioException.class, () -> YamlProtoReader.read(
                "fields: &f\n  a: {struct_value: {fields: *f}}\n", "s.yaml", Struct.newBuilder()));
        assertEquals("at most " + YamlProtoReader.MAX_DEPTH + " levels of nesting (is an alias referring to itself?)", e.expected());
    }

    @Test
    void aliasesAreReadAtEachUse() throws ScenarioException {
        Struct.Builder struct = Struct.newBuilder();
        YamlProtoReader.read("fields:\n  a: &v {string_value: same}\n  b: *v\n", "s.yaml", struct);
        assertEquals(struct.getFieldsOrThrow("a"), struct.getFieldsOrThrow("b"));
    }
}
