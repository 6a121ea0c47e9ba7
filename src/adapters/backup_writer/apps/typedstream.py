"""NSArchiver typedstreams of NSAttributedStrings, as Messages stores a message's text in `attributedBody`.

Written as macOS/iOS write them: little-endian `streamtyped`, system version 1000, one shared-string table
(type encodings, class names, C strings) and one object table (objects, classes, C strings), a class
chain ending in Nil or in a reference to a class written before, and one attribute run per message part
(`iI` = attribute-dictionary number and run length in UTF-16 units, the dictionary after its first use).
"""

import struct
from collections.abc import Sequence

_NEW = 0x84
_NIL = 0x85
_END = 0x86
_FIRST_REFERENCE = -110  # -111 is the last tag; references start one above it


class _Writer:
    def __init__(self, compact: bool) -> None:
        self.compact = compact
        self.out = bytearray(b"\x04\x0bstreamtyped")
        self.integer(1000)
        self.strings: list[bytes] = []
        self.objects: list[tuple[str, bytes]] = []

    def integer(self, value: int) -> None:
        if -128 <= value <= 127 and not -128 <= value <= -111:
            self.out += struct.pack("<b", value)
        elif -(1 << 15) <= value < 1 << 15:
            self.out += b"\x81" + struct.pack("<h", value)
        else:
            self.out += b"\x82" + struct.pack("<i", value)

    def length(self, value: int) -> None:
        if value <= 127 or (self.compact and 146 <= value <= 255):  # one unsigned byte, clear of the tags
            self.out.append(value)
        elif value < 1 << 16:
            self.out += b"\x81" + struct.pack("<H", value)
        else:
            self.out += b"\x82" + struct.pack("<I", value)

    def reference(self, number: int) -> None:
        self.integer(number + _FIRST_REFERENCE)

    def shared(self, string: bytes) -> None:
        if string in self.strings:
            self.reference(self.strings.index(string))
            return
        self.out.append(_NEW)
        self.length(len(string))
        self.out += string
        self.strings.append(string)

    def encoding(self, types: bytes) -> None:
        self.shared(types)

    def classes(self, chain: Sequence[tuple[bytes, int]]) -> None:
        """`chain` from the class to its root; stops at the first class already written."""
        for name, version in chain:
            if ("class", name) in self.objects:
                self.reference(self.objects.index(("class", name)))
                return
            self.out.append(_NEW)
            self.shared(name)
            self.integer(version)
            self.objects.append(("class", name))
        self.out.append(_NIL)

    def begin(self, chain: Sequence[tuple[bytes, int]]) -> None:
        self.out.append(_NEW)
        self.objects.append(("object", chain[0][0]))
        self.classes(chain)

    def string_object(self, text: bytes, chain: Sequence[tuple[bytes, int]]) -> None:
        self.encoding(b"@")
        self.begin(chain)
        self.encoding(b"+")
        self.length(len(text))
        self.out += text
        self.out.append(_END)

    def number_object(self, value: int) -> None:
        self.encoding(b"@")
        self.begin([(b"NSNumber", 0), (b"NSValue", 0), (b"NSObject", 0)])
        self.encoding(b"*")
        self.out.append(_NEW)  # a literal C string, itself a shared string
        self.shared(b"i")
        self.objects.append(("cstring", b"i"))
        self.encoding(b"i")
        self.integer(value)
        self.out.append(_END)


_NSSTRING = [(b"NSString", 1), (b"NSObject", 0)]
_NSMUTABLESTRING = [(b"NSMutableString", 1), *_NSSTRING]
_ATTRIBUTED = [(b"NSAttributedString", 0), (b"NSObject", 0)]
_MUTABLE_ATTRIBUTED = [(b"NSMutableAttributedString", 0), *_ATTRIBUTED]


def attributed_body(text: str, *, mutable: bool = False, parts: int = 1, compact: bool = False) -> bytes:
    """The `attributedBody` of a message whose text is `text`: an NS(Mutable)AttributedString over an
    NS(Mutable)String, its text cut into `parts` runs (one per message part, as multi-part messages have).
    `compact` writes lengths of 146 to 255 in one byte, which readers must take as unsigned."""
    writer = _Writer(compact)
    writer.encoding(b"@")
    writer.begin(_MUTABLE_ATTRIBUTED if mutable else _ATTRIBUTED)
    writer.string_object(text.encode(), _NSMUTABLESTRING if mutable else _NSSTRING)
    units = len(text.encode("utf-16-le")) // 2
    runs = max(1, min(parts, units))
    for part in range(runs):
        writer.encoding(b"iI")
        writer.integer(part + 1)
        writer.length(units // runs + (units % runs if part == runs - 1 else 0))
        writer.encoding(b"@")
        writer.begin([(b"NSDictionary", 0), (b"NSObject", 0)])
        writer.encoding(b"i")
        writer.integer(1)
        writer.string_object(b"__kIMMessagePartAttributeName", _NSSTRING)
        writer.number_object(part)
        writer.out.append(_END)
    writer.out.append(_END)
    return bytes(writer.out)
