"""The hand-written ZIP writer against the standard library's zipfile and Info-ZIP's `unzip -t`: any members
(streamed in any chunks, cut short, known whole; folders, symlinks; any names, times and modes), stored or
deflated, with the ZIP64 records forced from any size on, read back as written."""

import asyncio
import io
import shutil
import stat
import struct
import subprocess
import zipfile
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stream_unzip import stream_unzip

from ios_backup_api.adapters.zip.records import LIMIT_32
from ios_backup_api.adapters.zip.stream_writer import ZipStreamEncoder
from ios_backup_api.domain.archive import ArchiveMember, Compression, MemberKind

UNZIP = shutil.which("unzip") or "/usr/bin/unzip"
_TYPE = {MemberKind.FILE: stat.S_IFREG, MemberKind.FOLDER: stat.S_IFDIR, MemberKind.SYMLINK: stat.S_IFLNK}


@dataclass(frozen=True)
class Case:
    member: ArchiveMember
    content: bytes
    """What the archive must hold for it (a streamed member's bytes as sent, a symlink's target)."""
    pieces: tuple[bytes, ...] = ()


async def _chunks(pieces: tuple[bytes, ...]) -> AsyncGenerator[bytes, None]:
    for piece in pieces:
        await asyncio.sleep(0)
        yield piece


async def _members(cases: list[Case]) -> AsyncGenerator[ArchiveMember, None]:
    for case in cases:
        member = case.member
        if case.pieces or (member.kind is MemberKind.FILE and not member.data and member.size):
            member = ArchiveMember(
                member.name, member.kind, member.modified_at, member.permissions, member.size,
                chunks=_chunks(case.pieces),
            )  # fmt: skip
        yield member


def encoded(cases: list[Case], compression: Compression, zip64_from: int = LIMIT_32) -> bytes:
    # Every other archive takes its CRC-32s in worker threads, even of its smallest chunks.
    encoder = ZipStreamEncoder(zip64_from=zip64_from, threaded_from=0 if len(cases) % 2 else 1 << 16)

    async def run() -> bytes:
        return b"".join([piece async for piece in encoder.encode(_members(cases), compression)])

    try:
        return asyncio.run(run())
    finally:
        encoder.close()


_part = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\", min_codepoint=0x20),
    min_size=1,
    max_size=12,
).filter(lambda part: part not in (".", ".."))
_paths = st.lists(_part, min_size=1, max_size=4).map("/".join)
_times = st.none() | st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2120, 12, 31), timezones=st.just(UTC)
)
_permissions = st.integers(0, 0o7777)


@st.composite
def _case(draw: st.DrawFn, name: str) -> Case:
    kind = draw(st.sampled_from(["streamed", "cut short", "whole", "folder", "symlink"]))
    when, permissions = draw(_times), draw(_permissions)
    if kind == "folder":
        return Case(ArchiveMember(name + "/", MemberKind.FOLDER, when, permissions, 0), b"")
    if kind == "symlink":
        target = draw(_paths).encode()
        return Case(ArchiveMember(name, MemberKind.SYMLINK, when, permissions, len(target), target), target)
    content = draw(st.binary(max_size=3000) | st.just(b"compressible " * draw(st.integers(0, 400))))
    if kind == "whole":
        return Case(ArchiveMember(name, MemberKind.FILE, when, permissions, len(content), content), content)
    cuts = sorted(draw(st.lists(st.integers(0, len(content)), max_size=5)))
    pieces = tuple(content[a:b] for a, b in zip([0, *cuts], [*cuts, len(content)], strict=True))
    declared = len(content) + (draw(st.integers(1, 5000)) if kind == "cut short" else 0)
    member = ArchiveMember(name, MemberKind.FILE, when, permissions, declared)
    return Case(member, content, pieces or (b"",))


