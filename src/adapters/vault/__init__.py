"""The crypto of iOS backups behind the BackupVault port: keybag, in-memory Manifest.db, streamed payloads."""
