"""The two ciphers of a backup: RFC 3394 key wrap, and AES-256-CBC with a zero IV and PKCS#7 padding."""

from collections.abc import Iterable, Iterator

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

_BLOCK_SIZE = 16
_ZERO_IV = bytes(_BLOCK_SIZE)


def wrap_key(wrapping_key: bytes, key: bytes) -> bytes:
    return aes_key_wrap(wrapping_key, key)


def _padding(length: int) -> bytes:
    count = _BLOCK_SIZE - length % _BLOCK_SIZE
    return bytes((count,)) * count


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV)).encryptor()
    return encryptor.update(plaintext + _padding(len(plaintext))) + encryptor.finalize()


def encrypt_chunks(key: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Encrypts a stream chunk by chunk; the padding (a whole block when the length is aligned) ends it."""
    encryptor = Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV)).encryptor()
    length = 0
    for chunk in chunks:
        length += len(chunk)
        yield encryptor.update(chunk)
    yield encryptor.update(_padding(length)) + encryptor.finalize()