@st.composite
def _archives(draw: st.DrawFn) -> list[Case]:
    names = draw(st.lists(_paths, max_size=12, unique_by=lambda path: path.casefold()))
    return [draw(_case(name)) for name in names]


def _dos(moment: datetime | None) -> tuple[int, int, int, int, int, int]:
    """What an MS-DOS date and time keep of `moment` (an independent writing of the rule)."""
    if moment is None or moment.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if moment.year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second - moment.second % 2,
    )


_ZIP64_FROM = st.sampled_from([LIMIT_32, 0, 1, 50, 2000])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=_archives(), compression=st.sampled_from(Compression), zip64_from=_ZIP64_FROM)
def test_zipfile_reads_every_member_as_it_was_written(
    cases: list[Case], compression: Compression, zip64_from: int
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(encoded(cases, compression, zip64_from)))
    infos = archive.infolist()
    assert [info.filename for info in infos] == [case.member.name for case in cases]
    assert archive.testzip() is None
    for info, case in zip(infos, cases, strict=True):
        member = case.member
        assert info.flag_bits & 0x800, "names are marked UTF-8"
        assert info.external_attr >> 16 == _TYPE[member.kind] | member.permissions
        assert info.date_time == _dos(member.modified_at)
        assert info.is_dir() == (member.kind is MemberKind.FOLDER)
        deflated = compression is Compression.DEFLATE and member.kind is MemberKind.FILE
        assert info.compress_type == (zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED)
        assert archive.read(info) == case.content
    _laid_out_as_the_format_says(archive, zip64_from)


def _laid_out_as_the_format_says(archive: zipfile.ZipFile, zip64_from: int) -> None:
    """What zipfile and unzip don't read: members one after the other from the start, each local header then
    its bytes then its data descriptor (CRC-32 and sizes, 8-byte sizes after a ZIP64 local header), the
    central directory right after the last, and its end records saying where it is."""
    assert isinstance(archive.fp, io.BytesIO)
    data = archive.fp.getvalue()
    end = 0
    for info in archive.infolist():
        assert info.header_offset == end
        signature, *_, flags, _, _, _, _, compressed_32, _, name_size, extra_size = struct.unpack_from(
            "<IHHHHHIIIHH", data, end
        )
        assert signature == 0x04034B50
        end += 30 + name_size + extra_size + info.compress_size
        if flags & 0x08:
            layout = "<IIQQ" if compressed_32 == 0xFFFFFFFF else "<IIII"
            descriptor = struct.unpack_from(layout, data, end)
            assert descriptor == (0x08074B50, info.CRC, info.compress_size, info.file_size)
            end += struct.calcsize(layout)
    entries, directory_end = len(archive.infolist()), len(data) - 22
    record = struct.unpack_from("<IHHHHIIH", data, directory_end)
    has_zip64_end = len(data) >= 98 and data[-42:-38] == b"PK\x06\x07"
    if has_zip64_end:
        directory_end -= 56 + 20
    needs_zip64_end = entries >= min(0xFFFF, zip64_from) or max(end, directory_end - end) >= zip64_from
    assert has_zip64_end == needs_zip64_end
    if has_zip64_end:
        locator = struct.unpack_from("<IIQI", data, directory_end + 56)
        assert locator == (0x07064B50, 0, directory_end, 1)
        (signature, size, _, _, _, _, count, total, directory_size, directory_offset) = struct.unpack_from(
            "<IQHHIIQQQQ", data, directory_end
        )
        assert (signature, size, count, total) == (0x06064B50, 44, entries, entries)
        assert (directory_size, directory_offset) == (directory_end - end, end)
    else:
        assert record[3:7] == (entries, entries, directory_end - end, end)
    assert record[0] == 0x06054B50


