"""Every entry a selection matches, as one archive: files with their decrypted bytes, folders, symlinks; what
can't be put in it is named in a final MISSING.txt."""

import asyncio
import stat
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator

from ios_backup_api.domain.archive import ArchiveMember, Compression, MemberKind
from ios_backup_api.domain.archive_names import UniqueNames, entry_parts, fits, link_target
from ios_backup_api.domain.errors import (
    CorruptBackupError,
    DomainError,
    EntryNotFoundError,
    InvalidQueryError,
)
from ios_backup_api.domain.manifest import ByteRange, EntryKind, FileId, ManifestEntry
from ios_backup_api.domain.ports.archive import ArchiveEncoder
from ios_backup_api.domain.ports.vault import FileContent, OpenBackup
from ios_backup_api.domain.services.selection import Selection, selected_entries

MISSING_NAME = "MISSING.txt"
OPENED_AHEAD = 4
"""Regular files whose contents are opened while the entries before them are archived."""
_MISSING_HEADING = (
    "Entries of this selection that are not in this archive, or not whole: one a line, its name in the "
    "archive, a tab, and why.\n\n"
)
# Unpacked files stay readable and folders searchable by their owner, whatever the manifest recorded.
_OWNER_CAN_USE = {MemberKind.FILE: 0o600, MemberKind.FOLDER: 0o700, MemberKind.SYMLINK: 0o777}


class ArchiveExport:
    def __init__(self, encoder: ArchiveEncoder) -> None:
        self._encoder = encoder

    def stream(
        self, opened: OpenBackup, selection: Selection, compression: Compression
    ) -> AsyncIterator[bytes]:
        """The archive's bytes as they are produced. A session that ends meanwhile ends it with
        `SessionRequiredError`; a payload missing or damaged is left out (or cut short) and named."""
        return self._encoder.encode(archive_members(opened, selection), compression)


async def archive_members(
    opened: OpenBackup, selection: Selection, opened_ahead: int = OPENED_AHEAD
) -> AsyncGenerator[ArchiveMember, None]:
    names = UniqueNames()
    missing: list[str] = []
    async for entry, opening in _opening_ahead(opened, selection, opened_ahead):
        parts = entry_parts(entry.domain, entry.relative_path)
        if entry.kind is EntryKind.DIRECTORY:
            name = names.folder(parts)
            if name is not None and fits(name):
                yield _member(entry, name, MemberKind.FOLDER)
            continue
        name = names.member(parts)
        if not fits(name):
            if opening is not None:
                _forget(opening)
            missing.append(f"{name[:200]}…\tits name is longer than a ZIP name can be")
        elif entry.kind is EntryKind.SYMLINK:
            if entry.link_target:
                target = link_target(name.split("/"), entry.link_target).encode()
                yield _member(entry, name, MemberKind.SYMLINK, data=target)
            else:
                missing.append(f"{name}\tthe manifest records no target for this symlink")
        elif opening is not None:
            content = await opening
            if isinstance(content, DomainError):
                missing.append(f"{name}\t{content}")
                continue
            chunks = _cut_short_named(content.read(ByteRange(0, content.length)), name, missing)
            yield _member(entry, name, MemberKind.FILE, size=content.length, chunks=chunks)
        else:
            missing.append(f"{name}\tthe manifest does not say whether this is a file, folder or symlink")
    if missing:
        listing = (_MISSING_HEADING + "".join(line + "\n" for line in missing)).encode()
        yield ArchiveMember(names.member([MISSING_NAME]), MemberKind.FILE, None, 0o644, len(listing), listing)


Opening = asyncio.Future[FileContent | DomainError]


async def _opening_ahead(
    opened: OpenBackup, selection: Selection, ahead: int
) -> AsyncGenerator[tuple[ManifestEntry, Opening | None], None]:
    """The entries, each regular file's content being opened while up to `ahead` entries before it are
    archived: a file's opening (its manifest record, its key, its payload's length) then costs no wait."""
    window: deque[tuple[ManifestEntry, Opening | None]] = deque()
    try:
        async for entry in selected_entries(opened, selection):
            opening = asyncio.ensure_future(_open(opened, entry)) if entry.kind is EntryKind.FILE else None
            window.append((entry, opening))
            if len(window) > ahead:
                yield window.popleft()
        while window:
            yield window.popleft()
    finally:
        for _, waiting in window:
            if waiting is not None:
                _forget(waiting)


def _forget(opening: Opening) -> None:
    """Cancels an opening nobody will wait for; its failure (a session's end) is not reported as unhandled."""
    opening.cancel()
    opening.add_done_callback(lambda done: done.cancelled() or done.exception())


async def _open(opened: OpenBackup, entry: ManifestEntry) -> FileContent | DomainError:
    """The content, or why there is none to archive (a session's end is raised: it ends the archive)."""
    try:
        return await opened.content(FileId(entry.file_id))
    except (EntryNotFoundError, CorruptBackupError, InvalidQueryError) as error:
        return error


def _member(
    entry: ManifestEntry,
    name: str,
    kind: MemberKind,
    size: int = 0,
    data: bytes = b"",
    chunks: AsyncGenerator[bytes, None] | None = None,
) -> ArchiveMember:
    recorded = stat.S_IMODE(entry.mode) if entry.mode is not None else 0o644
    permissions = recorded | _OWNER_CAN_USE[kind]
    return ArchiveMember(name, kind, entry.modified_at, permissions, size or len(data), data, chunks)


async def _cut_short_named(
    chunks: AsyncIterator[bytes], name: str, missing: list[str]
) -> AsyncGenerator[bytes, None]:
    """The chunks; a payload that fails part way (damaged, or changed while read) ends the member there and
    is named in MISSING.txt. Closed early, it closes the content's stream at once (its buffers are wiped)."""
    try:
        async for chunk in chunks:
            yield chunk
    except CorruptBackupError as error:
        missing.append(f"{name}\tcut short: {error}")
    finally:
        if isinstance(chunks, AsyncGenerator):
            await chunks.aclose()
