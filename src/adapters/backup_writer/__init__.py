"""Writes synthetic iPhone/iPad backups (iOS 10.2+ layout) for the demo, the benchmarks and the tests."""
