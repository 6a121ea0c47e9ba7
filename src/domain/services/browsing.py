from ios_backup_api.domain.errors import InvalidQueryError
from ios_backup_api.domain.manifest import FilePage, FileQuery
from ios_backup_api.domain.ports.vault import FileContent
from ios_backup_api.domain.services.unlocking import Session


class ManifestService:
    """Queries of an unlocked backup's manifest, and its files' plaintext."""

    async def files(self, session: Session, query: FileQuery) -> FilePage:
        return await session.opened.files(query)

    async def domains(self, session: Session) -> list[str]:
        return await session.opened.domains()

    async def content(self, session: Session, file_id: str) -> FileContent:
        if len(file_id) != 40 or any(char not in "0123456789abcdef" for char in file_id):
            raise InvalidQueryError("file_id must be 40 lowercase hexadecimal characters.")
        return await session.opened.content(file_id)
