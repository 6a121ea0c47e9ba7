class BackupFolderError(Exception):
    """A backup folder's files are missing or malformed; the message is one sentence for the user.

    Raised only inside the adapters: the library turns it into an `unreadable` summary, the vault into the
    domain's `CorruptBackupError`.
    """
