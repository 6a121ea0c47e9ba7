"""The fast MBFile reader against plistlib, the reference implementation: property tests.

decode_file_record reads a record with mbfile_fast.read_values, a hand-written lazy reader that remembers
record shapes, and falls back to plistlib. Every record generated here is decoded again with plistlib alone
(the reference below): decode_file_record, and read_values whenever it does not decline, must say the same.

The records come from three writers: plistlib.dumps, our backup writer (encode_mbfile), and a binary plist
writer of this file that makes what plistlib.dumps cannot (bytes and UTF-16 keys, repeated keys, integers
and UIDs wider than they need, the 0x0F fill object, objects in any order, wide offset tables).
"""

import plistlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice, permutations
from plistlib import UID
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.backup_writer.mbfile import encode_mbfile
from ios_backup_api.adapters.vault import mbfile_fast
from ios_backup_api.adapters.vault.mbfile import FileRecord, decode_file_record

# The same examples on every run and no example database: CI replays what a laptop saw. The whole file
# runs in a few seconds; `deadline=None` because a cold interpreter makes the first examples slow.
SETTINGS = settings(deadline=None, derandomize=True, database=None)

MBFILE_CLASS = {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]}
DATA_CLASS = {"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]}
ARCHIVE_KEYS = ("$version", "$archiver", "$top", "$objects")
INT_ATTRIBUTES = (
    "Size",
    "Mode",
    "LastModified",
    "LastStatusChange",
    "Birth",
    "InodeNumber",
    "UserID",
    "GroupID",
    "Flags",
    "ProtectionClass",
)
DECODED_INTS = ("Size", "Mode", "LastModified", "ProtectionClass")
TRAILER = struct.Struct(">6xBBQQQ")


# --- The reference: plistlib and nothing else ------------------------------------------------------------


def plistlib_root(blob: bytes) -> tuple[list[Any], dict[Any, Any]]:
    """$objects and the root dictionary. Every record generated here is a well-formed keyed archive, so a
    record that is not is a bug of this file's generators, not a None field."""
    archive = plistlib.loads(blob, fmt=plistlib.FMT_BINARY)
    objects = archive["$objects"]
    root = objects[archive["$top"]["root"].data]
    assert isinstance(root, dict)
    return objects, root


def named(objects: list[Any], reference: object) -> object:
    """The object a UID names in $objects; index 0 is "$null" by the archiver's convention: it names none."""
    if isinstance(reference, UID) and 0 < reference.data < len(objects):
        return objects[reference.data]
    return None


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def count(value: object) -> int | None:
    # Our decoder's rule for plistlib's ints: non-negative and within a signed 64-bit integer.
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63 else None


def moment(value: object) -> datetime | None:
    seconds = count(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):  # past the year 9999: not a date
        return None


def key_data(objects: list[Any], root: dict[Any, Any]) -> bytes | None:
    key = named(objects, root.get("EncryptionKey"))
    data = key.get("NS.data") if isinstance(key, dict) else None
    return data if isinstance(data, bytes) else None


def target(objects: list[Any], root: dict[Any, Any]) -> str | None:
    value = named(objects, root.get("Target"))
    return value if isinstance(value, str) else None


def reference_record(blob: bytes) -> FileRecord:
    objects, root = plistlib_root(blob)
    return FileRecord(
        size=count(root.get("Size")),
        mode=count(root.get("Mode")),
        modified_at=moment(root.get("LastModified")),
        protection_class=count(root.get("ProtectionClass")),
        link_target=target(objects, root),
        encryption_key=key_data(objects, root),
    )


def reference_values(blob: bytes, with_key: bool) -> mbfile_fast.Values:
    """What read_values promises: the four integers when they are ints (negative ones too), else None;
    Target's string or None; EncryptionKey's data or None (None without `with_key`)."""
    objects, root = plistlib_root(blob)
    ints = [root.get(name) if is_int(root.get(name)) else None for name in DECODED_INTS]
    size, mode, modified, protection = ints
    key = key_data(objects, root) if with_key else None
    return size, mode, modified, protection, target(objects, root), key


def forget_shapes() -> None:
    mbfile_fast._shapes.clear()
    mbfile_fast._remembered.clear()


def kind(blob: bytes) -> tuple[int, int, int]:
    """(object count, top object, offset size): the trailer fields mbfile_fast files its shapes under."""
    offset_size, _, objects, top, _ = TRAILER.unpack_from(blob, len(blob) - TRAILER.size)
    return objects, top, offset_size


def assert_agrees_with_plistlib(blob: bytes, *, fast_reads_it: bool) -> None:
    """`fast_reads_it`: the record has a shape the fast reader claims (one-byte references, ASCII keys),
    so it must not decline it: otherwise only the fallback would be tested."""
    expected, hex_blob = reference_record(blob), blob.hex()
    cold = mbfile_fast.read_values(blob)  # the first read of a shape learns it, the next ones use it
    assert decode_file_record(blob) == expected, hex_blob
    assert decode_file_record(blob, with_key=False) == expected._replace(encryption_key=None), hex_blob
    warm = mbfile_fast.read_values(blob), mbfile_fast.read_values(blob, with_key=False)
    for with_key, values in ((True, cold), (True, warm[0]), (False, warm[1])):
        if fast_reads_it:
            assert values is not None, hex_blob
        if values is not None:
            assert values == reference_values(blob, with_key), hex_blob


# --- Keyed archives -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """An attribute that is a UID naming `value`, which is stored in $objects, as NSKeyedArchiver does."""

    value: object


@dataclass(frozen=True)
class Pairs:
    """A dictionary as its (key, value) pairs, for the binary writer of this file: keys may repeat."""

    pairs: tuple[tuple[object, object], ...]


@dataclass(frozen=True)
class Absent:
    """An NS.data dictionary without NS.data."""


def keyed_archive(root: dict[str, object] | Pairs, order: Sequence[str] = ARCHIVE_KEYS) -> dict[str, object]:
    """An NSKeyedArchiver archive whose root object is `root`, its Obj values stored in $objects."""
    objects: list[object] = ["$null", None]

    def stored(value: object) -> object:
        if isinstance(value, Obj):
            objects.append(None)
            index = len(objects) - 1
            objects[index] = stored(value.value)
            return UID(index)
        if isinstance(value, dict):
            return {key: stored(item) for key, item in value.items()}
        if isinstance(value, Pairs):
            return Pairs(tuple((key, stored(item)) for key, item in value.pairs))
        if isinstance(value, list):
            return [stored(item) for item in value]
        return value

    objects[1] = stored(root)
    parts = {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": UID(1)},
        "$objects": objects,
    }
    return {key: parts[key] for key in order}


def data_dict(data: object, class_first: bool) -> dict[str, object]:
    """An NSMutableData as NSKeyedArchiver stores it: {"NS.data": bytes, "$class": UID of its class}."""
    items = {} if isinstance(data, Absent) else {"NS.data": data}
    class_ref = {"$class": Obj(DATA_CLASS)}
    return {**class_ref, **items} if class_first else {**items, **class_ref}


# --- Strategies -----------------------------------------------------------------------------------------

SIGNED_64 = st.one_of(
    st.sampled_from([0, 1, 0xFF, 0x100, 0xFFFF, 0x1_0000, 2**32 - 1, 2**32, 2**63 - 1, -1, -(2**63)]),
    st.sampled_from([253_402_300_799, 253_402_300_800]),  # the last second of the year 9999, the next one
    st.integers(0, 0xFF),
    st.integers(0x100, 0xFFFF),
    st.integers(0x1_0000, 2**32 - 1),
    st.integers(2**32, 2**63 - 1),
    st.integers(-(2**63), -1),
)
"""Integers of every width our writer stores (1, 2, 4 bytes unsigned; 8 bytes signed)."""
PLISTLIB_INTS = SIGNED_64 | st.integers(2**63, 2**64 - 1)  # plistlib stores these in 16 bytes
CRAFTED_INTS = PLISTLIB_INTS | st.integers(-(2**127), 2**127 - 1)
WRONG_TYPES = st.one_of(
    st.booleans(),
    st.text(max_size=3),
    st.floats(),
    st.binary(max_size=3),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.builds(UID, st.integers(0, 40)),
)
TEXT = st.text(max_size=40) | st.text(st.characters(codec="ascii"), max_size=40)
"""ASCII strings are stored as ASCII, others as UTF-16 (some outside the BMP: surrogate pairs)."""
STRAY_UID = st.builds(UID, st.integers(0, 300))  # names any object, "$null", or none
KEY_DATA = st.binary(min_size=44, max_size=44) | st.binary(max_size=60)  # real ones: 4 + 40 bytes
TARGET = st.one_of(
    st.builds(Obj, TEXT),
    st.builds(Obj, st.integers(0, 9) | st.binary(max_size=3) | st.builds(data_dict, KEY_DATA, st.booleans())),
    STRAY_UID,
    TEXT,  # the string itself rather than a UID: no target
)
ENCRYPTION_KEY = st.one_of(
    st.builds(Obj, st.builds(data_dict, KEY_DATA, st.booleans())),
    st.builds(Obj, st.builds(data_dict, st.just(Absent()) | TEXT | st.integers(0, 9), st.booleans())),
    st.builds(Obj, KEY_DATA | TEXT),
    STRAY_UID,
)
EXTENDED_ATTRIBUTES = st.builds(Obj, st.builds(data_dict, st.binary(max_size=30), st.booleans())) | st.builds(
    Obj, st.binary(max_size=30)
)


def attributes(ints: st.SearchStrategy[object]) -> dict[str, st.SearchStrategy[object]]:
    return {
        **dict.fromkeys(INT_ATTRIBUTES, ints),
        "$class": st.just(Obj(MBFILE_CLASS)),
        "RelativePath": st.builds(Obj, TEXT),
        "Target": TARGET,
        "EncryptionKey": ENCRYPTION_KEY,
        "ExtendedAttributes": EXTENDED_ATTRIBUTES,
    }


@st.composite
def root_pairs(draw: st.DrawFn, ints: st.SearchStrategy[object]) -> list[tuple[str, object]]:
    """The root MBFile's attributes: all of them (as iOS 14-18 write) or any of them, in any order."""
    every = attributes(ints)
    chosen = draw(st.fixed_dictionaries(every) | st.fixed_dictionaries({}, optional=every))
    return draw(st.permutations(list(chosen.items())))


@st.composite
def plistlib_records(draw: st.DrawFn) -> bytes:
    # plistlib.dumps refuses keys other than str ("keys must be strings"): bytes keys, UTF-16 keys and
    # repeated keys are made by crafted_records instead.
    root = dict(draw(root_pairs(PLISTLIB_INTS | WRONG_TYPES)))
    archive = keyed_archive(root, draw(st.permutations(ARCHIVE_KEYS)))
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY, sort_keys=draw(st.booleans()))


