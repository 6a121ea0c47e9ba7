"""The one owner of the backup-folder format: which files make a backup, and what its plists say."""
