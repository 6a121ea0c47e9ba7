INFO_PLIST = "Info.plist"
MANIFEST_PLIST = "Manifest.plist"
MANIFEST_DB = "Manifest.db"
MANIFEST_MBDB = "Manifest.mbdb"
STATUS_PLIST = "Status.plist"
MARKER_FILES = (INFO_PLIST, MANIFEST_PLIST, MANIFEST_DB, STATUS_PLIST)
"""A folder holding any of these is taken for a backup (a damaged one is listed as unreadable)."""
