from ios_backup_api.entrypoints.http.disposition import content_disposition, content_type


def test_an_ascii_name_needs_no_extended_parameter() -> None:
    assert content_disposition("Library/SMS/sms.db") == 'attachment; filename="sms.db"'


def test_a_name_with_spaces_stays_quoted() -> None:
    assert content_disposition("Documents/my notes.txt") == 'attachment; filename="my notes.txt"'


def test_a_non_ascii_name_gets_a_fallback_and_a_utf8_parameter() -> None:
    header = content_disposition("Media/Fotos/café ☕.jpg")
    assert header == "attachment; filename=\"cafe _.jpg\"; filename*=UTF-8''caf%C3%A9%20%E2%98%95.jpg"


def test_quotes_in_a_name_are_not_passed_through_raw() -> None:
    header = content_disposition('a/say "hi".txt')
    assert 'filename="say _hi_.txt"' in header
    assert "filename*=UTF-8''say%20%22hi%22.txt" in header


def test_content_type_is_guessed_from_the_extension() -> None:
    assert content_type("Media/DCIM/IMG_0001.JPG") == "image/jpeg"
    assert content_type("Library/SMS/sms.db") == "application/octet-stream"
    assert content_type("Library/no-extension") == "application/octet-stream"
