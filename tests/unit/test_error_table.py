import ios_backup_api.domain.errors as errors
from ios_backup_api.entrypoints.http.errors import STATUS_OF


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_every_domain_error_has_a_status_code() -> None:
    assert _all_subclasses(errors.DomainError) <= set(STATUS_OF)
