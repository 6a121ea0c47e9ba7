"""AES-256-CBC decryption of a whole buffer in place, in one or two threads."""

import threading

from ios_backup_api.adapters.vault.cbc import BLOCK_SIZE, ZERO_IV, decryptor

CHUNK_SIZE = 1 << 20


def decrypt_in_place(view: memoryview, size: int, key: bytes, parallel_from: int) -> None:
    """Decrypts `view[:size]` (whole blocks) in place; `view` has one spare block beyond it.

    CBC decrypts each block with the ciphertext block before it as IV, so from `parallel_from` bytes on the
    two halves are decrypted at once: the second starts from the last ciphertext block of the first, copied
    before it changes."""
    middle = (size // 2) // BLOCK_SIZE * BLOCK_SIZE if size >= parallel_from else 0
    if not middle:
        _decrypt_span(view, 0, size, key, ZERO_IV)
        return
    iv = bytes(view[middle - BLOCK_SIZE : middle])
    failures: list[BaseException] = []

    def first_half() -> None:
        try:
            _decrypt_span(view, 0, middle, key, ZERO_IV)
        except BaseException as error:
            failures.append(error)

    helper = threading.Thread(target=first_half, name="manifest-decrypt")
    helper.start()
    try:
        _decrypt_span(view, middle, size, key, iv)
    finally:
        helper.join()
    if failures:
        raise failures[0]


def _decrypt_span(view: memoryview, start: int, stop: int, key: bytes, iv: bytes) -> None:
    # Each chunk is copied aside and decrypted back into its place: the buffer is never read and written
    # through two views at once, and the plaintext costs no second buffer.
    context = decryptor(key, iv)
    with memoryview(bytearray(CHUNK_SIZE)) as aside:
        for position in range(start, stop, CHUNK_SIZE):
            count = min(CHUNK_SIZE, stop - position)
            aside[:count] = view[position : position + count]
            written = context.update_into(aside[:count], view[position : position + count + BLOCK_SIZE])
            if written != count:  # CBC without padding writes what it reads: nothing spills past the span
                raise RuntimeError(f"AES-CBC wrote {written} bytes for {count}")
    context.finalize()
