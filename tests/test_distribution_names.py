"""Our three top-level packages must not collide with an installed distribution of the same name."""

from importlib.metadata import distributions, packages_distributions

OURS = {"domain", "adapters", "entrypoints"}


def test_no_installed_distribution_claims_our_package_names() -> None:
    claimed = {name: dists for name, dists in packages_distributions().items() if name in OURS}
    assert all(dists == ["ios-backup-api"] for dists in claimed.values()), claimed
    names = {(dist.metadata["Name"] or "").lower() for dist in distributions()}
    assert not names & OURS
