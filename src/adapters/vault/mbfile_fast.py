"""A lazy reader of MBFile archives: only the objects on the way to a FileRecord's fields are decoded.

plistlib decodes every object of a record (≈32 µs each, 3.2 ms for a page of 100). This reads the trailer,
the offset table, the dictionaries on the way to the root object and the few values wanted, decoding each
as plistlib does. Archives of another shape (references wider than a byte, keys that are not ASCII
strings, more than 255 objects) make it return None, and the caller falls back to plistlib; a damaged
archive makes it raise.

The records of a manifest come in a handful of shapes: the same keys in the same order, laid out the same
way up to the first value that varies. A shape is remembered as the bytes and object offsets of that
prefix; a record that starts with the same bytes and has the same offsets for those objects has the same
dictionaries, so only its values are read (≈3 µs instead of ≈10).
"""

import struct
from collections import deque
from dataclasses import dataclass
from functools import cache

_TRAILER = struct.Struct(">6xBBQQQ")
_TRAILER_SIZE = 32
_INT_FORMATS = {1: "B", 2: "H", 4: "L", 8: "Q"}
_MAX_OBJECTS = 255
_MAX_SHAPES = 64  # a manifest has a handful
_DICT, _ARRAY, _ASCII, _UTF16, _INT, _UID, _DATA = 0xD0, 0xA0, 0x50, 0x60, 0x10, 0x80, 0x40
_EXTENDED_LENGTH = 0x0F


class Unexpected(Exception):
    """The archive has a shape this reader leaves to plistlib."""


@dataclass(frozen=True, slots=True)
class _Shape:
    prefix: bytes
    """The archive's bytes up to the end of the last object on the way to the root's values."""
    offsets: tuple[int, ...]
    """The offsets of the objects up to the last one of those."""
    objects: bytes
    """The references of $objects."""
    compared: int
    """len(offsets)."""
    ints: tuple[int | None, int | None, int | None, int | None]
    """The value references of Size, Mode, LastModified and ProtectionClass (None when absent)."""
    target: int | None
    key: int | None


Kind = tuple[int, int, int]
"""(object count, top object, offset size) from the trailer."""

# Tuples replaced whole, so a thread reading them never sees one half-changed.
_shapes: dict[Kind, tuple[_Shape, ...]] = {}
_remembered: deque[tuple[Kind, _Shape]] = deque()


@cache
def _offsets_format(offset_size: int, count: int) -> struct.Struct:
    return struct.Struct(f">{count}{_INT_FORMATS[offset_size]}")


Values = tuple[int | None, int | None, int | None, int | None, str | None, bytes | None]
"""(Size, Mode, LastModified, ProtectionClass, Target, EncryptionKey) as `read_values` reads them."""


def read_values(blob: bytes, with_key: bool = True) -> Values | None:
    """Size, Mode, LastModified, ProtectionClass (when they are ints, as plistlib decodes them, negative
    ones too; None when absent or of another type, bools included), Target (the string it refers to, or
    None) and, `with_key`, EncryptionKey (the NS.data bytes it refers to, or None); None when the archive's
    shape is unusual."""
    try:
        return _read(blob, with_key)
    except Unexpected:
        return None


def _read(blob: bytes, with_key: bool) -> Values | None:
    offset_size, ref_size, count, top, table = _TRAILER.unpack_from(blob, len(blob) - _TRAILER_SIZE)
    if ref_size != 1 or count > _MAX_OBJECTS or offset_size not in _INT_FORMATS:
        raise Unexpected
    offsets = _offsets_format(offset_size, count).unpack_from(blob, table)
    kind: Kind = (count, top, offset_size)
    for known in _shapes.get(kind, ()):
        if blob.startswith(known.prefix) and offsets[: known.compared] == known.offsets:
            return _values(blob, offsets, known, with_key)
    shape = _shape_of(blob, offsets, top)
    if shape is None:
        return None
    _remember(kind, shape)
    return _values(blob, offsets, shape, with_key)


def _remember(kind: Kind, shape: _Shape) -> None:
    """First in, first out: a manifest of many odd shapes evicts the others' for a while, nothing worse."""
    _shapes[kind] = (*_shapes.get(kind, ()), shape)
    _remembered.append((kind, shape))
    while len(_remembered) > _MAX_SHAPES:
        old_kind, old = _remembered.popleft()
        kept = tuple(known for known in _shapes.get(old_kind, ()) if known is not old)
        if kept:
            _shapes[old_kind] = kept
        else:
            _shapes.pop(old_kind, None)


def _shape_of(blob: bytes, offsets: tuple[int, ...], top: int) -> _Shape | None:
    """The dictionaries from the top object to the root's attributes, read as plistlib reads them."""
    archive, archive_keys = _dict(blob, offsets, top)
    objects_ref, top_ref = archive.get(b"$objects"), archive.get(b"$top")
    if objects_ref is None or top_ref is None:
        return None
    objects = _array(blob, offsets[objects_ref])
    top_items, top_keys = _dict(blob, offsets, top_ref)
    root_ref = top_items.get(b"root")
    if root_ref is None:
        return None
    root_index = _uid(blob, offsets[root_ref])
    if root_index is None or not 0 < root_index < len(objects):
        return None
    root, root_keys = _dict(blob, offsets, objects[root_index])
    visited = {top, objects_ref, top_ref, root_ref, objects[root_index], *archive_keys, *top_keys, *root_keys}
    end = max(offsets[ref] + _object_size(blob, offsets[ref]) for ref in visited)
    return _Shape(
        prefix=blob[:end],
        offsets=offsets[: max(visited) + 1],
        compared=max(visited) + 1,
        objects=objects,
        ints=(root.get(b"Size"), root.get(b"Mode"), root.get(b"LastModified"), root.get(b"ProtectionClass")),
        target=root.get(b"Target"),
        key=root.get(b"EncryptionKey"),
    )


