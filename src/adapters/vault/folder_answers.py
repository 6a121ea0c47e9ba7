"""Folder work for the vault, whose callers know a folder that does not answer as a damaged backup."""

from collections.abc import Callable
from typing import TypeVar

from ios_backup_api.adapters.backup_folder.file_work import FolderLane, FolderNotAnsweringError
from ios_backup_api.domain.errors import CorruptBackupError

T = TypeVar("T")


async def answered(lane: FolderLane, work: Callable[[], T], allow_seconds: float | None = None) -> T:
    """`work()` in the folder's lane; `CorruptBackupError` when the folder does not answer in time."""
    try:
        return await lane.run(work, allow_seconds)
    except FolderNotAnsweringError as error:
        raise CorruptBackupError(str(error)) from None