@settings(max_examples=100, deadline=None)
@given(cases=_archives(), compression=st.sampled_from(Compression), zip64_from=_ZIP64_FROM)
def test_a_reader_that_streams_the_archive_reads_every_member_whole(
    cases: list[Case], compression: Compression, zip64_from: int
) -> None:
    whole = [case for case in cases if case.member.chunks is None and case.member.size <= len(case.content)]
    if not whole:  # stream-unzip wants a central directory first in an archive of no member
        return
    archive = encoded(whole, compression, zip64_from)
    read = [(name.decode(), b"".join(chunks)) for name, _, chunks in stream_unzip([archive])]
    assert read == [(case.member.name, case.content) for case in whole]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=_archives(), compression=st.sampled_from(Compression), zip64_from=_ZIP64_FROM)
def test_unzip_tests_every_archive_clean(
    cases: list[Case], compression: Compression, zip64_from: int, tmp_path: Path
) -> None:
    path = tmp_path / "archive.zip"
    path.write_bytes(encoded(cases, compression, zip64_from))
    result = subprocess.run([UNZIP, "-t", str(path)], capture_output=True, text=True, check=False)
    if not cases:  # unzip's word for an archive of no member (a warning, exit 1)
        assert "zipfile is empty" in result.stdout
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_unzip_restores_times_to_the_second_and_symlinks_as_links(tmp_path: Path) -> None:
    when = datetime(2024, 3, 5, 7, 9, 11, tzinfo=UTC)  # an odd second: MS-DOS times can't hold it
    cases = [
        Case(ArchiveMember("d/", MemberKind.FOLDER, when, 0o755, 0), b""),
        Case(ArchiveMember("d/f.txt", MemberKind.FILE, when, 0o640, 3), b"abc", (b"ab", b"c")),
        Case(ArchiveMember("d/link", MemberKind.SYMLINK, when, 0o777, 5, b"f.txt"), b"f.txt"),
    ]
    (tmp_path / "a.zip").write_bytes(encoded(cases, Compression.STORED))
    subprocess.run([UNZIP, "-q", str(tmp_path / "a.zip"), "-d", str(tmp_path / "out")], check=True)
    assert (tmp_path / "out/d/f.txt").read_bytes() == b"abc"
    assert (tmp_path / "out/d/f.txt").stat().st_mtime == when.timestamp()
    assert stat.S_IMODE((tmp_path / "out/d/f.txt").stat().st_mode) == 0o640
    assert (tmp_path / "out/d/link").is_symlink()
    assert (tmp_path / "out/d/link").readlink() == Path("f.txt")


def test_an_archive_closed_early_closes_its_members_and_the_chunks_being_sent() -> None:
    closed: list[str] = []

    async def chunks() -> AsyncGenerator[bytes, None]:
        try:
            while True:
                yield b"x" * (1 << 20)
        finally:
            closed.append("chunks")

    async def members() -> AsyncGenerator[ArchiveMember, None]:
        try:
            yield ArchiveMember("big", MemberKind.FILE, None, 0o644, 1 << 40, chunks=chunks())
            yield ArchiveMember("never", MemberKind.FILE, None, 0o644, 1, b"n")
        finally:
            closed.append("members")

    async def run() -> None:
        stream = ZipStreamEncoder().encode(members(), Compression.STORED)
        for _ in range(3):
            await anext(stream)
        await stream.aclose()

    asyncio.run(run())
    assert closed == ["chunks", "members"]


@pytest.mark.parametrize("compression", list(Compression))
def test_a_member_of_4_gib_takes_zip64_fields_and_a_smaller_one_none(compression: Compression) -> None:
    from ios_backup_api.adapters.zip.records import DEFLATED, STORED, may_reach_4_gib

    method = DEFLATED if compression is Compression.DEFLATE else STORED
    assert may_reach_4_gib(LIMIT_32, method)
    assert not may_reach_4_gib(LIMIT_32 - (LIMIT_32 >> 10), method)
    assert may_reach_4_gib(LIMIT_32 - 1, STORED) is False
    assert may_reach_4_gib(LIMIT_32 - 1, DEFLATED) is True  # deflate may add a little to what won't shrink
