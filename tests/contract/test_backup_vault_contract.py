"""One contract for the BackupVault port, run against the in-memory fake and the real vault on an encrypted
and an unencrypted generated backup holding the same files, in each layout (Manifest.db of iOS 10.2+, and
Manifest.mbdb of iOS 4 to 9 with its older keybag), the real one in every way it can hold a manifest (a RAM
file or SQLite's own copy) and decrypt it (one thread, or two above the threshold)."""

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.domain.errors import (
    BackupNotFoundError,
    EntryNotFoundError,
    InvalidQueryError,
    SessionRequiredError,
    WrongPassphraseError,
)
from ios_backup_api.domain.manifest import (
    ByteRange,
    EntryKind,
    FileId,
    FileQuery,
    ManifestEntry,
    is_below,
    is_direct_child,
)
from ios_backup_api.domain.ports.vault import BackupVault, FileContent, OpenBackup
from ios_backup_api.domain.views.pages import EntryRef
from tests.support.backups import ENCRYPTED_ID, MBDB_ENCRYPTED_ID, MBDB_PLAIN_ID, PLAIN_ID, regular_files
from tests.support.entry_json import entries_json, run_json
from tests.support.layouts import as_decrypted_copy, ios_10_1
from tests.support.vault_cases import (
    LOADERS,
    MARKER,
    copy_without_payload,
    expected_listing,
    fake_vault,
    files_holding,
    folder_vault,
    marked_encrypted_spec,
    marked_mbdb_specs,
    marked_plain_spec,
    plaintext_by_design,
    scratch_roots,
)

MIB = 1 << 20
ALIAS = "alias-of-the-encrypted-one"
IOS_10_1_ID = "ios-10.1-plain-manifest"
DECRYPTED_COPY_ID = "decrypted-by-iphone-backup-decrypt"
HOME = "HomeDomain"
NOTES = "AppDomain-com.example.notes"


@dataclass(frozen=True, slots=True)
class Written:
    root: Path
    started_at: float
    specs: dict[str, SyntheticBackup]


@dataclass(frozen=True, slots=True)
class Case:
    vault: BackupVault
    backup_id: str
    spec: SyntheticBackup
    without_payload: Callable[[str, Path], BackupVault]
    """A vault on a copy of the backup in which the regular file with that id has no payload."""

    @property
    def passphrase(self) -> str | None:
        return self.spec.passphrase

    async def open(self) -> OpenBackup:
        return await self.vault.open(self.backup_id, self.passphrase)

    def file(self, relative_path: str) -> SyntheticFile:
        return next(file for file in regular_files(self.spec) if file.relative_path == relative_path)


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    started_at = time.time() - 2  # file systems with a coarse mtime
    root = tmp_path_factory.mktemp("vault-contract")
    specs = {ENCRYPTED_ID: marked_encrypted_spec(), PLAIN_ID: marked_plain_spec(), **marked_mbdb_specs()}
    specs[IOS_10_1_ID] = ios_10_1(specs[ENCRYPTED_ID])
    for backup_id, spec in specs.items():
        write_backup(root / backup_id, spec, seed=11)
    (root / ALIAS).symlink_to(root / ENCRYPTED_ID)
    write_backup(root / DECRYPTED_COPY_ID, as_decrypted_copy(specs[ENCRYPTED_ID]), seed=11)
    specs[DECRYPTED_COPY_ID] = replace(specs[ENCRYPTED_ID], passphrase=None)  # needs none, like a plain one
    return Written(root, started_at, specs)


def _on_disk(written: Written, backup_id: str, loader: str) -> Case:
    def without_payload(file_id: str, into: Path) -> BackupVault:
        copy_without_payload(written.root / backup_id, into, file_id)
        return folder_vault(into, LOADERS[loader]())

    vault = folder_vault(written.root, LOADERS[loader]())
    return Case(vault, backup_id, written.specs[backup_id], without_payload)


def _in_memory(spec: SyntheticBackup) -> Case:
    return Case(
        fake_vault("in-memory", spec),
        "in-memory",
        spec,
        lambda file_id, _: fake_vault("in-memory", spec, without_content=file_id),
    )


def _cases(backup_id: str, name: str, loaders: list[str]) -> dict[str, Callable[[Written], Case]]:
    return {
        f"{name}-{loader}": lambda written, loader=loader: _on_disk(written, backup_id, loader)
        for loader in loaders
    }


