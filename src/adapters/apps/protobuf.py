"""A small reader of protobuf's wire format, for what apps store as protobuf (the Notes bodies).

Bounded on hostile input: every step consumes at least one byte of the message, a varint is at most ten bytes,
and a length-delimited value is a slice of the bytes already held, so a message of n bytes costs O(n) time
and no memory beyond its fields. Groups (wire types 3 and 4, deprecated since proto2) are refused: no app
this service reads writes them, and skipping them would need unbounded nesting.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

VARINT = 0
FIXED64 = 1
LEN = 2
FIXED32 = 5
_MAX_VARINT_BYTES = 10
_MAX_TAG_BYTES = 5
_MAX_FIELD_NUMBER = 2**29 - 1


class ProtobufError(ValueError):
    """The bytes are not a protobuf message (a truncated value, a bad tag, a group)."""


@dataclass(frozen=True, slots=True)
class Field:
    number: int
    wire_type: int
    value: int | bytes
    """An unsigned int for VARINT, FIXED64 and FIXED32 (little-endian); the raw bytes for LEN."""


def fields(message: bytes) -> Iterator[Field]:
    """The fields of `message` in the order they are written. Raises `ProtobufError` where it is malformed
    (after yielding the fields before)."""
    position, end = 0, len(message)
    while position < end:
        tag, position = _varint(message, position, _MAX_TAG_BYTES)  # at most 32 bits: the range below
        number, wire_type = tag >> 3, tag & 7
        if not 1 <= number <= _MAX_FIELD_NUMBER:
            raise ProtobufError(f"field number {number} is out of range")
        value: int | bytes
        if wire_type == VARINT:
            value, position = _varint(message, position)
        elif wire_type == LEN:
            length, position = _varint(message, position)
            if length > end - position:
                raise ProtobufError("a length-delimited field runs past the end of the message")
            value, position = message[position : position + length], position + length
        elif wire_type in (FIXED64, FIXED32):
            size = 8 if wire_type == FIXED64 else 4
            if size > end - position:
                raise ProtobufError("a fixed-size field runs past the end of the message")
            value = int.from_bytes(message[position : position + size], "little")
            position += size
        else:
            raise ProtobufError(f"wire type {wire_type} is not supported")
        yield Field(number, wire_type, value)


def first_at(message: bytes, path: Sequence[int]) -> bytes | None:
    """The bytes of the first length-delimited field at `path` (field numbers, outermost first), each step
    into the first field of that number; None when a step is missing. Raises `ProtobufError` when a message
    on the way is malformed. Nesting is as deep as `path`, never deeper."""
    current = message
    for number in path:
        found = next(
            (field.value for field in fields(current) if field.number == number and field.wire_type == LEN),
            None,
        )
        if not isinstance(found, bytes):
            return None
        current = found
    return current


def _varint(data: bytes, position: int, most: int = _MAX_VARINT_BYTES) -> tuple[int, int]:
    value = 0
    for index in range(most):
        if position + index >= len(data):
            raise ProtobufError("a varint runs past the end of the message")
        byte = data[position + index]
        value |= (byte & 0x7F) << (7 * index)
        if byte < 0x80:
            return value & (2**64 - 1), position + index + 1
    raise ProtobufError(f"a varint is longer than {most} bytes")
