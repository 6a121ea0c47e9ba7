from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class TokenSource(Protocol):
    def new_token(self) -> str:
        """A fresh unguessable token of at least 256 bits, URL-safe."""
        ...
