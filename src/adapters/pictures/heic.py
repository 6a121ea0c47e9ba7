"""HEIC pictures as JPEG by libheif's decoder (pi-heif) and Pillow, in a worker thread."""

import asyncio
import io

from ios_backup_api.domain.errors import EntryNotFoundError
from ios_backup_api.domain.manifest import ByteRange, FileId
from ios_backup_api.domain.ports.vault import OpenBackup


class PiHeifPictureConversion:
    """`max_bytes` bounds the HEIC read, `max_pixels` the picture decoded, `longest_side` the JPEG made."""

    def __init__(
        self, max_bytes: int = 64 << 20, max_pixels: int = 64_000_000, longest_side: int = 2048
    ) -> None:
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels
        self._longest_side = longest_side
        self._limit = asyncio.Semaphore(2)  # decoding is CPU work: two at once at most

    async def as_jpeg(self, opened: OpenBackup, file_id: FileId) -> bytes:
        content = await opened.content(file_id)
        if content.length > self._max_bytes:
            raise EntryNotFoundError(
                f"This picture is {content.length:,} bytes, more than the {self._max_bytes:,} a page"
                " shows; download it."
            )
        data = bytearray()
        async for chunk in content.read(ByteRange(0, content.length)):
            data += chunk
        async with self._limit:
            return await asyncio.to_thread(self._converted, bytes(data))

    def _converted(self, data: bytes) -> bytes:
        # Loaded with the first HEIC shown, not at start: libheif and Pillow cost a server that shows none
        # tens of MiB of memory (and the manifest's memory bounds are tested against the server's peak).
        import pi_heif
        from PIL import Image

        if not pi_heif.is_supported(data):
            raise EntryNotFoundError("This file is no HEIC picture; download it.")
        try:
            heif = pi_heif.open_heif(data, convert_hdr_to_8bit=True)
            width, height = heif.size
            if width * height > self._max_pixels:
                raise EntryNotFoundError(f"This picture is {width}×{height} pixels, more than are shown.")
            picture = heif.to_pillow().convert("RGB")
        except (ValueError, RuntimeError, OSError) as error:
            raise EntryNotFoundError(f"This HEIC picture can't be decoded ({error}).") from None
        picture.thumbnail((self._longest_side, self._longest_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=85)
        return out.getvalue()
