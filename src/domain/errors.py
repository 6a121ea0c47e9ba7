"""The domain's own failures; the HTTP layer maps each to one status code."""


class DomainError(Exception):
    """Base of every failure the domain reports to its callers."""


class BackupNotFoundError(DomainError):
    def __init__(self, backup_id: str) -> None:
        super().__init__(f"No backup named {backup_id!r} is known; refresh the catalog if it was just added.")


class BackupUnreadableError(DomainError):
    def __init__(self, backup_id: str, problem: str | None) -> None:
        super().__init__(f"Backup {backup_id!r} can't be opened: {problem or 'it is unreadable.'}")


class CatalogUnavailableError(DomainError):
    """The catalog database can't be reached right now."""


class WrongPassphraseError(DomainError):
    """The passphrase does not unlock the backup's keybag (or none was given for an encrypted backup)."""


class SessionRequiredError(DomainError):
    """No live unlock session: no session token was given, or it is unknown, or it expired."""


class ForeignSessionError(DomainError):
    def __init__(self) -> None:
        super().__init__("This session token belongs to another backup.")


class EntryNotFoundError(DomainError):
    """No regular file with that id, or its content is missing from the backup."""


class InvalidQueryError(DomainError):
    """A query parameter is out of range or malformed."""


class RetryLaterError(DomainError):
    """Refused for now; the same request may succeed after `retry_after_seconds`."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class TooManyAttemptsError(RetryLaterError):
    def __init__(self, attempts: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"{attempts} unlock attempts on this backup since its last success (wrong passphrases, or still "
            f"running); the next may start in {retry_after_seconds} s.",
            retry_after_seconds,
        )


class UnlockBusyError(RetryLaterError):
    """Unlocks of this backup already wait or run, as many as allowed; none has failed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 1)


class TooManySessionsError(RetryLaterError):
    def __init__(self, which: str, limit: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"{which} already {limit} live unlock sessions, the most allowed; lock one or retry later.",
            retry_after_seconds,
        )


class CorruptBackupError(DomainError):
    """The backup's manifest or a payload is damaged; the message says which, in one sentence."""


class ViewNotFoundError(DomainError):
    def __init__(self, domain: str, relative_path: str) -> None:
        super().__init__(f"This backup has no {relative_path} in {domain}: the app is not in it.")


class ViewUnreadableError(DomainError):
    """The app's database is there but can't be read for the view; the message says why in one sentence."""
