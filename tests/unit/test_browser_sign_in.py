"""The browser's sign-in cookie and CSRF token: issued for one API token, for a while, unforgeable."""

from ios_backup_api.entrypoints.web.signin import BrowserSignIn

TOKEN = "the-api-token-of-this-service"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_cookie_lasts_its_max_age_and_no_longer() -> None:
    clock = Clock()
    signin = BrowserSignIn(TOKEN, max_age_seconds=60, now=clock)
    cookie = signin.new_cookie()
    nonce = signin.nonce_of(cookie)
    assert nonce is not None
    clock.now += 60
    assert signin.nonce_of(cookie) == nonce
    clock.now += 1
    assert signin.nonce_of(cookie) is None


def test_another_token_accepts_neither_the_cookie_nor_the_csrf_token() -> None:
    ours, theirs = BrowserSignIn(TOKEN), BrowserSignIn(TOKEN + "!")
    cookie = ours.new_cookie()
    nonce = ours.nonce_of(cookie)
    assert nonce is not None
    assert theirs.nonce_of(cookie) is None
    assert ours.csrf_matches(nonce, ours.csrf_token(nonce))
    assert not theirs.csrf_matches(nonce, ours.csrf_token(nonce))
    assert not ours.csrf_matches(nonce + "x", ours.csrf_token(nonce))


def test_the_cookie_holds_nothing_of_the_token() -> None:
    signin = BrowserSignIn(TOKEN)
    cookie = signin.new_cookie()
    assert TOKEN not in cookie
    assert signin.token_matches(TOKEN)
    assert not signin.token_matches(TOKEN[:-1])
    assert signin.new_cookie() != cookie, "each sign-in has its own nonce"
