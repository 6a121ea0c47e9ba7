"""One in-memory manifest per backup version, shared by every open handle of it, dropped with the last."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase

ManifestVersion = tuple[str, str]
"""(backup id, fingerprint of its Manifest.db): a rewritten backup is a new version."""


@dataclass(slots=True)
class _Shared:
    manifest: ManifestDatabase
    handles: int = 0


class SharedManifests:
    def __init__(self) -> None:
        self._shared: dict[ManifestVersion, _Shared] = {}
        # One lock per backup id, so two handles opened at once load a manifest once.
        self._loading: dict[str, asyncio.Lock] = {}

    async def acquire(
        self, version: ManifestVersion, load: Callable[[], Awaitable[ManifestDatabase]]
    ) -> ManifestDatabase:
        """The shared manifest of `version`, loaded by `load` (off the event loop) when no handle holds it."""
        async with self._loading.setdefault(version[0], asyncio.Lock()):
            shared = self._shared.get(version)
            if shared is None:
                shared = self._shared[version] = _Shared(await load())
            shared.handles += 1
            return shared.manifest

    async def release(self, version: ManifestVersion) -> None:
        shared = self._shared.get(version)
        if shared is None:
            return
        shared.handles -= 1
        if shared.handles == 0:
            del self._shared[version]
            await asyncio.to_thread(shared.manifest.close)

    def holds(self, backup_id: str) -> bool:
        """Whether a version of this backup's manifest is loaded."""
        return any(version[0] == backup_id for version in self._shared)
