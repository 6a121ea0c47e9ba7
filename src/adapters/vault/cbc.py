"""AES-256-CBC as backups use it: zero IV at the start of a file, PKCS#7 padding always present."""

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

BLOCK_SIZE = 16
ZERO_IV = bytes(BLOCK_SIZE)


def decryptor(key: bytes, iv: bytes = ZERO_IV) -> CipherContext:
    return Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()


def padding_length(last_block: bytes | bytearray | memoryview) -> int | None:
    """The PKCS#7 padding at the end of the last plaintext block, or None when it is not valid padding."""
    count = last_block[-1]
    if not 1 <= count <= BLOCK_SIZE or count > len(last_block):
        return None
    return count if all(byte == count for byte in last_block[-count:]) else None


def plaintext_length(key: bytes, ciphertext_size: int, tail: bytes) -> int | None:
    """The true length of a padded ciphertext from its last block alone; `tail` is the last 32 bytes
    (the previous block is the last one's IV), or the only 16. None when the padding is not valid."""
    iv, last = (tail[:BLOCK_SIZE], tail[BLOCK_SIZE:]) if len(tail) == 2 * BLOCK_SIZE else (ZERO_IV, tail)
    context = decryptor(key, iv)
    padding = padding_length(context.update(last) + context.finalize())
    return None if padding is None else ciphertext_size - padding