ENCRYPTED_CASES = {
    "memory": lambda written: _in_memory(written.specs[ENCRYPTED_ID]),
    **_cases(ENCRYPTED_ID, "encrypted", list(LOADERS)),
    # Nothing to decrypt in the manifest: the threshold of a two-thread decrypt does not apply.
    **_cases(IOS_10_1_ID, "ios-10.1", ["ram-file", "in-process", "paged"]),
    **_cases(MBDB_ENCRYPTED_ID, "mbdb-encrypted", list(LOADERS)),
}
UNENCRYPTED_CASES = {
    "memory-unencrypted": lambda written: _in_memory(written.specs[PLAIN_ID]),
    # Nothing to decrypt: the threshold of a two-thread decrypt does not apply.
    **_cases(PLAIN_ID, "unencrypted", ["ram-file", "in-process", "paged"]),
    **_cases(DECRYPTED_COPY_ID, "decrypted-copy", ["ram-file", "in-process"]),
    **_cases(MBDB_PLAIN_ID, "mbdb-unencrypted", ["ram-file", "in-process"]),
}
CASES: dict[str, Callable[[Written], Case]] = {**ENCRYPTED_CASES, **UNENCRYPTED_CASES}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest, written: Written) -> Case:
    return CASES[request.param](written)


@pytest.fixture(params=list(ENCRYPTED_CASES))
def encrypted_case(request: pytest.FixtureRequest, written: Written) -> Case:
    return CASES[request.param](written)


@pytest.fixture(params=list(UNENCRYPTED_CASES))
def unencrypted_case(request: pytest.FixtureRequest, written: Written) -> Case:
    return CASES[request.param](written)


async def _read(content: FileContent, byte_range: ByteRange) -> bytes:
    return b"".join([chunk async for chunk in content.read(byte_range)])


async def _whole(handle: OpenBackup, file: SyntheticFile) -> bytes:
    return await _read(await handle.content(FileId(file.file_id)), ByteRange(0, file.size))


async def _everything(handle: OpenBackup, page_size: int) -> list[ManifestEntry]:
    entries: list[ManifestEntry] = []
    total = None
    while total is None or len(entries) < total:
        page = await handle.files(FileQuery(limit=page_size, offset=len(entries)))
        assert (page.limit, page.offset) == (page_size, len(entries))
        assert total is None or page.total == total
        assert page.items, "a page before the total is reached is not empty"
        total = page.total
        entries += page.items
    return entries


async def _paths(handle: OpenBackup, query: FileQuery) -> list[str]:
    return [entry.relative_path for entry in (await handle.files(query)).items]


# Unlocking


async def test_an_unknown_backup_is_not_found(case: Case) -> None:
    with pytest.raises(BackupNotFoundError):
        await case.vault.open("no-such-backup", case.passphrase)
    with pytest.raises(BackupNotFoundError):
        await case.vault.open_with_key("no-such-backup", None)


@pytest.fixture(params=["memory", "folder"])
def aliased(request: pytest.FixtureRequest, written: Written) -> BackupVault:
    """A vault holding ENCRYPTED_ID, PLAIN_ID and ALIAS, another name of ENCRYPTED_ID."""
    if request.param == "folder":
        return folder_vault(written.root, LOADERS["in-process"]())
    vault = fake_vault(ENCRYPTED_ID, written.specs[ENCRYPTED_ID])
    vault.add_backup(PLAIN_ID, None, [])
    vault.add_alias(ALIAS, ENCRYPTED_ID)
    return vault


async def test_the_names_of_one_backup_share_its_identity_and_other_backups_differ(
    aliased: BackupVault,
) -> None:
    identity = await aliased.identity(ENCRYPTED_ID)
    assert await aliased.identity(ALIAS) == identity
    assert await aliased.identity(ENCRYPTED_ID) == identity, "stable"
    assert await aliased.identity(PLAIN_ID) != identity
    with pytest.raises(BackupNotFoundError):
        await aliased.identity("no-such-backup")


async def test_a_wrong_or_missing_passphrase_is_refused(encrypted_case: Case) -> None:
    assert encrypted_case.passphrase is not None
    nfd = unicodedata.normalize("NFD", encrypted_case.passphrase)
    for wrong in ("wrong", "", encrypted_case.passphrase.upper(), nfd, None):
        with pytest.raises(WrongPassphraseError):
            await encrypted_case.vault.open(encrypted_case.backup_id, wrong)