def _values(blob: bytes, offsets: tuple[int, ...], shape: _Shape, with_key: bool) -> Values:
    size, mode, modified, protection = shape.ints
    return (
        None if size is None else _int(blob, offsets[size]),
        None if mode is None else _int(blob, offsets[mode]),
        None if modified is None else _int(blob, offsets[modified]),
        None if protection is None else _int(blob, offsets[protection]),
        None if shape.target is None else _string(blob, offsets, shape.objects, shape.target),
        _key_data(blob, offsets, shape.objects, shape.key) if with_key and shape.key is not None else None,
    )


def _int(blob: bytes, offset: int) -> int | None:
    """The integer object at `offset`, as plistlib reads it (8 and 16 bytes wide are signed); None for an
    object of another type."""
    token = blob[offset]
    if token & 0xF0 != _INT:
        return None
    if token == _INT:  # one byte: most modes' classes and small sizes
        return blob[offset + 1]
    width = 1 << (token & 0x0F)
    return int.from_bytes(blob[offset + 1 : offset + 1 + width], "big", signed=width >= 8)


def _object_size(blob: bytes, offset: int) -> int:
    """The size of a dictionary, an array, a string or a UID object (the kinds a shape is made of)."""
    token = blob[offset] & 0xF0
    if token == _UID:
        return 2 + (blob[offset] & 0x0F)
    count, start = _length(blob, offset)
    width = {_DICT: 2, _ARRAY: 1, _ASCII: 1, _UTF16: 2}.get(token)
    if width is None:
        raise Unexpected
    return start - offset + width * count


def _length(blob: bytes, offset: int) -> tuple[int, int]:
    """(the length in the object's marker, the offset of its contents)."""
    length = blob[offset] & 0x0F
    if length != _EXTENDED_LENGTH:
        return length, offset + 1
    width = 1 << (blob[offset + 1] & 0x3)
    return int.from_bytes(blob[offset + 2 : offset + 2 + width], "big"), offset + 2 + width


def _dict(blob: bytes, offsets: tuple[int, ...], ref: int) -> tuple[dict[bytes, int], bytes]:
    """(ASCII key -> value reference, the key references); the last of equal keys wins, as in plistlib."""
    offset = offsets[ref]
    if blob[offset] & 0xF0 != _DICT:
        raise Unexpected
    count, start = _length(blob, offset)
    refs = blob[start : start + 2 * count]
    if len(refs) != 2 * count:
        raise Unexpected
    items = {}
    for position in range(count):
        key_offset = offsets[refs[position]]
        if blob[key_offset] & 0xF0 != _ASCII:
            raise Unexpected
        length, key_start = _length(blob, key_offset)
        key = blob[key_start : key_start + length]
        if len(key) != length or not key.isascii():
            raise Unexpected
        items[key] = refs[count + position]
    return items, refs[:count]


def _array(blob: bytes, offset: int) -> bytes:
    """The array's references (one byte each)."""
    if blob[offset] & 0xF0 != _ARRAY:
        raise Unexpected
    count, start = _length(blob, offset)
    refs = blob[start : start + count]
    if len(refs) != count:
        raise Unexpected
    return refs


def _uid(blob: bytes, offset: int) -> int | None:
    token = blob[offset]
    if token & 0xF0 != _UID:
        return None
    return int.from_bytes(blob[offset + 1 : offset + 2 + (token & 0x0F)], "big")


def _object_ref(blob: bytes, offsets: tuple[int, ...], objects: bytes, uid_ref: int) -> int | None:
    """The reference of the object a UID (at `uid_ref`) names in $objects; None when it names none."""
    index = _uid(blob, offsets[uid_ref])
    if index is None or not 0 < index < len(objects):
        return None
    return objects[index]


def _string(blob: bytes, offsets: tuple[int, ...], objects: bytes, uid_ref: int) -> str | None:
    ref = _object_ref(blob, offsets, objects, uid_ref)
    if ref is None:
        return None
    offset = offsets[ref]
    token = blob[offset] & 0xF0
    if token not in (_ASCII, _UTF16):
        return None
    length, start = _length(blob, offset)
    size = 2 * length if token == _UTF16 else length
    data = blob[start : start + size]
    if len(data) != size:
        raise Unexpected
    return data.decode("ascii" if token == _ASCII else "utf-16-be")


def _key_data(blob: bytes, offsets: tuple[int, ...], objects: bytes, uid_ref: int) -> bytes | None:
    ref = _object_ref(blob, offsets, objects, uid_ref)
    if ref is None or blob[offsets[ref]] & 0xF0 != _DICT:
        return None
    data_ref = _dict(blob, offsets, ref)[0].get(b"NS.data")
    if data_ref is None:
        return None
    data_offset = offsets[data_ref]
    if blob[data_offset] == 0x0F:
        return b""
    if blob[data_offset] & 0xF0 != _DATA:
        return None
    length, start = _length(blob, data_offset)
    data = blob[start : start + length]
    if len(data) != length:
        raise Unexpected
    return data
