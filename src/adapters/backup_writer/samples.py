"""Ready-made backups for the demo command and the tests: several domains, odd names, awkward sizes."""

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

from ios_backup_api.adapters.backup_writer.apps.phone import with_apps
from ios_backup_api.adapters.backup_writer.spec import (
    DEFAULT_DPIC_ITERATIONS,
    DEFAULT_ITER_ITERATIONS,
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticEntry,
    SyntheticFile,
    SyntheticSymlink,
)

DEMO_PASSPHRASE = "demo-passphrase"  # noqa: S105 - printed by the demo command; guards nothing
_MIB = 1 << 20
_HOME = "HomeDomain"
_CAMERA = "CameraRollDomain"
_NOTES = "AppDomain-com.example.notes"
_SHARED = "AppDomainGroup-group.com.example.shared"
_MEDIA = "MediaDomain"
_JANUARY_2024 = 1_704_067_200


def _nfd(name: str) -> str:
    return unicodedata.normalize("NFD", name)


def _sized(size: int) -> bytes:
    """Readable, position-dependent bytes: a misplaced block shows up in a diff."""
    text = b"".join(b"%08d\n" % offset for offset in range(0, size, 9))
    return text[:size]


def _home() -> list[SyntheticEntry]:
    return [
        SyntheticDirectory(_HOME, "Library", protection_class=0),
        SyntheticDirectory(_HOME, "Library/Preferences", protection_class=4),
        SyntheticFile(
            _HOME,
            "Library/Preferences/com.apple.springboard.plist",
            b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n',
            protection_class=4,
            modified_at=_JANUARY_2024,
        ),
        SyntheticDirectory(_HOME, "Library/SMS", protection_class=3),
        SyntheticFile(
            _HOME, "Library/SMS/sms.db", _sized(40_960), protection_class=3, modified_at=_JANUARY_2024 + 60
        ),
        SyntheticDirectory(_HOME, "Library/Sizes", protection_class=2),
        SyntheticFile(_HOME, "Library/Sizes/empty.bin", b"", protection_class=1),
        SyntheticFile(_HOME, "Library/Sizes/one byte.bin", b"1", protection_class=2),
        SyntheticFile(_HOME, "Library/Sizes/fifteen bytes.bin", _sized(15), protection_class=3),
        SyntheticFile(_HOME, "Library/Sizes/sixteen bytes.bin", _sized(16), protection_class=4),
        SyntheticFile(_HOME, "Library/Sizes/seventeen bytes.bin", _sized(17), protection_class=1),
        SyntheticFile(_HOME, "Library/Sizes/one page.bin", _sized(4096), protection_class=2),
        SyntheticFile.of_size(
            _HOME, "Library/Sizes/one MiB and one byte.bin", _MIB + 1, seed=1, protection_class=3
        ),
        SyntheticDirectory(_HOME, "Library/Logs", protection_class=1),
        SyntheticSymlink(
            _HOME, "Library/Logs/latest.log", "/private/var/mobile/Library/Logs/CrashReporter/latest.log"
        ),
    ]


def _camera_roll() -> list[SyntheticEntry]:
    return [
        SyntheticDirectory(_CAMERA, "Media", protection_class=0),
        SyntheticDirectory(_CAMERA, "Media/DCIM", protection_class=0),
        SyntheticDirectory(_CAMERA, "Media/DCIM/100APPLE", protection_class=3),
        SyntheticFile.of_size(
            _CAMERA, "Media/DCIM/100APPLE/IMG_0001.JPG", 2 * _MIB, seed=2, protection_class=3
        ),
        SyntheticFile.of_size(
            _CAMERA, "Media/DCIM/100APPLE/IMG_0002.HEIC", 3 * _MIB + 5, seed=3, protection_class=3
        ),
    ]