@st.composite
def writer_records(draw: st.DrawFn) -> bytes:
    """encode_mbfile's three layouts: a file or directory, an encrypted file, a symlink."""
    layout = draw(st.sampled_from(["plain", "encrypted", "symlink"]))
    return encode_mbfile(
        relative_path=draw(TEXT),
        mode=draw(SIGNED_64),
        size=draw(SIGNED_64),
        protection_class=draw(SIGNED_64),
        inode=draw(SIGNED_64),
        modified_at=draw(SIGNED_64),
        created_at=draw(st.none() | SIGNED_64),
        encryption_key=draw(KEY_DATA) if layout == "encrypted" else None,
        target=draw(TEXT) if layout == "symlink" else None,
    )


# --- A binary plist writer for what plistlib.dumps cannot write -----------------------------------------


@dataclass(frozen=True)
class Utf16:
    """A string stored as UTF-16 even when it is ASCII."""

    text: str


@dataclass(frozen=True)
class WideInt:
    """An integer stored in `width` bytes (1, 2, 4: unsigned; 8, 16: signed), maybe more than it needs."""

    value: int
    width: int


@dataclass(frozen=True)
class WideUID:
    index: int
    width: int


@dataclass(frozen=True)
class Fill:
    """The 0x0F object, which plistlib reads as b""."""


