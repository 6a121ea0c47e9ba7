"""A listing of every match, a run at a time (`OpenBackup.run`), whichever way the manifest is held: once a
paged one's records are decoded, SQLite writes each run's JSON lines (adapters/vault/manifest_lines), and
they are the JSON of the entries the same page holds; a run it can't write as the Python path does (a name
that is not UTF-8, a line past its bound) is built as a page is, and reads the same (one that weighs more
than a page may is refused as the page is: see test_vault_manifest)."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from ios_backup_api.adapters.vault.manifest_lines import MAX_LINE_BYTES
from ios_backup_api.domain.manifest import EntryKind, FileQuery
from tests.support import vault_cases
from tests.support.entry_json import entries_json, run_json
from tests.support.vault_cases import add_rows, opened_completed, write_small

QUERIES = {
    "every entry": {},
    "a domain": {"domain": "HomeDomain"},
    "a kind (positions apart)": {"kind": EntryKind.FILE},
    "path_like": {"path_like": "%a%"},
}


@pytest.fixture(params=["ram-file", "paged"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(vault_cases, "DEFAULT_LOADER", [request.param])
    return str(request.param)


@pytest.mark.parametrize("filters", list(QUERIES.values()), ids=list(QUERIES))
async def test_every_run_holds_the_json_of_its_pages_entries(
    tmp_path: Path, loader: str, filters: dict[str, object]
) -> None:
    write_small(tmp_path, encrypted=False)
    handle = await opened_completed(tmp_path)
    total = (await handle.files(FileQuery(**filters))).total  # type: ignore[arg-type]
    assert total > 2
    for offset in range(0, total + 2, 2):
        query = FileQuery(**filters, limit=2, offset=offset)  # type: ignore[arg-type]
        run, page = await handle.run(query), await handle.files(query)
        assert (run_json(run), run.total) == (entries_json(page.items), total)
        # Read page by page, a run of decoded records is SQLite's to write; held in memory, Python's.
        assert (run.lines is not None) == (loader == "paged" and bool(page.items))
    await handle.close()


async def test_a_name_that_is_not_utf8_is_shown_with_u_fffd_as_on_a_page(tmp_path: Path, loader: str) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.execute(
            "INSERT INTO Files VALUES (?, 'ZDomain', CAST(? AS TEXT), 1, ?)",
            ("f" * 40, b"Library/caf\xe9 \xed\xa0\x80", b""),  # Latin-1, and a UTF-16 surrogate's bytes
        )
        connection.commit()
    handle = await opened_completed(tmp_path)
    query = FileQuery(domain="ZDomain")
    run, page = await handle.run(query), await handle.files(query)
    assert run.lines is None, "built as a page: SQLite would write the name's bytes as they are"
    assert run_json(run) == entries_json(page.items)
    assert run_json(run)[0]["relative_path"].startswith("Library/caf\ufffd ")
    await handle.close()


async def test_a_line_past_its_bound_makes_its_run_a_page(tmp_path: Path, loader: str) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    # A name within a phone's bounds (4 KiB) that JSON writes six times as long: \u0001 for each.
    longest = "Library/" + "\x01" * (MAX_LINE_BYTES // 6 + 1)
    add_rows(folder, [("ZDomain", "Library/short", b""), ("ZDomain", longest, b"")])
    handle = await opened_completed(tmp_path)
    shorter = await handle.run(FileQuery(domain="ZDomain", limit=1, offset=1))  # sorted after it
    both = await handle.run(FileQuery(domain="ZDomain", limit=2))
    assert (shorter.lines is not None, both.lines is None) == (loader == "paged", True)
    assert run_json(both) == entries_json((await handle.files(FileQuery(domain="ZDomain"))).items)
    assert [entry["relative_path"] for entry in run_json(both)] == [longest, "Library/short"]
    await handle.close()
