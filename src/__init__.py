"""ios-backup-api: a REST API over the iPhone and iPad backups that Finder and iTunes write."""
