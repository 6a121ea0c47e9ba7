"""One file's plaintext from the vault into a destination tree, under a temporary name until it is whole."""

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar

from ios_backup_api.adapters.export.tree import DestinationTree, PartialFile
from ios_backup_api.domain.errors import CorruptBackupError, EntryNotFoundError
from ios_backup_api.domain.manifest import ByteRange, FileId, ManifestEntry
from ios_backup_api.domain.ports.vault import FileContent, OpenBackup
from ios_backup_api.entrypoints.export.progress import Report
from ios_backup_api.entrypoints.export.times import nanoseconds

T = TypeVar("T")


async def copy_file(
    backup: OpenBackup, entry: ManifestEntry, tree: DestinationTree, parts: Sequence[str], report: Report
) -> None:
    """The regular file `entry` to `parts` of `tree`, with its time; one it can't be is told to `report`."""
    try:
        content = await backup.content(FileId(entry.file_id))
        await copy_content(content, tree, parts, nanoseconds(entry.modified_at), report)
    except (EntryNotFoundError, CorruptBackupError, OSError) as error:
        report.problem(f"{entry.domain}/{entry.relative_path}: left out, {reason(error)}.")
        report.file()


def reason(error: BaseException) -> str:
    """The error's sentence, to follow a comma."""
    if isinstance(error, OSError) and error.strerror and not str(error).startswith(error.strerror):
        return error.strerror[:1].lower() + error.strerror[1:]
    text = str(error).rstrip(".")
    return text[:1].lower() + text[1:]


async def copy_content(
    content: FileContent, tree: DestinationTree, parts: Sequence[str], modified_ns: int | None, report: Report
) -> None:
    """Skips a file already there whole (its length and time); else writes it and renames it into place.
    Whatever stops it midway (a failure, Ctrl-C) leaves no file under its final name. The file system work
    runs in worker threads, beside the decryption of other files (the event loop only hands chunks on): the
    file is made by the hop that writes its first chunk, and timed and renamed by the one of its last."""
    if tree.is_complete(parts, content.length, modified_ns):  # one lstat: no hop
        report.bytes(content.length)
        report.file(already_there=True)
        return
    writing = _Writing(tree, parts, modified_ns)
    try:
        written = 0
        async for chunk in content.read(ByteRange(0, content.length)):
            written += len(chunk)
            await _finished(writing.write, chunk, written == content.length)
            report.bytes(len(chunk))
        if not content.length:
            await _finished(writing.write, b"", True)
    except BaseException:
        writing.discard()
        raise
    report.file()


class _Writing:
    """One file being written, made on its first write."""

    def __init__(self, tree: DestinationTree, parts: Sequence[str], modified_ns: int | None) -> None:
        self._tree = tree
        self._parts = parts
        self._modified_ns = modified_ns
        self._partial: PartialFile | None = None

    def write(self, data: bytes, last: bool) -> None:
        if self._partial is None:
            self._partial = self._tree.partial(self._parts)
        self._partial.write(data)
        if last:
            self._partial.finish(self._modified_ns)

    def discard(self) -> None:
        if self._partial is not None:
            self._partial.discard()


async def _finished(call: Callable[..., None], *args: object) -> None:
    """`call(*args)` in a worker thread, to its end (see `to_the_end`)."""
    await to_the_end(asyncio.ensure_future(asyncio.to_thread(call, *args)))


async def to_the_end(work: "asyncio.Future[T]") -> T:
    """`work`'s result; a cancel (Ctrl-C) waits for it to end before it goes on, so a file is never closed
    or removed while a thread still writes to it."""
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait([work])
        raise
