"""The hand-written protobuf reader (adapters/apps/protobuf) against Google's protobuf. On bytes Google
writes and on bytes hypothesis makes up (mostly near-valid), both must accept the same messages, read the
same fields, and reject the same malformed ones."""

import tracemalloc

from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2, message_factory, unknown_fields
from google.protobuf.message import DecodeError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps import protobuf
from ios_backup_api.adapters.apps.protobuf import Field, ProtobufError


def _reference(data: bytes) -> list[Field] | None:
    """Google's reading of `data` as fields unknown to an empty message; None when it rejects the bytes."""
    message = empty_pb2.Empty()
    try:
        message.ParseFromString(data)
    except DecodeError:
        return None
    read = []
    for field in unknown_fields.UnknownFieldSet(message):
        if field.wire_type in (3, 4) or field.field_number == 0:
            # groups: refused by ours, compared below. Field number 0: the encoding forbids it and upb
            # refuses it at the end of a message, yet accepts `00 00`; ours refuses it everywhere.
            return None
        read.append(Field(field.field_number, field.wire_type, field.data))
    return read


def _ours(data: bytes) -> list[Field] | None:
    try:
        return list(protobuf.fields(data))
    except ProtobufError:
        return None


def _has_group(data: bytes) -> bool:
    message = empty_pb2.Empty()
    try:
        message.ParseFromString(data)
    except DecodeError:
        return False
    return any(field.wire_type in (3, 4) for field in unknown_fields.UnknownFieldSet(message))


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


_numbers = st.integers(1, 2**29 - 1) | st.integers(1, 20) | st.integers(0, 2**32)
_token = st.one_of(
    st.tuples(_numbers, st.just(0), st.integers(0, 2**64 - 1)).map(
        lambda t: _varint(t[0] << 3) + _varint(t[2])
    ),
    st.tuples(_numbers, st.binary(max_size=12)).map(
        lambda t: _varint(t[0] << 3 | 2) + _varint(len(t[1])) + t[1]
    ),
    st.tuples(_numbers, st.binary(min_size=8, max_size=8)).map(lambda t: _varint(t[0] << 3 | 1) + t[1]),
    st.tuples(_numbers, st.binary(min_size=4, max_size=4)).map(lambda t: _varint(t[0] << 3 | 5) + t[1]),
    st.integers(0, 255).map(lambda b: bytes([b])),  # a stray byte: a bad tag, a truncation, a group start
    st.binary(max_size=4),
)


@st.composite
def near_valid(draw: st.DrawFn) -> bytes:
    data = bytearray(b"".join(draw(st.lists(_token, max_size=8))))
    if data and draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # truncated
    if data and draw(st.booleans()):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))  # one byte changed
    return bytes(data)


@settings(max_examples=1500, deadline=None)
@given(near_valid() | st.binary(max_size=64))
@example(b"\x88\x80\x80\x80\x00\x00")  # an overlong (5-byte) tag
@example(b"\x88\x80\x80\x80\x80\x00\x00")  # a 6-byte tag
@example(b"\x08" + b"\xff" * 9 + b"\x7f")  # a 10-byte varint whose last byte overflows 64 bits
@example(b"\x08" + b"\x80" * 10 + b"\x00")  # an 11-byte varint
@example(b"\x12\x80\x80\x80\x80\x80\x80\x80\x80\x01")  # a length of 2**63
def test_the_reader_reads_what_google_protobuf_reads(data: bytes) -> None:
    ours = _ours(data)
    if _has_group(data):
        assert ours is None
    else:
        assert ours == _reference(data)
    assert ours is None or len(ours) <= len(data) // 2  # a field is at least a tag and a byte


def _message_class() -> type:
    """A message with a field of each wire type, and itself nested, made at run time (no generated code)."""
    file = descriptor_pb2.FileDescriptorProto(name="probe.proto", package="probe", syntax="proto2")
    probe = file.message_type.add(name="Probe")
    kinds = descriptor_pb2.FieldDescriptorProto
    for number, name, kind in (
        (1, "number", kinds.TYPE_UINT64),
        (2, "text", kinds.TYPE_STRING),
        (3, "blob", kinds.TYPE_BYTES),
        (4, "wide", kinds.TYPE_FIXED64),
        (5, "narrow", kinds.TYPE_FIXED32),
        (6, "signed", kinds.TYPE_SINT64),
    ):
        probe.field.add(name=name, number=number, type=kind, label=kinds.LABEL_OPTIONAL)
    probe.field.add(
        name="child", number=7, type=kinds.TYPE_MESSAGE, type_name=".probe.Probe", label=kinds.LABEL_OPTIONAL
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("probe.Probe"))


Probe = _message_class()
_leaf = st.fixed_dictionaries(
    {},
    optional={
        "number": st.integers(0, 2**64 - 1),
        "text": st.text(max_size=20),
        "blob": st.binary(max_size=20),
        "wide": st.integers(0, 2**64 - 1),
        "narrow": st.integers(0, 2**32 - 1),
        "signed": st.integers(-(2**63), 2**63 - 1),
    },
)
_probes = st.recursive(
    _leaf, lambda inner: st.tuples(_leaf, inner).map(lambda t: {**t[0], "child": t[1]}), max_leaves=4
)


@settings(max_examples=500, deadline=None)
@given(_probes)
def test_the_reader_reads_every_field_google_protobuf_writes(values: dict[str, object]) -> None:
    written = Probe(**values).SerializeToString()
    node: dict[str, object] | None = values
    data: bytes | None = written
    while node is not None:
        assert data is not None
        read = {field.number: field for field in protobuf.fields(data)}
        expected_numbers = {
            {"number": 1, "text": 2, "blob": 3, "wide": 4, "narrow": 5, "signed": 6, "child": 7}[name]
            for name in node
        }
        assert set(read) == expected_numbers
        if "number" in node:
            assert read[1].value == node["number"]
        if "text" in node:
            assert read[2].value == str(node["text"]).encode()
        if "blob" in node:
            assert read[3].value == node["blob"]
        if "wide" in node:
            assert read[4].value == node["wide"]
        if "narrow" in node:
            assert read[5].value == node["narrow"]
        if "signed" in node:
            zigzag = read[6].value
            assert isinstance(zigzag, int)
            assert (zigzag >> 1) ^ -(zigzag & 1) == node["signed"]
        child = node.get("child")
        node = child if isinstance(child, dict) else None
        data = protobuf.first_at(data, [7]) if node is not None else None


def test_first_at_follows_a_path_and_answers_none_where_it_stops() -> None:
    written = Probe(child=Probe(child=Probe(text="deep"))).SerializeToString()
    assert protobuf.first_at(written, [7, 7, 2]) == b"deep"
    assert protobuf.first_at(written, [7, 3]) is None
    assert protobuf.first_at(written, []) == written


def test_hostile_input_costs_no_more_than_its_bytes() -> None:
    # a length far beyond the bytes is refused without allocating it
    tracemalloc.start()
    try:
        assert _ours(b"\x12" + _varint(2**62) + b"x") is None
        assert _ours(b"\x12" + _varint(2**31) + b"x" * 1000) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    # every field consumes bytes: a megabyte of one-byte fields is 500,000 fields, read once each
    assert len(list(protobuf.fields(b"\x08\x01" * 500_000))) == 500_000
