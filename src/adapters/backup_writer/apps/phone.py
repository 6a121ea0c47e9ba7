"""The app databases of a phone of one iOS version, each with the files its rows point at, as one list of
entries: what the demo and the typed views' tests put in a backup."""

from collections.abc import Sequence
from dataclasses import replace
from functools import partial

from ios_backup_api.adapters.backup_writer.apps.calls import calls_entries
from ios_backup_api.adapters.backup_writer.apps.contacts import contacts_entries
from ios_backup_api.adapters.backup_writer.apps.messages import messages_entries
from ios_backup_api.adapters.backup_writer.apps.notes import notes_entries
from ios_backup_api.adapters.backup_writer.apps.photos import photos_entries
from ios_backup_api.adapters.backup_writer.apps.whatsapp import whatsapp_entries
from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticEntry


def app_entries(ios: int, *, wal: bool, seed: int = 0, messages: int | None = None) -> list[SyntheticEntry]:
    """Every app of the typed views; `wal` leaves each database's newest rows in its `-wal`; `messages`
    makes sms.db hold that many messages (a benchmark's phone) instead of a few dozen of every kind."""
    makers = (
        partial(messages_entries, scale=messages),
        whatsapp_entries,
        contacts_entries,
        calls_entries,
        photos_entries,
        notes_entries,
    )
    return _distinct([entry for make in makers for entry in make(ios, wal=wal, seed=seed)])


def with_apps(spec: SyntheticBackup, ios: int, *, wal: bool, seed: int = 0) -> SyntheticBackup:
    """`spec` with the apps' entries; where both name one path (a folder, a placeholder file), the apps'."""
    apps = app_entries(ios, wal=wal, seed=seed)
    taken = {(entry.domain, entry.relative_path) for entry in apps}
    kept = [entry for entry in spec.entries if (entry.domain, entry.relative_path) not in taken]
    return replace(spec, entries=(*kept, *apps))


def _distinct(entries: Sequence[SyntheticEntry]) -> list[SyntheticEntry]:
    """The first entry of each path: the apps share folders (`HomeDomain` `Library`)."""
    seen: dict[tuple[str, str], SyntheticEntry] = {}
    for entry in entries:
        seen.setdefault((entry.domain, entry.relative_path), entry)
    return list(seen.values())
