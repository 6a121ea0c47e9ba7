"""`extract` and `decrypt`: a backup's files written into a folder of the user's, without a server."""
