"""The synthetic backup writer's pure parts: MBFile records, generated content, the entries of a spec."""

import plistlib
from datetime import UTC, datetime
from plistlib import UID

import pytest

from ios_backup_api.adapters.backup_writer.bplist import BinaryPlistTemplate, Slot, encode_string
from ios_backup_api.adapters.backup_writer.content import GeneratedContent
from ios_backup_api.adapters.backup_writer.mbfile import encode_mbfile
from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticFile,
    SyntheticSymlink,
)

MBFILE_CLASS = {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]}
DATA_CLASS = {"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]}
LONG_PATH = "Documents/Ünïcödé folder/日本語のメモ with a long name.txt"


def archive(mbfile: dict[str, object], *objects: object) -> dict[str, object]:
    return {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": UID(1)},
        "$objects": ["$null", mbfile, *objects],
    }


def attributes(
    class_index: int, *, birth: int, modified: int, inode: int, mode: int, pc: int, size: int
) -> dict[str, object]:
    return {
        "$class": UID(class_index),
        "Birth": birth,
        "LastModified": modified,
        "LastStatusChange": modified,
        "Flags": 0,
        "GroupID": 501,
        "UserID": 501,
        "InodeNumber": inode,
        "Mode": mode,
        "ProtectionClass": pc,
        "Size": size,
        "RelativePath": UID(2),
    }


def test_an_encrypted_file_record_is_the_keyed_archive_of_an_mbfile() -> None:
    key = b"\x03\x00\x00\x00" + bytes(range(40))

    record = encode_mbfile(
        relative_path=LONG_PATH,
        mode=0o100644,
        size=5 << 32,
        protection_class=3,
        inode=70_000,
        modified_at=1_700_000_500,
        created_at=1_600_000_000,
        encryption_key=key,
    )

    mbfile = attributes(
        5, birth=1_600_000_000, modified=1_700_000_500, inode=70_000, mode=0o100644, pc=3, size=5 << 32
    )
    expected = archive(
        {**mbfile, "EncryptionKey": UID(3)},
        LONG_PATH,
        {"NS.data": key, "$class": UID(4)},
        DATA_CLASS,
        MBFILE_CLASS,
    )
    assert plistlib.loads(record) == expected


def test_a_directory_record_has_no_key_and_a_symlink_record_has_its_target() -> None:
    directory = encode_mbfile(
        relative_path="", mode=0o40755, size=0, protection_class=0, inode=1, modified_at=2, created_at=1
    )
    link = encode_mbfile(
        relative_path="a",
        mode=0o120755,
        size=0,
        protection_class=0,
        inode=1,
        modified_at=2,
        created_at=1,
        target="/var/mobile/é",
    )

    common = {"birth": 1, "modified": 2, "inode": 1, "pc": 0, "size": 0}
    assert plistlib.loads(directory) == archive(attributes(3, mode=0o40755, **common), "", MBFILE_CLASS)
    assert plistlib.loads(link) == archive(
        {**attributes(4, mode=0o120755, **common), "Target": UID(3)}, "a", "/var/mobile/é", MBFILE_CLASS
    )


def test_a_template_encodes_long_containers_and_strings_and_wide_offsets() -> None:
    document = {
        "ints": [0, 255, 256, 65_536, -1, 1 << 40] * 3,
        "data": b"z" * 20,
        "yes": True,
        "uid": UID(300),
    }
    template = BinaryPlistTemplate({**document, "slot": Slot("text")})

    rendered = template.render({"text": encode_string("ü" * 400)})

    assert plistlib.loads(rendered) == {**document, "slot": "ü" * 400}


def test_generated_content_is_the_same_whatever_the_chunk_size() -> None:
    content = GeneratedContent(100_003, seed=9)

    whole = content.read_all()

    assert len(whole) == 100_003
    assert b"".join(content.chunks(4096)) == whole
    assert GeneratedContent(100_003, seed=10).read_all() != whole
    assert GeneratedContent(1000, seed=9).read_all() == whole[:1000]


def test_a_file_of_given_content_streams_it_back() -> None:
    file = SyntheticFile("HomeDomain", "a", b"0123456789")

    assert list(file.chunks(4)) == [b"0123", b"4567", b"89"]
    assert SyntheticFile.of_size("HomeDomain", "b", 5, seed=1).size == 5


def backup(*entries: SyntheticFile | SyntheticDirectory | SyntheticSymlink) -> SyntheticBackup:
    return SyntheticBackup(
        udid="0" * 40,
        device_name="d",
        display_name="d",
        product_type="iPhone14,2",
        product_version="17.0",
        build_version="21A329",
        serial_number="s",
        last_backup_at=datetime(2024, 1, 1, tzinfo=UTC),
        entries=entries,
    )


def test_every_domain_gets_one_root_directory_row() -> None:
    explicit_root = SyntheticDirectory("MediaDomain", "", protection_class=4)
    spec = backup(
        SyntheticFile("HomeDomain", "a", b""),
        SyntheticSymlink("HomeDomain", "b", "/x"),
        explicit_root,
        SyntheticFile("MediaDomain", "c", b""),
    )

    roots = [entry for entry in spec.all_entries() if entry.relative_path == ""]

    assert roots == [SyntheticDirectory("HomeDomain", "", modified_at=1_704_067_200), explicit_root]


def test_a_backup_date_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        SyntheticBackup("0" * 40, "d", "d", "p", "v", "b", "s", datetime(2024, 1, 1))
