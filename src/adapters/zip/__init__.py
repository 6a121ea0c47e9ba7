"""ZIP archives behind the ArchiveEncoder port, streamed as they are written."""
