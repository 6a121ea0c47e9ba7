"""The body of a note as NoteStore.sqlite keeps it in `ZICNOTEDATA.ZDATA`: a gzip'd protobuf.

The messages, as apple_cloud_notes_parser's `notestore.proto` and iLEAPP's notes parser read them:
`NoteStoreProto { 2: Document }`, `Document { 2: version, 3: Note }`,
`Note { 2: note_text, 5: AttributeRun }`, each preceded by a field 1 of 0 as the phone writes it
(`08 00 12 ...`, `08 00 10 00 1a ...`). The note's first line is styled as its title (paragraph style 0), as
Notes does.
"""

import gzip

_VARINT = 0
_LEN = 2
_TITLE_STYLE = 0


def note_body(text: str) -> bytes:
    """The gzip'd protobuf of a note whose text is `text` (deterministic: no time in the gzip header)."""
    return gzip.compress(note_protobuf(text), mtime=0)


def note_protobuf(text: str) -> bytes:
    title, _, rest = text.partition("\n")
    runs = _run(len(title) + (1 if rest or text.endswith("\n") else 0), style=_TITLE_STYLE)
    if rest:
        runs += _run(len(rest), style=None)
    note = _length_delimited(2, text.encode()) + runs
    document = _varint_field(1, 0) + _varint_field(2, 0) + _length_delimited(3, note)
    return _varint_field(1, 0) + _length_delimited(2, document)


def _run(length: int, style: int | None) -> bytes:
    """An AttributeRun: its length in characters, and a paragraph style for the title line."""
    body = _varint_field(1, length)
    if style is not None:
        body += _length_delimited(2, _varint_field(1, style))
    return _length_delimited(5, body)


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3 | _VARINT) + _varint(value)


def _length_delimited(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | _LEN) + _varint(len(value)) + value


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
