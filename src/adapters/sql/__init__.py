"""The SQL plumbing the catalog and the session store share: engines, driver errors, tables, migrations."""
