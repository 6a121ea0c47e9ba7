"""The backup keybag, unlocked from a passphrase (PBKDF2, ≈1 s of CPU) or from a key derived earlier.

Keybags of iOS 10.2 and later derive the key in two rounds (PBKDF2-SHA256 with DPSL and DPIC, then
PBKDF2-SHA1 with SALT and ITER); older ones have no DPSL nor DPIC and only the second round, over the
passphrase itself.
"""

import hashlib
import struct
from typing import Any

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap
from iphone_backup_decrypt.exceptions import UnsafeBackupError
from iphone_backup_decrypt.utils import BackupKeyBag

from ios_backup_api.adapters.vault.ended import session_ended
from ios_backup_api.domain.errors import CorruptBackupError, WrongPassphraseError

PASSPHRASE_KEY_SIZE = 32
_WRAPPED_KEY_SIZE = 40
_KEY_RECORD_SIZE = 4 + _WRAPPED_KEY_SIZE
_MAX_ITER_ITERATIONS = 1_000_000  # iphone_backup_decrypt's bound for the second round too


class UnlockedKeybag:
    """The class keys of an unlocked keybag. `forget()` drops them; the keybag is useless afterwards."""

    def __init__(self, keybag: Any) -> None:
        self._keybag: Any = keybag

    @property
    def passphrase_key(self) -> bytes | None:
        return None if self._keybag is None else bytes(self._keybag.passphrase_key)

    def unwrap(self, protection_class: int, wrapped_key: bytes) -> bytes:
        """A file's (or Manifest.db's) key. Raises `CorruptBackupError` when it does not unwrap.

        RFC 3394 by `cryptography` (OpenSSL), not the library's `unwrap_key_for_class` (pycryptodome's key
        wrap, written in Python): 0.3 ms a key against 1.4 µs, which an extract of 10,000 files pays per
        file."""
        class_key = self._unlocked().classes_keys.get(protection_class)
        try:
            if class_key is None or len(wrapped_key) != _WRAPPED_KEY_SIZE:
                raise InvalidUnwrap
            return aes_key_unwrap(class_key, wrapped_key)
        except (InvalidUnwrap, ValueError) as error:
            raise CorruptBackupError(
                f"A key of protection class {protection_class} does not unwrap."
            ) from error

    def unwrap_record(self, record: bytes, fallback_class: int | None = None) -> bytes:
        """Unwraps `u32 LE protection class + wrapped key` (ManifestKey, an MBFile's EncryptionKey).
        `fallback_class` (the record's ProtectionClass) is used when the prefix names no key of the keybag."""
        if len(record) != _KEY_RECORD_SIZE:
            raise CorruptBackupError(f"A wrapped key has {len(record)} bytes instead of {_KEY_RECORD_SIZE}.")
        (protection_class,) = struct.unpack("<L", record[:4])
        if protection_class not in self._unlocked().classes_keys and fallback_class is not None:
            protection_class = fallback_class
        return self.unwrap(protection_class, record[4:])

    def _unlocked(self) -> Any:
        if self._keybag is None:
            raise session_ended()  # its handle was closed while a content was being opened
        return self._keybag

    def forget(self) -> None:
        if self._keybag is not None:
            self._keybag.classes_keys.clear()
            self._keybag.passphrase_key = None
            self._keybag.unlocked = False
            self._keybag = None


def unlock_with_passphrase(keybag_bytes: bytes, passphrase: str) -> UnlockedKeybag:
    """Slow: run it in a worker thread. The passphrase is UTF-8 encoded, as Finder and iTunes do."""
    keybag = _parse(keybag_bytes)
    try:
        secret = passphrase.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no backup's passphrase
        raise WrongPassphraseError("The passphrase does not unlock this backup.") from None
    try:
        if b"DPSL" in keybag.attrs or b"DPIC" in keybag.attrs:
            unlocked = keybag.unlock_with_passphrase(secret)
        else:
            unlocked = keybag.unlock_with_key(_single_round_key(keybag.attrs, secret))
    except UnsafeBackupError as error:
        raise CorruptBackupError(
            "The backup's keybag asks for an implausible number of key-derivation iterations."
        ) from error
    except (KeyError, TypeError, ValueError) as error:
        raise CorruptBackupError("The backup's keybag lacks valid key-derivation parameters.") from error
    return _checked(keybag, unlocked)


def _single_round_key(attrs: dict[bytes, Any], secret: bytes) -> bytes:
    """The key of a keybag without DPSL/DPIC (iOS 10.1 and older): PBKDF2-SHA1(passphrase, SALT, ITER)."""
    salt, iterations = attrs[b"SALT"], attrs[b"ITER"]
    if not isinstance(salt, bytes) or not salt:
        raise ValueError("no SALT")
    if not isinstance(iterations, int) or not 1 <= iterations <= _MAX_ITER_ITERATIONS:
        raise UnsafeBackupError(f"ITER {iterations!r}")
    return hashlib.pbkdf2_hmac("sha1", secret, salt, iterations, PASSPHRASE_KEY_SIZE)


def unlock_with_key(keybag_bytes: bytes, passphrase_key: bytes) -> UnlockedKeybag:
    """Fast: no key derivation. A key of the wrong size is a wrong key."""
    keybag = _parse(keybag_bytes)
    if len(passphrase_key) != PASSPHRASE_KEY_SIZE:
        raise WrongPassphraseError("The key does not unlock this backup.")
    return _checked(keybag, keybag.unlock_with_key(bytes(passphrase_key)))


def _parse(keybag_bytes: bytes) -> Any:
    try:
        return BackupKeyBag(keybag_bytes)
    except Exception as error:  # the parser raises KeyError, ValueError or struct.error on malformed TLV
        raise CorruptBackupError(
            "The backup's keybag (BackupKeyBag in Manifest.plist) is malformed."
        ) from error


def _checked(keybag: Any, unlocked: bool) -> UnlockedKeybag:
    if not unlocked:
        raise WrongPassphraseError("The passphrase does not unlock this backup.")
    if not keybag.classes_keys:
        # Without a passphrase-wrapped class key any passphrase would "unlock" it.
        raise CorruptBackupError("The backup's keybag holds no passphrase-protected class keys.")
    return UnlockedKeybag(keybag)
