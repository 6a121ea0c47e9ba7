from typing import Protocol


class TokenSource(Protocol):
    def new_token(self) -> str:
        """A fresh unguessable token of at least 256 bits, URL-safe."""
        ...
