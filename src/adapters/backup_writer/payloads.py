"""A regular file's payload, `<fileID[:2]>/<fileID>`: encrypted with the file's own key, or stored as is."""

import os

from ios_backup_api.adapters.backup_writer.content import CHUNK_SIZE
from ios_backup_api.adapters.backup_writer.crypto import encrypt, encrypt_chunks
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile


def write_payload(path: str | os.PathLike[str], file: SyntheticFile, file_key: bytes | None) -> None:
    """Streams in 1 MiB chunks. An empty file is an empty payload, even encrypted: no padding block."""
    with open(path, "wb") as out:
        if file.size == 0:
            return
        if file_key is None:
            for chunk in file.chunks():
                out.write(chunk)
        elif file.size < CHUNK_SIZE:
            out.write(encrypt(file_key, file.read_bytes()))
        else:
            for chunk in encrypt_chunks(file_key, file.chunks()):
                out.write(chunk)
