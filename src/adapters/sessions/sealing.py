"""The session's key sealer: HKDF-SHA256 of the token, then AES-256-GCM."""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ios_backup_api.domain.errors import SessionRequiredError

_VERSION = b"\x01"
_NONCE_BYTES = 12
_INFO = b"ios-backup-api session key seal v1"


class HkdfAesGcmKeySealer:
    """`seal` = version ‖ nonce ‖ AES-GCM(HKDF(token), key). The token itself is never stored, only a hash of
    it, and HKDF with its own `info` is a different function of the token than that hash."""

    def seal(self, key: bytes, token: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + AESGCM(_sealing_key(token)).encrypt(nonce, key, _VERSION)

    def unseal(self, sealed: bytes, token: str) -> bytes:
        if sealed[:1] != _VERSION or len(sealed) < 1 + _NONCE_BYTES + 16:
            raise SessionRequiredError("The session's stored key is unreadable; unlock the backup again.")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return AESGCM(_sealing_key(token)).decrypt(nonce, ciphertext, _VERSION)
        except InvalidTag:
            raise SessionRequiredError("The session's stored key does not open with this token.") from None


def _sealing_key(token: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(token.encode())
