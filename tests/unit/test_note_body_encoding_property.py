"""The writer's note-body encoder (backup_writer/apps/note_body) against Google's protobuf, and the reader's
hand-written decoder on the same bytes: what the generator writes is what both read."""

import gzip

from hypothesis import given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps.protobuf import LEN, VARINT, fields, first_at
from ios_backup_api.adapters.backup_writer.apps.note_body import note_body, note_protobuf
from tests.support.notestore_proto import NoteStoreProto, note_text

_short = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
_texts = _short | _short.map(
    lambda text: (text or "é") * (20_000 // len(text or "é"))
)  # 2- and 3-byte lengths


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_google_protobuf_reads_the_text_the_writer_encodes(text: str) -> None:
    body = note_body(text)
    assert gzip.decompress(body) == note_protobuf(text)
    assert note_text(gzip.decompress(body)) == text
    assert first_at(gzip.decompress(body), [2, 3, 2]) == text.encode()


@settings(max_examples=200, deadline=None)
@given(_texts)
def test_the_encoding_is_the_phones_layout(text: str) -> None:
    encoded = note_protobuf(text)
    assert encoded.startswith(b"\x08\x00\x12")  # what iLEAPP's parser checks first
    store = NoteStoreProto()
    store.ParseFromString(encoded)
    assert store.document.version == 0
    note = first_at(encoded, [2, 3])
    assert note is not None
    runs = [field.value for field in fields(note) if field.number == 5 and field.wire_type == LEN]
    lengths = []
    for run in runs:
        assert isinstance(run, bytes)
        lengths += [f.value for f in fields(run) if f.number == 1 and f.wire_type == VARINT]
    assert sum(lengths) == len(text)  # the attribute runs cover the text, the first line styled as a title