async def test_an_unencrypted_backup_opens_with_any_passphrase_or_none(unencrypted_case: Case) -> None:
    for passphrase in (None, "", "anything"):
        handle = await unencrypted_case.vault.open(unencrypted_case.backup_id, passphrase)
        assert handle.passphrase_key is None
        assert (await handle.files(FileQuery())).total == len(expected_listing(unencrypted_case.spec))
        await handle.close()
    handle = await unencrypted_case.vault.open_with_key(unencrypted_case.backup_id, None)
    assert await handle.domains() == sorted(unencrypted_case.spec.domains)


async def test_the_key_of_an_open_unlocks_again_without_the_passphrase(case: Case) -> None:
    first = await case.open()
    key = first.passphrase_key
    assert (key is None) == (case.passphrase is None)
    again = await case.vault.open_with_key(case.backup_id, key)
    assert again.passphrase_key == key
    assert await _everything(again, 1000) == await _everything(first, 1000)
    sms = case.file("Library/SMS/sms.db")
    assert await _whole(again, sms) == sms.read_bytes()


async def test_a_wrong_or_missing_key_is_refused(encrypted_case: Case) -> None:
    key = (await encrypted_case.open()).passphrase_key
    assert key is not None
    flipped = bytes([key[0] ^ 1]) + key[1:]
    for wrong in (flipped, bytes(len(key)), key[:16], b"", None):
        with pytest.raises(WrongPassphraseError):
            await encrypted_case.vault.open_with_key(encrypted_case.backup_id, wrong)


# The manifest


async def test_files_lists_every_entry_by_domain_then_path_in_code_point_order(case: Case) -> None:
    handle = await case.open()
    expected = expected_listing(case.spec)
    assert await _everything(handle, 7) == expected
    assert await _everything(handle, 1000) == expected


async def test_files_filters_by_exact_domain(case: Case) -> None:
    handle = await case.open()
    page = await handle.files(FileQuery(domain=HOME, limit=1000))
    assert page.items == [entry for entry in expected_listing(case.spec) if entry.domain == HOME]
    assert page.total == len(page.items)
    for not_exact in ("homedomain", "Home%", "HomeDomai_", "Home"):
        assert (await handle.files(FileQuery(domain=not_exact))).total == 0


@pytest.mark.parametrize(
    ("path_like", "expected"),
    [
        ("Library/Sizes/%teen bytes.bin", ["fifteen bytes.bin", "seventeen bytes.bin", "sixteen bytes.bin"]),
        ("Library/Sizes/s_xteen bytes.bin", ["sixteen bytes.bin"]),
        ("library/sizes/ONE%", ["one MiB and one byte.bin", "one byte.bin", "one page.bin"]),
        ("%/sizes/one _yte.bin", ["one byte.bin"]),
        ("Library/Sizes/%.BIN", ["empty.bin", "fifteen bytes.bin", "one MiB and one byte.bin", "one byte.bin",
                                 "one page.bin", "seventeen bytes.bin", "sixteen bytes.bin"]),
        ("Library/Sizes", ["Sizes"]),
        ("Library/Sizes/", []),
        ("Library/Sizes_", []),
    ],
)  # fmt: skip
async def test_path_like_has_sql_like_wildcards_and_ascii_case_folding(
    case: Case, path_like: str, expected: list[str]
) -> None:
    handle = await case.open()
    paths = await _paths(handle, FileQuery(domain=HOME, path_like=path_like))
    assert [path.rsplit("/", 1)[-1] for path in paths] == expected


@pytest.mark.parametrize(
    ("domain", "parent"),
    [
        (HOME, ""),
        (HOME, "Library"),
        (HOME, "Library/Sizes"),
        (HOME, "library/sizes"),  # exact: no case folding
        (HOME, "Library/Size_"),  # exact: `_` is no wildcard
        (HOME, "Library/Sizes/one byte.bin"),  # a file has no children
        (NOTES, "Documents"),
        (NOTES, unicodedata.normalize("NFD", "Documents/Ünïcödé folder")),
    ],
)
async def test_parent_lists_the_direct_children_of_a_folder_only(
    case: Case, domain: str, parent: str
) -> None:
    handle = await case.open()
    expected = [
        entry
        for entry in expected_listing(case.spec)
        if entry.domain == domain and is_direct_child(entry.relative_path, parent)
    ]
    page = await handle.files(FileQuery(domain=domain, parent=parent, limit=2))
    assert page.total == len(expected)
    assert page.items == expected[:2]
    every = await handle.files(FileQuery(domain=domain, parent=parent, limit=1000))
    assert every.items == expected
    if parent in ("", "Library/Sizes", "Documents"):
        assert expected, "the sample has children there"
    if parent in ("library/sizes", "Library/Size_", "Library/Sizes/one byte.bin"):
        assert expected == []


