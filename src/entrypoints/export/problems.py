"""What stops a command, in one sentence, with its exit status."""


class CommandError(Exception):
    """Stops the command before anything is written (or leaves what was written resumable)."""

    def __init__(self, sentence: str, status: int = 1) -> None:
        super().__init__(sentence)
        self.status = status


class RefusedDestinationError(CommandError):
    def __init__(self, sentence: str) -> None:
        super().__init__(sentence, status=2)
