from collections.abc import Collection

from ios_backup_api.domain.ports.sessions import KeySealer, SessionRecord
from ios_backup_api.domain.ports.vault import BackupVault, OpenBackup
from ios_backup_api.domain.ports.views import AppDatabases


class OpenHandles:
    """This instance's handles on unlocked backups, by session token hash.

    A session that another instance (or an earlier run) created is reopened from its record with the
    request's token, without key derivation. Forgetting a handle closes it, which drops its keys; forgetting
    the last of a backup's drops the app databases its views read.
    """

    def __init__(self, vault: BackupVault, sealer: KeySealer, databases: AppDatabases) -> None:
        self._vault = vault
        self._sealer = sealer
        self._databases = databases
        self._held: dict[str, tuple[str, OpenBackup]] = {}

    def add(self, record: SessionRecord, opened: OpenBackup) -> None:
        self._held[record.token_hash] = (record.backup_id, opened)

    async def of(self, record: SessionRecord, token: str) -> OpenBackup:
        """The handle of a live session. Raises `WrongPassphraseError` when its key no longer opens the
        backup (rewritten under another passphrase since) and `SessionRequiredError` when the token does
        not open the sealed key."""
        held = self._held.get(record.token_hash)
        if held is not None:
            return held[1]
        key = None if record.sealed_key is None else self._sealer.unseal(record.sealed_key, token)
        opened = await self._vault.open_with_key(record.backup_id, key)
        racing = self._held.get(record.token_hash)
        if racing is not None:  # another request of this session reopened it meanwhile
            await opened.close()
            return racing[1]
        self.add(record, opened)
        return opened

    def held(self) -> list[str]:
        """The token hashes this instance holds a handle for."""
        return list(self._held)

    async def forget(self, token_hash: str) -> None:
        held = self._held.pop(token_hash, None)
        if held is None:
            return
        owner, opened = held
        await opened.close()
        if all(other != owner for other, _ in self._held.values()):
            await self._databases.forget(owner)

    async def forget_backups(self, backup_ids: Collection[str]) -> None:
        wanted = set(backup_ids)
        for hash_, (owner, _) in list(self._held.items()):
            if owner in wanted:
                await self.forget(hash_)

    async def forget_all(self) -> None:
        for hash_ in list(self._held):
            await self.forget(hash_)