@pytest.mark.parametrize(
    ("domain", "folder"),
    [
        (HOME, "Library"),
        (HOME, "Library/Sizes"),
        (HOME, "library"),  # exact: no case folding
        (HOME, "Librar_"),  # exact: `_` is no wildcard
        (HOME, "Lib"),  # a folder's name whole, not a prefix of it
        (NOTES, "Documents"),
    ],
)
async def test_under_lists_everything_below_a_folder_exactly(case: Case, domain: str, folder: str) -> None:
    handle = await case.open()
    expected = [
        entry
        for entry in expected_listing(case.spec)
        if entry.domain == domain and is_below(entry.relative_path, folder)
    ]
    page = await handle.files(FileQuery(domain=domain, under=folder, limit=1000))
    assert page.items == expected
    assert page.total == len(expected)
    assert (bool(expected)) is (folder in ("Library", "Library/Sizes", "Documents"))
    assert all(entry.relative_path.startswith(f"{folder}/") for entry in expected)


async def test_path_like_matches_code_points_and_folds_only_ascii_letters(case: Case) -> None:
    handle = await case.open()

    async def matching(path_like: str) -> list[str]:
        return await _paths(handle, FileQuery(domain=NOTES, path_like=path_like))

    cafe, creme = "Documents/Café.txt", unicodedata.normalize("NFD", "Documents/Crème brûlée.txt")
    assert await matching("DOCUMENTS/café.TXT") == [cafe]
    assert await matching("Documents/CAFÉ.txt") == []  # É is not an ASCII letter: no case folding
    assert await matching("Documents/Caf_.txt") == [cafe]  # one code point: the NFC é
    assert await matching("Documents/Cr_me%") == []  # NFD è is two code points
    assert await matching("Documents/Cr__me%") == [creme]
    assert await matching(unicodedata.normalize("NFC", creme)) == []
    assert await matching(creme) == [creme]
    assert await matching("%日本語%") == ["Documents/日本語のメモ.txt"]
    assert await matching("% %") == [
        creme,
        "Documents/Shopping list.txt",
        unicodedata.normalize("NFD", "Documents/Ünïcödé folder"),
        unicodedata.normalize("NFD", "Documents/Ünïcödé folder/naïve note.md"),
        f"Documents/{MARKER} note.txt",
    ]


async def test_files_filters_by_kind(case: Case) -> None:
    handle = await case.open()
    expected = expected_listing(case.spec)
    for kind in EntryKind:
        page = await handle.files(FileQuery(kind=kind, limit=1000))
        assert page.items == [entry for entry in expected if entry.kind is kind]
        assert page.total == len(page.items)
    links = await handle.files(FileQuery(kind=EntryKind.SYMLINK))
    assert [(link.relative_path, link.link_target) for link in links.items] == [
        ("Library/Logs/latest.log", "/private/var/mobile/Library/Logs/CrashReporter/latest.log"),
        ("Media/Recordings/Latest.m4a", "/private/var/mobile/Media/Recordings/Recording 1.m4a"),
    ]


async def test_filters_combine(case: Case) -> None:
    handle = await case.open()
    query = FileQuery(domain=HOME, path_like="library/%", kind=EntryKind.DIRECTORY)
    assert await _paths(handle, query) == [
        "Library/Logs",
        "Library/Preferences",
        "Library/SMS",
        "Library/Sizes",
    ]
    query = FileQuery(domain="CameraRollDomain", path_like="%.jpg", kind=EntryKind.FILE)
    assert await _paths(handle, query) == ["Media/DCIM/100APPLE/IMG_0001.JPG"]
    assert (await handle.files(FileQuery(domain=HOME, path_like="%.JPG"))).total == 0


async def test_limit_and_offset_page_through_the_matches_and_total_counts_them_all(case: Case) -> None:
    handle = await case.open()
    files = [entry for entry in expected_listing(case.spec) if entry.kind is EntryKind.FILE]
    page = await handle.files(FileQuery(kind=EntryKind.FILE, limit=3, offset=2))
    assert (page.items, page.total, page.limit, page.offset) == (files[2:5], len(files), 3, 2)
    last = await handle.files(FileQuery(kind=EntryKind.FILE, limit=10, offset=len(files) - 1))
    assert (last.items, last.total) == (files[-1:], len(files))
    beyond = await handle.files(FileQuery(kind=EntryKind.FILE, limit=10, offset=len(files) + 5))
    assert (beyond.items, beyond.total) == ([], len(files))
    nothing = await handle.files(FileQuery(path_like="no such path"))
    assert (nothing.items, nothing.total) == ([], 0)


