"""The hand-written attributedBody reader (adapters/apps/typedstream) against a reference: pytypedstream's
NSUnarchiver, on the typedstreams the generator's encoder writes and on damaged ones."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps.typedstream import attributed_string_text
from ios_backup_api.adapters.backup_writer.apps.typedstream import attributed_body
from tests.support.typedstream_reference import reference_text

_CHARACTERS = st.characters(exclude_categories=["Cs"])
_ASCII = st.characters(max_codepoint=127)
_TEXT = (
    st.text(_CHARACTERS, max_size=40)
    | st.text(_ASCII, min_size=140, max_size=300)
    | st.text(_CHARACTERS, max_size=300)
)
"""Short texts, and long ones whose lengths take more than one byte (or one unsigned byte)."""
bodies = st.builds(
    attributed_body, _TEXT, mutable=st.booleans(), parts=st.integers(1, 4), compact=st.booleans()
)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.booleans(), st.integers(1, 4), st.booleans())
def test_the_encoder_writes_what_the_reference_reads(
    text: str, mutable: bool, parts: int, compact: bool
) -> None:
    assert reference_text(attributed_body(text, mutable=mutable, parts=parts, compact=compact)) == text


@settings(max_examples=300, deadline=None)
@given(bodies, st.booleans())
def test_the_reader_agrees_with_the_reference(data: bytes, canonical: bool) -> None:
    """Both ways of reading: from the end of a canonical opening, and parsed from the header."""
    assert attributed_string_text(data, canonical=canonical) == reference_text(data)
    assert attributed_string_text(data, canonical=canonical) is not None


@settings(max_examples=500, deadline=None)
@given(bodies, st.data(), st.booleans())
def test_damaged_input_gives_none_or_what_the_reference_reads(
    data: bytes, draw: st.DataObject, canonical: bool
) -> None:
    damaged = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 4))):
        damaged[draw.draw(st.integers(0, len(damaged) - 1))] = draw.draw(st.integers(0, 255))
    cut = bytes(damaged[: draw.draw(st.integers(0, len(damaged)))])
    for candidate in (bytes(damaged), cut):
        read = attributed_string_text(candidate, canonical=canonical)
        reference = reference_text(candidate)
        assert read is None or isinstance(read, str)
        if read is not None and reference is not None:
            assert read == reference


@settings(max_examples=200, deadline=None)
@given(bodies, st.data(), st.booleans())
def test_a_stream_cut_before_its_string_ends_reads_as_none(
    data: bytes, draw: st.DataObject, canonical: bool
) -> None:
    text = attributed_string_text(data, canonical=canonical)
    assert text is not None
    end = data.index(b"\x86", data.index(b"+") + 1 + len(text.encode()))  # the NSString's end of object
    string_end = end  # the bytes of the string end right before it
    cut = draw.draw(st.integers(0, string_end - 1))
    assert attributed_string_text(data[:cut], canonical=canonical) is None


@given(st.binary(max_size=200))
def test_any_bytes_give_none_or_a_string(data: bytes) -> None:
    assert attributed_string_text(data) is None or reference_text(data) is not None


def test_a_reference_to_an_object_where_a_class_belongs_is_refused() -> None:
    data = bytearray(attributed_body("hi"))
    nsobject_reference = data.index(b"\x01\x94") + 1  # NSString's superclass: class #2 (NSObject)
    data[nsobject_reference] = 0x92  # object #0: the root object, not a class
    assert attributed_string_text(bytes(data), canonical=False) is None


def test_a_length_beyond_the_data_is_refused_without_reading_it() -> None:
    data = bytearray(attributed_body("hi"))
    length = data.index(b"\x84\x01\x2b") + 3
    data[length : length + 1] = b"\x82\xff\xff\xff\x7f"  # 2 GiB
    assert attributed_string_text(bytes(data)) is None
    assert attributed_string_text(bytes(data), canonical=False) is None
