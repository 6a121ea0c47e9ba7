"""The members of an archive, from the in-memory vault: every selected entry in listing order, named and
typed; what can't be put in the archive (no payload, a damaged one, one that fails part way, a link with no
target, an entry of no known kind) named in a final MISSING.txt; a session that ends stops it."""

import asyncio
import gc
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from ios_backup_api.adapters.backup_writer import file_ids
from ios_backup_api.domain.archive import ArchiveMember, MemberKind
from ios_backup_api.domain.errors import CorruptBackupError, SessionRequiredError
from ios_backup_api.domain.manifest import ByteRange, EntryKind, FileId, ManifestEntry
from ios_backup_api.domain.ports.vault import FileContent
from ios_backup_api.domain.services.archive_export import OPENED_AHEAD, archive_members
from ios_backup_api.domain.services.selection import Selection
from tests.fakes.vault import InMemoryBackupVault, InMemoryOpenBackup

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _entry(
    domain: str, path: str, kind: EntryKind | None, size: int = 0, target: str | None = None
) -> ManifestEntry:
    file_id = file_ids.file_id(domain, path)
    mode = {EntryKind.FILE: 0o100600, EntryKind.DIRECTORY: 0o40000, EntryKind.SYMLINK: 0o120755, None: None}[
        kind
    ]
    return ManifestEntry(file_id, domain, path, kind, size, mode, WHEN, 3, target)


class _Failing:
    """The in-memory handle, but for the contents named: damaged when opened, or failing after a chunk."""

    def __init__(self, handle: InMemoryOpenBackup, damaged: frozenset[str], failing: frozenset[str]) -> None:
        self._handle, self._damaged, self._failing = handle, damaged, failing
        self.files, self.close = handle.files, handle.close

    async def content(self, file_id: FileId) -> FileContent:
        if file_id.hex in self._damaged:
            raise CorruptBackupError(f"The content of file {file_id.hex} can't be read (EIO).")
        content = await self._handle.content(file_id)
        return _FailsAfterOneChunk(content) if file_id.hex in self._failing else content


class _FailsAfterOneChunk:
    def __init__(self, content: FileContent) -> None:
        self.relative_path, self.length, self.etag = content.relative_path, content.length, content.etag

    async def read(self, byte_range: ByteRange) -> AsyncIterator[bytes]:
        yield b"x" * 10
        raise CorruptBackupError("The content of file f changed while it was read.")


async def _opened(
    entries: list[tuple[ManifestEntry, bytes | None]],
    damaged: frozenset[str] = frozenset(),
    failing: frozenset[str] = frozenset(),
) -> _Failing:
    vault = InMemoryBackupVault()
    vault.add_backup("b", None, entries)
    return _Failing(await vault.open("b", None), damaged, failing)


EVERYTHING = Selection()


async def _all(
    opened: _Failing, selection: Selection = EVERYTHING, ahead: int = OPENED_AHEAD
) -> list[tuple[ArchiveMember, bytes]]:
    members = []
    async for member in archive_members(opened, selection, ahead):
        data = b"".join([chunk async for chunk in member.chunks]) if member.chunks else member.data
        members.append((member, data))
    return members


AHEAD = pytest.mark.parametrize("ahead", [0, 1, OPENED_AHEAD])


@AHEAD
async def test_every_selected_entry_is_a_member_in_listing_order(ahead: int) -> None:
    entries = [
        (_entry("D", "", EntryKind.DIRECTORY), None),
        (_entry("D", "a", EntryKind.DIRECTORY), None),
        (_entry("D", "a/f.txt", EntryKind.FILE, 3), b"abc"),
        (_entry("D", "a/link", EntryKind.SYMLINK, target="/var/mobile/x"), None),
        (_entry("E", "g", EntryKind.FILE, 1), b"g"),
    ]
    members = await _all(await _opened(entries), EVERYTHING, ahead)
    assert [(m.name, m.kind, data) for m, data in members] == [
        ("D/", MemberKind.FOLDER, b""),
        ("D/a/", MemberKind.FOLDER, b""),
        ("D/a/f.txt", MemberKind.FILE, b"abc"),
        ("D/a/link", MemberKind.SYMLINK, b"../../var/mobile/x"),
        ("E/g", MemberKind.FILE, b"g"),
    ]
    assert all(member.modified_at == WHEN for member, _ in members)
    assert members[2][0].permissions == 0o600
    assert members[0][0].permissions == 0o700  # the owner can always enter what is unpacked
    selected = await _all(await _opened(entries), Selection(domain="D", kind=EntryKind.FILE))
    assert [member.name for member, _ in selected] == ["D/a/f.txt"]


@AHEAD
async def test_what_cant_be_archived_is_named_in_a_final_missing_txt(ahead: int) -> None:
    gone, damaged, cut = (_entry("D", name, EntryKind.FILE, 20) for name in ("gone", "damaged", "cut"))
    entries = [
        (gone, None),
        (damaged, b"d" * 20),
        (cut, b"c" * 20),
        (_entry("D", "kept", EntryKind.FILE, 4), b"kept"),
        (_entry("D", "dangling", EntryKind.SYMLINK, target=None), None),
        (_entry("D", "odd", None), None),
    ]
    opened = await _opened(entries, damaged=frozenset({damaged.file_id}), failing=frozenset({cut.file_id}))
    members = await _all(opened, EVERYTHING, ahead)
    assert [member.name for member, _ in members] == ["D/cut", "D/kept", "MISSING.txt"]
    assert members[0][1] == b"x" * 10  # kept as far as it was read
    lines = members[-1][1].decode().splitlines()
    assert lines[1] == ""
    assert lines[2:] == [  # in listing order
        "D/cut\tcut short: The content of file f changed while it was read.",
        f"D/damaged\tThe content of file {damaged.file_id} can't be read (EIO).",
        "D/dangling\tthe manifest records no target for this symlink",
        f"D/gone\tNo regular file with content has the id {gone.file_id}.",
        "D/odd\tthe manifest does not say whether this is a file, folder or symlink",
    ]


async def test_an_archive_with_nothing_missing_has_no_missing_txt() -> None:
    members = await _all(await _opened([(_entry("D", "f", EntryKind.FILE, 1), b"f")]))
    assert [member.name for member, _ in members] == ["D/f"]


async def test_a_session_that_ends_stops_the_members() -> None:
    unhandled: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: unhandled.append(context))
    entries = [(_entry("D", f"f{n}", EntryKind.FILE, 1), b"f") for n in range(10)]
    opened = await _opened(entries)
    members = archive_members(opened, EVERYTHING)
    await anext(members)
    await opened.close()
    ended = False
    try:  # not pytest.raises: its traceback would keep the openings alive past the check below
        await _read_all(members)
    except SessionRequiredError:  # contents opened ahead can't be read, the rest not opened
        ended = True
    assert ended
    await members.aclose()
    del members
    await asyncio.sleep(0.01)
    gc.collect()
    assert unhandled == [], "an opening done ahead failed and nobody heard of it"


async def _read_all(members: AsyncIterator[ArchiveMember]) -> None:
    async for member in members:
        if member.chunks is not None:
            async for _ in member.chunks:
                pass
