"""The real vault's payloads: damaged ones are corrupt (at `content()` when the size or padding is wrong,
during `read()` when the payload changes under it), and a range decrypts only what it reads."""

import os
from pathlib import Path

import pytest

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.vault import payload
from ios_backup_api.domain.errors import CorruptBackupError, EntryNotFoundError
from ios_backup_api.domain.manifest import ByteRange, FileId
from ios_backup_api.domain.ports.vault import FileContent
from tests.support.vault_cases import MIB, SMALL_ID, folder_vault, payload_of, write_small


def _file(spec: SyntheticBackup, relative_path: str) -> SyntheticFile:
    return next(e for e in spec.entries if isinstance(e, SyntheticFile) and e.relative_path == relative_path)


async def _read(content: FileContent, byte_range: ByteRange) -> bytes:
    return b"".join([chunk async for chunk in content.read(byte_range)])


async def test_a_payload_that_is_not_whole_aes_blocks_is_corrupt(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    file = _file(spec, "Library/sixteen.bin")
    with payload_of(folder, file.file_id).open("ab") as payload:
        payload.write(b"x")
    handle = await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    with pytest.raises(CorruptBackupError, match="AES blocks"):
        await handle.content(FileId(file.file_id))


async def test_a_payload_with_bad_padding_is_corrupt(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    file = _file(spec, "Library/sixteen.bin")
    path = payload_of(folder, file.file_id)
    data = path.read_bytes()
    assert len(data) == 32  # 16 bytes and a whole block of padding (0x10), which the flip turns into 0x11
    path.write_bytes(data[:15] + bytes([data[15] ^ 1]) + data[16:])
    handle = await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    with pytest.raises(CorruptBackupError, match="padding"):
        await handle.content(FileId(file.file_id))


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "unencrypted"])
async def test_a_payload_cut_short_while_it_is_read_is_corrupt(tmp_path: Path, encrypted: bool) -> None:
    folder, spec = write_small(tmp_path, encrypted=encrypted)
    file = _file(spec, "Media/big.bin")
    handle = await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    content = await handle.content(FileId(file.file_id))
    reading = content.read(ByteRange(0, content.length))
    assert len(await anext(reading)) == MIB
    os.truncate(payload_of(folder, file.file_id), 2 * MIB)
    with pytest.raises(CorruptBackupError, match="changed"):
        [chunk async for chunk in reading]


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "unencrypted"])
async def test_a_payload_that_is_not_a_file_is_missing(tmp_path: Path, encrypted: bool) -> None:
    folder, spec = write_small(tmp_path, encrypted=encrypted)
    file = _file(spec, "Library/notes.txt")
    payload_of(folder, file.file_id).unlink()
    payload_of(folder, file.file_id).mkdir()
    handle = await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    with pytest.raises(EntryNotFoundError):
        await handle.content(FileId(file.file_id))


async def test_a_range_decrypts_from_the_block_holding_its_start_not_from_the_beginning(
    tmp_path: Path,
) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    file = _file(spec, "Media/big.bin")
    data = file.read_bytes()
    path = payload_of(folder, file.file_id)
    with path.open("r+b") as payload:
        payload.write(bytes(MIB))  # ruin the first MiB of ciphertext, which is the IV of the block at MIB
    handle = await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    content = await handle.content(FileId(file.file_id))
    assert content.length == len(data)
    for start, stop in (
        (MIB + 16, MIB + 17),
        (MIB + 16, len(data)),
        (2 * MIB + 3, 2 * MIB + 40),
        (len(data) - 1, len(data)),
    ):
        assert await _read(content, ByteRange(start, stop)) == data[start:stop]
    assert await _read(content, ByteRange(MIB, MIB + 16)) != data[MIB : MIB + 16]


async def test_the_etag_changes_when_the_payload_is_rewritten(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    file = _file(spec, "Library/notes.txt")
    handle = await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    before = (await handle.content(FileId(file.file_id))).etag
    path = payload_of(folder, file.file_id)
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    after = (await handle.content(FileId(file.file_id))).etag
    assert after != before
    assert file.read_bytes().decode().strip() not in after


async def test_the_plaintext_buffers_of_a_read_are_wiped_when_it_ends_or_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiped: list[object] = []
    real_wipe = payload._SpanDecrypter.wipe

    def wipe(self: payload._SpanDecrypter) -> None:
        wiped.append(self)
        real_wipe(self)

    monkeypatch.setattr(payload._SpanDecrypter, "wipe", wipe)
    _, spec = write_small(tmp_path, encrypted=True)
    handle = await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    big = _file(spec, "Media/big.bin")
    content = await handle.content(FileId(big.file_id))
    assert len(b"".join([chunk async for chunk in content.read(ByteRange(0, content.length))])) == big.size
    assert len(wiped) == 1
    partial = content.read(ByteRange(0, content.length))
    assert len(await anext(partial)) > 0
    await partial.aclose()  # a client that went away
    assert len(wiped) == 2
