"""The key hierarchy: passphrase -> KEK -> class keys (in the keybag) -> manifest key and file keys."""

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from ios_backup_api.adapters.backup_writer.crypto import wrap_key
from ios_backup_api.adapters.backup_writer.keybag import KeybagValue, encode_tlv
from ios_backup_api.adapters.backup_writer.randomness import RandomSource

PROTECTION_CLASSES = range(1, 12)
MANIFEST_PROTECTION_CLASS = 4  # what real backups use for Manifest.db
_KEYBAG_VERSION = 5  # iOS 10.2 and later
_LEGACY_KEYBAG_VERSION = 3  # before: no DPWT, DPIC nor DPSL
_KEYBAG_TYPE_BACKUP = 1
_WRAP_PASSCODE = 2
_WRAP_DEVICE_AND_PASSCODE = 3
_DEVICE_BOUND_CLASSES = frozenset({5, 9, 10, 11})
_KEY_TYPE_AES = 0
_KEY_SIZE = 32


def derive_key_encryption_key(
    passphrase: str | bytes, *, dpsl: bytes, dpic_iterations: int, salt: bytes, iter_iterations: int
) -> bytes:
    """PBKDF2-HMAC-SHA256 over the UTF-8 passphrase (DPSL, DPIC), then PBKDF2-HMAC-SHA1 (SALT, ITER)."""
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    first = PBKDF2HMAC(hashes.SHA256(), _KEY_SIZE, dpsl, dpic_iterations).derive(secret)
    return derive_legacy_key_encryption_key(first, salt=salt, iter_iterations=iter_iterations)


def derive_legacy_key_encryption_key(passphrase: str | bytes, *, salt: bytes, iter_iterations: int) -> bytes:
    """The keybags of iOS 10.1 and older: PBKDF2-HMAC-SHA1 over the UTF-8 passphrase (SALT, ITER) alone."""
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    return PBKDF2HMAC(hashes.SHA1(), _KEY_SIZE, salt, iter_iterations).derive(secret)  # noqa: S303


@dataclass(frozen=True, slots=True)
class BackupKeys:
    key_encryption_key: bytes
    class_keys: Mapping[int, bytes]
    keybag: bytes
    """The BackupKeyBag TLV of Manifest.plist."""
    manifest_key: bytes
    manifest_key_record: bytes
    """The ManifestKey of Manifest.plist: u32 LE protection class + wrapped manifest key."""

    def wrapped_file_key(self, protection_class: int, file_key: bytes) -> bytes:
        """The NS.data of an MBFile's EncryptionKey: u32 LE protection class + the wrapped file key."""
        return struct.pack("<L", protection_class) + wrap_key(self.class_keys[protection_class], file_key)


def create_backup_keys(
    passphrase: str | None,
    *,
    dpic_iterations: int,
    iter_iterations: int,
    random: RandomSource,
    legacy: bool = False,
) -> BackupKeys:
    """Fresh keys. Without a passphrase (an unencrypted backup) the keybag is wrapped with a random key,
    which no passphrase opens. A `legacy` keybag (iOS 10.1 and older) has no DPWT, DPIC nor DPSL: its key
    is derived by the SHA-1 round alone."""
    keybag_uuid = random.randbytes(16)
    hmck = random.randbytes(40)
    salt = random.randbytes(20)
    dpsl = random.randbytes(20)
    if passphrase is None:
        kek = random.randbytes(_KEY_SIZE)
    elif legacy:
        kek = derive_legacy_key_encryption_key(passphrase, salt=salt, iter_iterations=iter_iterations)
    else:
        kek = derive_key_encryption_key(
            passphrase, dpsl=dpsl, dpic_iterations=dpic_iterations, salt=salt, iter_iterations=iter_iterations
        )
    class_keys = {protection_class: random.randbytes(_KEY_SIZE) for protection_class in PROTECTION_CLASSES}
    items: list[tuple[bytes, KeybagValue]] = [
        (b"VERS", _LEGACY_KEYBAG_VERSION if legacy else _KEYBAG_VERSION),
        (b"TYPE", _KEYBAG_TYPE_BACKUP),
        (b"UUID", keybag_uuid),
        (b"HMCK", hmck),
        (b"WRAP", 0),
        (b"SALT", salt),
        (b"ITER", iter_iterations),
    ]
    if not legacy:
        items += [(b"DPWT", 1), (b"DPIC", dpic_iterations), (b"DPSL", dpsl)]
    for protection_class, class_key in class_keys.items():
        wrap = _WRAP_DEVICE_AND_PASSCODE if protection_class in _DEVICE_BOUND_CLASSES else _WRAP_PASSCODE
        items += [
            (b"UUID", random.randbytes(16)),
            (b"CLAS", protection_class),
            (b"WRAP", wrap),
            (b"KTYP", _KEY_TYPE_AES),
            (b"WPKY", wrap_key(kek, class_key)),
        ]
    manifest_key = random.randbytes(_KEY_SIZE)
    manifest_key_record = struct.pack("<L", MANIFEST_PROTECTION_CLASS) + wrap_key(
        class_keys[MANIFEST_PROTECTION_CLASS], manifest_key
    )
    return BackupKeys(kek, class_keys, encode_tlv(items), manifest_key, manifest_key_record)
