"""The text of an NSArchiver typedstream holding an NSAttributedString (sms.db's `attributedBody`).

Reads only as far as the string: the header, the root object's class chain, and its first value, an
NSString whose bytes are UTF-8. Hostile input is expected: every length and reference is checked against
what is there, every loop consumes input, and anything it can't read gives None.
"""

import struct

_NEW = -124
_NIL = -123
_INTEGER_2 = -127
_INTEGER_4 = -126
_FIRST_REFERENCE = -110
_SIGNATURES = {b"streamtyped": "<", b"typedstream": ">"}
_MAX_CLASSES = 64
_HEADER = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84"
_CANONICAL = (
    _HEADER
    + b"\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+",
    _HEADER
    + b"\x19NSMutableAttributedString\x00\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85"
    b"\x92\x84\x84\x84\x0fNSMutableString\x01\x84\x84\x08NSString\x01\x95\x84\x01+",
)
"""The two openings Messages writes, up to the string's length: NS(Mutable)AttributedString over an
NS(Mutable)String. These bytes parse one way only, so a stream that starts with one is read from its end."""


class _Unreadable(Exception):
    pass


class _Stream:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.order = "<"
        self.strings: list[bytes] = []
        self.objects: list[tuple[str, ...] | None] = []
        """Per object number: a class's chain of names (itself first), None for objects and C strings."""

    def take(self, count: int) -> bytes:
        if count < 0 or self.at + count > len(self.data):
            raise _Unreadable
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def head(self) -> int:
        if self.at >= len(self.data):
            raise _Unreadable
        value = self.data[self.at]
        self.at += 1
        return value - 256 if value > 127 else value

    def integer(self, head: int, *, signed: bool) -> int:
        if not -128 <= head <= -111:  # not a tag: the value itself
            return head if signed else head & 0xFF
        if head == _INTEGER_2:
            (value,) = struct.unpack(self.order + ("h" if signed else "H"), self.take(2))
        elif head == _INTEGER_4:
            (value,) = struct.unpack(self.order + ("i" if signed else "I"), self.take(4))
        else:
            raise _Unreadable
        return int(value)

    def unshared(self, head: int) -> bytes:
        if head == _NIL:
            raise _Unreadable
        return self.take(self.integer(head, signed=False))

    def shared(self, head: int) -> bytes:
        if head == _NEW:
            string = self.unshared(self.head())
            self.strings.append(string)
            return string
        number = self.integer(head, signed=True) - _FIRST_REFERENCE
        if not 0 <= number < len(self.strings):
            raise _Unreadable
        return self.strings[number]

    def encoding(self) -> bytes:
        return self.shared(self.head())

    def object_classes(self) -> tuple[str, ...]:
        """A new object's class chain (the object takes its number first, as NSUnarchiver numbers them)."""
        if self.head() != _NEW:
            raise _Unreadable
        self.objects.append(None)
        names: list[str] = []
        head = self.head()
        while head == _NEW:
            if len(names) == _MAX_CLASSES:
                raise _Unreadable
            names.append(self.shared(self.head()).decode("latin-1"))
            self.integer(self.head(), signed=True)  # the class version
            head = self.head()
        inherited: tuple[str, ...] = ()
        if head != _NIL:
            number = self.integer(head, signed=True) - _FIRST_REFERENCE
            referenced = self.objects[number] if 0 <= number < len(self.objects) else None
            if referenced is None:
                raise _Unreadable
            inherited = referenced
        for index in range(len(names)):
            self.objects.append((*names[index:], *inherited))
        return (*names, *inherited)


def attributed_string_text(data: bytes, *, canonical: bool = True) -> str | None:
    """The string of the NSAttributedString archived in `data`; None when it is not one or can't be read.

    `canonical` reads a stream with one of Messages' two openings from the end of it (about ten times
    faster); without it, or for any other opening, the stream is parsed from its header."""
    stream = _Stream(data)
    try:
        for opening in _CANONICAL if canonical else ():
            if data.startswith(opening):
                stream.at = len(opening)
                return stream.unshared(stream.head()).decode("utf-8")
        if stream.take(2) != b"\x04\x0b" or (signature := stream.take(11)) not in _SIGNATURES:
            return None
        stream.order = _SIGNATURES[signature]
        stream.integer(stream.head(), signed=False)  # the system version
        if stream.encoding() != b"@" or "NSAttributedString" not in stream.object_classes():
            return None
        if stream.encoding() != b"@" or "NSString" not in stream.object_classes():
            return None
        if stream.encoding() != b"+":
            return None
        return stream.unshared(stream.head()).decode("utf-8")
    except (_Unreadable, UnicodeDecodeError):
        return None
