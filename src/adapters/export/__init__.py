"""Writing what a backup holds into a folder of the user's: the real tree, or a decrypted copy."""
