from collections.abc import AsyncGenerator, AsyncIterator
from typing import Protocol

from ios_backup_api.domain.archive import ArchiveMember, Compression


class ArchiveEncoder(Protocol):
    """Writes members as one archive, streamed as it is produced."""

    def encode(
        self, members: AsyncGenerator[ArchiveMember, None], compression: Compression
    ) -> AsyncIterator[bytes]:
        """The archive's bytes, in order. Memory does not grow with the members' sizes (only a few bytes a
        member for the index at the end); nothing is written to disk. A file's bytes are compressed with
        `compression`, folders and symlinks are stored. Closing the stream early closes `members` and the
        chunks of the member being written."""
        ...
