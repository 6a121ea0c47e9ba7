import pytest

from ios_backup_api.domain.errors import InvalidQueryError
from ios_backup_api.domain.manifest import FileId


def test_a_file_id_is_forty_lowercase_hex_characters() -> None:
    assert (
        FileId("0123456789abcdef0123456789abcdef01234567").hex == "0123456789abcdef0123456789abcdef01234567"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not an id",
        "0" * 39,
        "0" * 41,
        "A" * 40,
        "g" * 40,
        "../" + "0" * 37,
        "0" * 39 + "\n",
        " " + "0" * 39,
    ],
)
def test_anything_else_is_an_invalid_query(text: str) -> None:
    with pytest.raises(InvalidQueryError, match="40 lowercase hexadecimal"):
        FileId(text)
