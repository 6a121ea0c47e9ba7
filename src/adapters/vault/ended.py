from ios_backup_api.domain.errors import SessionRequiredError


def session_ended() -> SessionRequiredError:
    """What a closed handle raises: a request racing a lock or an expiry gets the 401 of an ended session."""
    return SessionRequiredError("This unlock session has ended; unlock the backup again.")