def int_widths(value: int) -> list[int]:
    """The widths that hold `value`, narrowest first."""
    return [
        width
        for width in (1, 2, 4, 8, 16)
        if (0 <= value < 1 << 8 * width if width < 8 else -(1 << 8 * width - 1) <= value < 1 << 8 * width - 1)
    ]


def uid_widths(index: int) -> list[int]:
    return [width for width in (1, 2, 4, 8) if index < 1 << 8 * width]


def int_bytes(value: int, width: int) -> bytes:
    return bytes((0x10 | width.bit_length() - 1,)) + value.to_bytes(width, "big", signed=width >= 8)


def marker(token: int, length: int) -> bytes:
    if length < 0x0F:
        return bytes((token | length,))
    return bytes((token | 0x0F,)) + int_bytes(length, int_widths(length)[0])


def scalar(value: object) -> bytes:
    match value:
        case None:
            return b"\x00"
        case Fill():
            return b"\x0f"
        case bool():
            return b"\x09" if value else b"\x08"
        case WideInt(number, width):
            return int_bytes(number, width)
        case int():
            return int_bytes(value, int_widths(value)[0])
        case float():
            return b"\x23" + struct.pack(">d", value)
        case datetime():
            return b"\x33" + struct.pack(">d", (value - datetime(2001, 1, 1)).total_seconds())
        case Utf16(text):
            units = text.encode("utf-16-be")
            return marker(0x60, len(units) // 2) + units
        case str() if value.isascii():
            return marker(0x50, len(value)) + value.encode("ascii")
        case str():
            return scalar(Utf16(value))
        case bytes():
            return marker(0x40, len(value)) + value
        case UID():
            return scalar(WideUID(value.data, uid_widths(value.data)[0]))
        case WideUID(index, width):
            return bytes((0x80 | width - 1,)) + index.to_bytes(width, "big")
    raise TypeError(f"no binary plist form for {value!r}")


def flatten(document: object) -> tuple[list[object], list[list[int]]]:
    """Every object of the document once (none shared, unlike plistlib's), with its children."""
    nodes: list[object] = []
    children: list[list[int]] = []

    def visit(value: object) -> int:
        index = len(nodes)
        nodes.append(value)
        children.append([])
        if isinstance(value, dict):
            value = Pairs(tuple(value.items()))
        if isinstance(value, Pairs):
            children[index] = [visit(key) for key, _ in value.pairs] + [
                visit(item) for _, item in value.pairs
            ]
        elif isinstance(value, list):
            children[index] = [visit(item) for item in value]
        return index

    visit(document)
    return nodes, children


def binary_plist(
    document: object,
    *,
    numbering: Sequence[int] | None = None,
    layout: Sequence[int] | None = None,
    offset_size: int = 1,
) -> bytes:
    """`numbering[i]` is the reference of the document's i-th object (depth first, keys before values),
    `layout` the order objects' bytes are written in; the offset table is at least `offset_size` wide."""
    nodes, children = flatten(document)
    assert len(nodes) <= 256, "one-byte references"
    numbering = range(len(nodes)) if numbering is None else numbering
    offsets = [0] * len(nodes)
    body = bytearray(b"bplist00")
    for index in range(len(nodes)) if layout is None else layout:
        node, refs = nodes[index], bytes(numbering[child] for child in children[index])
        offsets[numbering[index]] = len(body)
        if isinstance(node, dict | Pairs):
            body += marker(0xD0, len(refs) // 2) + refs
        elif isinstance(node, list):
            body += marker(0xA0, len(refs)) + refs
        else:
            body += scalar(node)
    table_offset = len(body)
    width = next(width for width in (1, 2, 4, 8) if width >= offset_size and table_offset < 1 << 8 * width)
    body += b"".join(offset.to_bytes(width, "big") for offset in offsets)
    body += TRAILER.pack(width, 1, len(nodes), numbering[0], table_offset)
    return bytes(body)


def varied(draw: st.DrawFn, value: object, *, odd_keys: bool, bytes_keys: bool) -> object:
    """`value` with some of its integers, UIDs, strings and empty data stored otherwise, the same to
    plistlib; with `odd_keys`, some keys stored as UTF-16 or (`bytes_keys`) as data."""

    def again(item: object) -> object:
        return varied(draw, item, odd_keys=odd_keys, bytes_keys=bytes_keys)

    match value:
        case dict() | Pairs():
            pairs = value.items() if isinstance(value, dict) else value.pairs
            return Pairs(
                tuple((varied_key(draw, key, odd_keys, bytes_keys), again(item)) for key, item in pairs)
            )
        case list():
            return [again(item) for item in value]
        case bool():
            return value
        case int():
            return WideInt(value, draw(st.sampled_from(int_widths(value))))
        case UID():
            return WideUID(value.data, draw(st.sampled_from(uid_widths(value.data))))
        case str():
            return draw(st.sampled_from([value, value, Utf16(value)]))
        case b"":
            return draw(st.sampled_from([b"", Fill()]))
    return value


def varied_key(draw: st.DrawFn, key: object, odd_keys: bool, bytes_keys: bool) -> object:
    if not odd_keys or not isinstance(key, str):
        return key
    return draw(st.sampled_from([key, key, key, Utf16(key), *([key.encode()] if bytes_keys else [])]))


@st.composite
def crafted_records(draw: st.DrawFn) -> bytes:
    pairs = draw(root_pairs(CRAFTED_INTS | WRONG_TYPES | st.none()))
    repeated = st.tuples(st.sampled_from(DECODED_INTS), CRAFTED_INTS) | st.tuples(st.just("Target"), TARGET)
    pairs += draw(st.lists(repeated, max_size=2))  # a key again: plistlib keeps the last
    archive = keyed_archive(Pairs(tuple(pairs)), draw(st.permutations(ARCHIVE_KEYS)))
    odd_keys = draw(st.booleans())
    # Data keys only in $objects: "$top" or "root" as data would be no archive at all.
    document = Pairs(
        tuple(
            (
                varied_key(draw, key, odd_keys, bytes_keys=False),
                varied(draw, value, odd_keys=odd_keys, bytes_keys=key == "$objects"),
            )
            for key, value in archive.items()
        )
    )
    objects = len(flatten(document)[0])
    ordered = st.just(list(range(objects)))
    return binary_plist(
        document,
        numbering=draw(ordered | st.permutations(range(objects))),
        layout=draw(ordered | st.permutations(range(objects))),
        offset_size=draw(st.sampled_from([1, 2, 4, 8])),
    )


# --- The tests ------------------------------------------------------------------------------------------
# The shape cache is cleared at the start of every example, deliberately: a failure then depends on the
# example alone, so hypothesis can shrink and replay it. Sharing shapes is exercised within an example:
# each record is read cold and then from its remembered shape, and the tests of many records read records
# of one shape with other values, and records of other shapes under the same trailer kind.


@settings(SETTINGS, max_examples=250)
@given(plistlib_records())
def test_fast_reader_and_decoder_agree_with_plistlib_on_archives_plistlib_wrote(blob: bytes) -> None:
    forget_shapes()
    assert_agrees_with_plistlib(blob, fast_reads_it=True)


@settings(SETTINGS, max_examples=150)
@given(crafted_records())
def test_fast_reader_and_decoder_agree_with_plistlib_on_archives_crafted_byte_by_byte(blob: bytes) -> None:
    forget_shapes()
    # Bytes or UTF-16 keys make the fast reader decline (None): then the decoder's fallback is checked.
    assert_agrees_with_plistlib(blob, fast_reads_it=False)


@settings(SETTINGS, max_examples=100)
@given(st.lists(writer_records(), min_size=1, max_size=12))
def test_fast_reader_and_decoder_agree_with_plistlib_on_a_manifest_our_writer_wrote(
    blobs: list[bytes],
) -> None:
    forget_shapes()
    for blob in blobs:
        assert_agrees_with_plistlib(blob, fast_reads_it=True)


SHAPE_KEYS = (*INT_ATTRIBUTES, "$class", "RelativePath", "Target", "EncryptionKey")
SHAPE_VALUES = st.fixed_dictionaries(
    {
        **dict.fromkeys(INT_ATTRIBUTES, PLISTLIB_INTS | WRONG_TYPES),
        "$class": st.just(Obj(MBFILE_CLASS)),
        "RelativePath": st.builds(Obj, TEXT),
        "Target": st.builds(Obj, TEXT | st.builds(Utf16, TEXT)),
        "EncryptionKey": st.builds(Obj, st.builds(data_dict, KEY_DATA, st.booleans())),
    }
)
"""One object per value whatever the value: a record's object count depends on its keys only."""


def same_kind_record(order: Sequence[str], values: dict[str, object]) -> bytes:
    """A record with the keys in `order`. Objects in document order with a two-byte offset table: records
    of any order and values have the same trailer kind, and those of one order the same shape."""
    root = Pairs(tuple((key, values[key]) for key in order))
    return binary_plist(keyed_archive(root), offset_size=2)


@settings(SETTINGS, max_examples=50)
@given(
    layouts=st.lists(st.permutations(SHAPE_KEYS), min_size=1, max_size=4, unique_by=tuple),
    records=st.lists(st.tuples(st.integers(0, 3), SHAPE_VALUES), min_size=2, max_size=30),
)
def test_records_of_one_shape_and_of_shapes_under_one_trailer_kind_are_each_read_with_their_own_values(
    layouts: list[list[str]], records: list[tuple[int, dict[str, object]]]
) -> None:
    forget_shapes()
    blobs = [same_kind_record(layouts[which % len(layouts)], values) for which, values in records]
    assert len({kind(blob) for blob in blobs}) == 1

    for blob in blobs:
        assert_agrees_with_plistlib(blob, fast_reads_it=True)

    used = len({which % len(layouts) for which, _ in records})
    assert 0 < len(mbfile_fast._remembered) <= used, "one shape per layout, the other records read from it"


def test_a_remembered_shape_is_not_used_for_a_record_of_another_layout_under_the_same_trailer_kind() -> None:
    forget_shapes()
    values: dict[str, object] = {name: 1000 + position for position, name in enumerate(INT_ATTRIBUTES)}
    values |= {
        "$class": Obj(MBFILE_CLASS),
        "RelativePath": Obj("Library/SMS/sms.db"),
        "Target": Obj("../Ünïcödé"),
        "EncryptionKey": Obj(data_dict(b"\x03\x00\x00\x00" + bytes(range(40)), class_first=False)),
    }
    first = same_kind_record(SHAPE_KEYS, values)
    second = same_kind_record(SHAPE_KEYS[::-1], values | {"Size": 7, "Mode": 0o120755})
    assert kind(first) == kind(second)

    for blob in (first, second, first, second):
        assert_agrees_with_plistlib(blob, fast_reads_it=True)
    assert decode_file_record(second).size == 7


def test_records_are_read_right_after_more_shapes_than_are_remembered() -> None:
    forget_shapes()
    values: dict[str, object] = {name: 1 << 4 * position for position, name in enumerate(INT_ATTRIBUTES)}
    values |= {
        "$class": Obj(MBFILE_CLASS),
        "RelativePath": Obj("Media/DCIM/100APPLE/IMG_0001.HEIC"),
        "Target": Obj("IMG_0001.HEIC"),
        "EncryptionKey": Obj(data_dict(bytes(44), class_first=True)),
    }
    blobs = [same_kind_record(order, values) for order in islice(permutations(SHAPE_KEYS), 100)]

    for blob in blobs + blobs[:10]:  # the first shapes are forgotten by then
        assert_agrees_with_plistlib(blob, fast_reads_it=True)