@pytest.mark.parametrize(
    "query",
    [
        FileQuery(limit=1000),
        FileQuery(limit=3, offset=2),
        FileQuery(domain=HOME, limit=1000),
        FileQuery(kind=EntryKind.DIRECTORY, limit=5, offset=1),
        FileQuery(path_like="%.jpg", limit=1000),
        FileQuery(limit=10, offset=10_000),
    ],
    ids=["every entry", "a page", "a domain", "a kind", "path_like", "past the end"],
)
async def test_a_run_holds_the_entries_of_the_page_files_answers(case: Case, query: FileQuery) -> None:
    """As entries or as JSON lines: the client reads the same JSON either way."""
    handle = await case.open()
    page, run = await handle.files(query), await handle.run(query)
    assert (run_json(run), run.total) == (entries_json(page.items), page.total)
    assert run.lines is None or not run.items


async def test_a_path_pattern_longer_than_sqlite_allows_is_an_invalid_query(case: Case) -> None:
    handle = await case.open()
    assert (await handle.files(FileQuery(path_like="%" * 50_000))).total == len(expected_listing(case.spec))
    with pytest.raises(InvalidQueryError):
        await handle.files(FileQuery(path_like="%" * 50_001))


async def test_domains_are_distinct_and_sorted_by_code_point(case: Case) -> None:
    handle = await case.open()
    domains = await handle.domains()
    assert domains == sorted(set(case.spec.domains))
    assert len(domains) >= 4
    assert await handle.domains() == domains


async def test_every_handle_of_an_unchanged_backup_has_one_version(case: Case) -> None:
    first, second = await case.open(), await case.open()
    assert first.version == second.version
    assert first.version


async def test_locate_finds_entries_of_every_kind_by_exact_domain_and_path(case: Case) -> None:
    handle = await case.open()
    listed = await _everything(handle, 1000)
    wanted = {EntryRef(entry.domain, entry.relative_path): entry.file_id for entry in listed}
    absent = [
        EntryRef(HOME, "Library/SMS/no such.db"),
        EntryRef("NoSuchDomain", listed[0].relative_path),
        EntryRef(listed[-1].domain, listed[-1].relative_path.upper() + "x"),
    ]
    found = await handle.locate([*wanted, *absent])
    assert {entry: file_id.hex for entry, file_id in found.items()} == wanted
    assert await handle.locate([]) == {}


# Contents


async def test_every_regular_file_reads_back_byte_for_byte(case: Case) -> None:
    handle = await case.open()
    for file in regular_files(case.spec):
        content = await handle.content(FileId(file.file_id))
        assert (content.length, content.relative_path) == (file.size, file.relative_path)
        chunks = [chunk async for chunk in content.read(ByteRange(0, content.length))]
        assert b"".join(chunks) == file.read_bytes(), file.relative_path
        assert all(0 < len(chunk) <= MIB for chunk in chunks), "chunks are bounded and never empty"


def _ranges(length: int) -> list[tuple[int, int]]:
    edges = {0, 1, 15, 16, 17, 31, 32, 33, 4095, 4096, 4097, MIB - 1, MIB, MIB + 1}
    edges |= {length - 33, length - 17, length - 16, length - 15, length - 1, length}
    points = sorted(point for point in edges if 0 <= point <= length)
    ranges = {(start, min(start + width, length)) for start in points for width in (0, 1, 15, 16, 17, 4096)}
    ranges |= {(start, length) for start in points} | {(0, stop) for stop in points}
    ranges |= {(MIB - 5, 2 * MIB + 5), (1, length - 1)} if length > 2 * MIB + 5 else set()
    return sorted((start, stop) for start, stop in ranges if 0 <= start <= stop <= length)


async def test_any_byte_range_reads_exactly_those_bytes(case: Case) -> None:
    handle = await case.open()
    for file in regular_files(case.spec):
        data = file.read_bytes()
        content = await handle.content(FileId(file.file_id))
        for start, stop in _ranges(len(data)):
            assert await _read(content, ByteRange(start, stop)) == data[start:stop], (
                file.relative_path,
                start,
            )


