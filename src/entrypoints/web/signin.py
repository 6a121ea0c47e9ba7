"""A browser's sign-in: the API token typed once, then a signed cookie that never holds the token.

The cookie is `<issued>.<nonce>.<mac>`, the MAC keyed by a key derived from the API token, so every
instance serving the same token accepts it (no shared state) and a new token ends every sign-in. The
per-sign-in CSRF token is a second MAC of the nonce: a page can embed it in its forms, and nothing but the
holder of the cookie and the server can compute it.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

SIGN_IN_SECONDS = 12 * 3600
"""How long a sign-in lasts; the person types the token again after that."""


class BrowserSignIn:
    def __init__(
        self, api_token: str, max_age_seconds: int = SIGN_IN_SECONDS, now: Callable[[], float] = time.time
    ) -> None:
        self._token = api_token.encode()
        self._key = hmac.new(self._token, b"ios-backup-api browser sign-in v1", hashlib.sha256).digest()
        self.max_age_seconds = max_age_seconds
        self._now = now

    def token_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._token)

    def new_cookie(self) -> str:
        issued = str(int(self._now()))
        nonce = secrets.token_urlsafe(24)
        return f"{issued}.{nonce}.{self._mac('cookie', issued, nonce)}"

    def nonce_of(self, cookie: str | None) -> str | None:
        """The sign-in's nonce when `cookie` is one this service issued and still live, else None."""
        if cookie is None or cookie.count(".") != 2:
            return None
        issued, nonce, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac("cookie", issued, nonce)) or not issued.isdigit():
            return None
        age = self._now() - int(issued)
        return nonce if 0 <= age <= self.max_age_seconds else None

    def csrf_token(self, nonce: str) -> str:
        return self._mac("csrf", nonce)

    def csrf_matches(self, nonce: str, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.csrf_token(nonce).encode())

    def _mac(self, purpose: str, *parts: str) -> str:
        message = "\n".join((purpose, *parts)).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