def _notes_app() -> list[SyntheticEntry]:
    return [
        SyntheticDirectory(_NOTES, "Documents", protection_class=3),
        SyntheticFile(_NOTES, "Documents/Shopping list.txt", b"eggs\nflour\nmilk\n", protection_class=3),
        SyntheticFile(_NOTES, unicodedata.normalize("NFC", "Documents/Café.txt"), b"NFC name"),
        SyntheticFile(_NOTES, _nfd("Documents/Crème brûlée.txt"), b"NFD name"),
        SyntheticFile(_NOTES, "Documents/日本語のメモ.txt", "こんにちは\n".encode(), protection_class=1),
        SyntheticDirectory(_NOTES, _nfd("Documents/Ünïcödé folder"), protection_class=2),
        SyntheticFile(
            _NOTES, _nfd("Documents/Ünïcödé folder/naïve note.md"), b"# naive\n", protection_class=2
        ),
        SyntheticDirectory(_NOTES, "Library", protection_class=0),
        SyntheticDirectory(_NOTES, "Library/Preferences", protection_class=4),
        SyntheticFile(_NOTES, "Library/Preferences/com.example.notes.plist", _sized(300), protection_class=4),
    ]


def _shared_group() -> list[SyntheticEntry]:
    return [
        SyntheticDirectory(_SHARED, "Library", protection_class=0),
        SyntheticDirectory(_SHARED, "Library/Caches", protection_class=4),
        SyntheticFile(_SHARED, "Library/Caches/shared state.json", b'{"shared": true}\n', protection_class=4),
    ]


def _media() -> list[SyntheticEntry]:
    return [
        SyntheticDirectory(_MEDIA, "Media", protection_class=0),
        SyntheticDirectory(_MEDIA, "Media/Recordings", protection_class=1),
        SyntheticFile.of_size(_MEDIA, "Media/Recordings/Recording 1.m4a", _MIB, seed=4, protection_class=1),
        SyntheticSymlink(
            _MEDIA, "Media/Recordings/Latest.m4a", "/private/var/mobile/Media/Recordings/Recording 1.m4a"
        ),
    ]


def rich_backup(
    passphrase: str | None,
    dpic_iterations: int = DEFAULT_DPIC_ITERATIONS,
    iter_iterations: int = DEFAULT_ITER_ITERATIONS,
) -> SyntheticBackup:
    """An iPhone backup with five domains, nested folders, symlinks, NFC and NFD names, names with spaces,
    files of 0, 1, 15, 16, 17 and 4096 bytes and of a few MiB, in protection classes 1 to 4."""
    return SyntheticBackup(
        udid="00008110-001A2B3C4D5E801E",
        device_name="Ada's iPhone",
        display_name="Ada's iPhone",
        product_type="iPhone14,2",
        product_version="17.5.1",
        build_version="21F90",
        serial_number="F2LXK0ABCD12",
        last_backup_at=datetime(2024, 6, 1, 9, 30, tzinfo=UTC),
        passphrase=passphrase,
        dpic_iterations=dpic_iterations,
        iter_iterations=iter_iterations,
        entries=tuple(_home() + _camera_roll() + _notes_app() + _shared_group() + _media()),
        product_name="iPhone 13 Pro",
    )


def demo_backups(dpic_iterations: int = DEFAULT_DPIC_ITERATIONS) -> list[tuple[str, SyntheticBackup]]:
    """(folder name, spec): one backup encrypted with DEMO_PASSPHRASE and one unencrypted iPad backup, each
    with the app databases of its iOS version (messages, WhatsApp, contacts, calls, photos, notes; the
    iPhone's newest rows in their `-wal`s) for the typed views."""
    encrypted = with_apps(rich_backup(DEMO_PASSPHRASE, dpic_iterations), 17, wal=True, seed=17)
    unencrypted = replace(
        rich_backup(None, dpic_iterations),
        udid="3f2a9c4b5d6e7f8091a2b3c4d5e6f708192a3b4c",
        device_name="Grace's iPad",
        display_name="Grace's iPad",
        product_type="iPad13,1",
        product_version="16.7.8",
        build_version="20H343",
        serial_number="DMPXQ1EFGH34",
        last_backup_at=datetime(2024, 5, 20, 18, 45, tzinfo=UTC),
        product_name="iPad Air (4th generation)",
    )
    unencrypted = with_apps(unencrypted, 16, wal=False, seed=16)
    return [(backup.udid, backup) for backup in (encrypted, unencrypted)]