async def test_an_empty_range_yields_no_chunk(case: Case) -> None:
    handle = await case.open()
    for relative_path in ("Library/Sizes/empty.bin", "Library/Sizes/seventeen bytes.bin"):
        content = await handle.content(FileId(case.file(relative_path).file_id))
        for at in sorted({0, content.length // 2, content.length}):
            assert [chunk async for chunk in content.read(ByteRange(at, at))] == []


async def test_a_range_outside_the_file_is_a_programming_error(case: Case) -> None:
    handle = await case.open()
    content = await handle.content(FileId(case.file("Library/Sizes/seventeen bytes.bin").file_id))
    for start, stop in ((0, 18), (-1, 3), (5, 4), (18, 18)):
        with pytest.raises(ValueError, match="outside"):
            content.read(ByteRange(start, stop))


async def test_the_etag_names_one_file_and_stays_put(case: Case) -> None:
    handle = await case.open()
    etags = {}
    for file in regular_files(case.spec):
        etag = (await handle.content(FileId(file.file_id))).etag
        assert re.fullmatch(r'"[^"]+"', etag)
        assert etag == (await handle.content(FileId(file.file_id))).etag
        etags[file.file_id] = etag
    assert len(set(etags.values())) == len(etags)


async def test_what_is_not_a_regular_file_has_no_content(case: Case) -> None:
    handle = await case.open()
    listing = expected_listing(case.spec)
    directories = [entry.file_id for entry in listing if entry.kind is EntryKind.DIRECTORY]
    symlinks = [entry.file_id for entry in listing if entry.kind is EntryKind.SYMLINK]
    for file_id in ("0" * 40, "f" * 40, directories[0], directories[-1], *symlinks):
        with pytest.raises(EntryNotFoundError):
            await handle.content(FileId(file_id))


async def test_a_file_whose_payload_is_missing_is_listed_but_has_no_content(
    case: Case, tmp_path: Path
) -> None:
    gone, kept = case.file("Library/SMS/sms.db"), case.file("Library/Sizes/one page.bin")
    vault = case.without_payload(gone.file_id, tmp_path)
    handle = await vault.open(case.backup_id, case.passphrase)
    with pytest.raises(EntryNotFoundError):
        await handle.content(FileId(gone.file_id))
    assert await _paths(handle, FileQuery(domain=HOME, path_like="%sms.db")) == [gone.relative_path]
    assert await _whole(handle, kept) == kept.read_bytes()


# Closing


async def test_closing_one_handle_leaves_the_others_working(case: Case) -> None:
    first, second = await case.open(), await case.open()
    await first.close()
    file = case.file("Library/Sizes/one page.bin")
    assert await _whole(second, file) == file.read_bytes()
    assert (await second.files(FileQuery())).total == len(expected_listing(case.spec))
    await second.close()
    third = await case.open()
    assert await third.domains() == sorted(set(case.spec.domains))


async def test_a_closed_handle_forgets_its_key_and_refuses_every_call(case: Case) -> None:
    handle = await case.open()
    big = case.file("Media/DCIM/100APPLE/IMG_0002.HEIC")
    content = await handle.content(FileId(big.file_id))
    reading = content.read(ByteRange(0, content.length))
    assert len(await anext(reading)) > 0
    await handle.close()
    await handle.close()  # idempotent
    assert handle.passphrase_key is None
    with pytest.raises(SessionRequiredError):
        await handle.files(FileQuery())
    with pytest.raises(SessionRequiredError):
        await handle.domains()
    with pytest.raises(SessionRequiredError):
        await handle.locate([EntryRef(big.domain, big.relative_path)])
    with pytest.raises(SessionRequiredError):
        await handle.content(FileId(big.file_id))
    with pytest.raises(SessionRequiredError):
        await anext(reading)


# No plaintext on disk


async def test_no_decrypted_byte_is_written_to_disk(case: Case, written: Written, tmp_path: Path) -> None:
    """Nothing this test's reading writes holds a decrypted byte: the files written since it began, where a
    careless implementation would write (a control file of the test's own proves the scan finds one)."""
    since = time.time() - 2  # file systems with a coarse mtime
    handle = await case.open()
    await _everything(handle, 1000)
    await handle.domains()
    for file in regular_files(case.spec):
        content = await handle.content(FileId(file.file_id))
        assert len(await _read(content, ByteRange(0, content.length))) == file.size
    await handle.close()
    control = tmp_path / "control"
    control.write_bytes(MARKER.encode())
    holding = list(files_holding(MARKER.encode(), since, [*scratch_roots(tmp_path), written.root]))
    assert control in holding, "the scan finds the plaintext it should"
    assert [path for path in holding if path != control and not plaintext_by_design(path)] == []
