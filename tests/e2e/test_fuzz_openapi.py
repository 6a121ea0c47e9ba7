"""Schemathesis against the app's own OpenAPI, in process, with the API token and a live session: every
operation, valid and invalid inputs, a fixed number of examples each. No 5xx; every status, content type
and body is the one the schema declares; every protected route refuses a request without the token."""

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup
from ios_backup_api.entrypoints.app import create_app
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import ENCRYPTED_ID, PLAIN_ID, regular_files

EXAMPLES_PER_OPERATION_AND_MODE = 30  # 20 operations: about 1,100 requests
SESSION = "X-Backup-Session"
COMMON_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CHECKS = {
    GenerationMode.POSITIVE: [*COMMON_CHECKS, ignored_auth],
    GenerationMode.NEGATIVE: COMMON_CHECKS,
}


class Fuzzer:
    def __init__(self, schema: Any, file_ids: list[str]) -> None:
        self.schema = schema
        self.file_ids = file_ids
        self.requests = 0
        self.nothing_to_negate: list[str] = []
        self.statuses: Counter[int] = Counter()

    def new_session(self) -> str:
        unlock = self.schema["/backups/{backup_id}/unlock"]["POST"]
        response = unlock.Case(path_parameters={"backup_id": PLAIN_ID}, body={}).call(headers=self.token)
        assert response.status_code == 200, response.text
        token: str = response.json()["session_token"]
        return token

    @property
    def token(self) -> dict[str, str]:
        return {"X-API-Token": API_TOKEN}

    def cases(self, operation: Any, mode: GenerationMode) -> st.SearchStrategy[Case]:
        """Generated cases, and more of them aimed at the sample backups and their real files (a random
        backup id only ever meets a 404), with Range headers from the header's own grammar."""
        parameters = {parameter.name for parameter in operation.path_parameters}
        generated = operation.as_strategy(generation_mode=mode)
        if "backup_id" not in parameters:
            return generated  # type: ignore[no-any-return]
        backup_ids = st.sampled_from([PLAIN_ID, PLAIN_ID, ENCRYPTED_ID])
        if "file_id" in parameters:
            aimed = st.tuples(backup_ids, st.sampled_from(self.file_ids), _range_headers()).flatmap(
                lambda chosen: operation.as_strategy(
                    generation_mode=mode,
                    path_parameters={"backup_id": chosen[0], "file_id": chosen[1]},
                    headers={"Range": chosen[2]},
                )
            )
        else:
            aimed = backup_ids.flatmap(
                lambda backup_id: operation.as_strategy(
                    generation_mode=mode, path_parameters={"backup_id": backup_id}
                )
            )
        return st.one_of(generated, aimed, aimed, aimed)  # type: ignore[no-any-return]

    def run(self, operation: Any, mode: GenerationMode, live: str) -> None:
        sessions = {"live": live}

        @given(case=self.cases(operation, mode), with_session=st.sampled_from([True, True, True, False]))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Case, with_session: bool) -> None:
            if with_session and any(p.name == SESSION for p in operation.headers):
                if operation.path.endswith("/lock"):
                    sessions["live"] = self.new_session()  # lock ends it: the other operations keep theirs
                case.headers = {**(case.headers or {}), SESSION: sessions["live"]}
            # Negative cases would mostly just drop the token (a 401); `ignored_auth` tests that on its own.
            case.headers = {**(case.headers or {}), **self.token}
            self.requests += 1
            response = case.call_and_validate(headers=self.token, checks=CHECKS[mode])
            self.statuses[response.status_code] += 1

        try:
            fuzz()
        except Unsatisfiable:
            # Every input of an operation without parameters, or with only free-form strings, is valid.
            if mode is not GenerationMode.NEGATIVE:
                raise
            self.nothing_to_negate.append(operation.label)


@pytest.fixture
def fuzzer(base_path: Path, tmp_path: Path, samples: dict[str, SyntheticBackup]) -> Iterator[Fuzzer]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
    # Its unlocks open far more sessions than the cap allows: the fuzz checks answers, not the cap.
    limits = {"SESSIONS__MAX_LIVE": "100000", "SESSIONS__MAX_LIVE_PER_BACKUP": "100000"}
    app = create_app(settings_for(base_path, url, **limits))
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    try:
        yield Fuzzer(schema, [file.file_id for file in regular_files(samples[PLAIN_ID])])
    finally:
        asgi.shutdown_lifespans()  # the app's shutdown: sessions ended, container closed


def _range_headers() -> st.SearchStrategy[str]:
    """`bytes=a-b` with numbers small, huge and thousands of digits long, and some junk."""
    number = st.one_of(
        st.just(""), st.integers(0, 4 << 20).map(str), st.integers(0, 2**80).map(str),
        st.integers(4300, 6000).map(lambda digits: "9" * digits),  # past int()'s 4,300-digit limit
    )  # fmt: skip
    grammar = st.tuples(number, number).map(lambda pair: f"bytes={pair[0]}-{pair[1]}")
    junk = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
    return st.one_of(grammar, junk.map(lambda text: f"bytes={text}"))


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_no_operation_answers_5xx_or_off_schema(fuzzer: Fuzzer, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    operations = _operations(fuzzer.schema)
    assert len(operations) >= 9
    live = fuzzer.new_session()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzzer.run(operation, mode, live)
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nfuzz: {fuzzer.requests} requests over {len(operations)} operations in {elapsed:.1f} s, "
            f"0 failures (no invalid input exists for {', '.join(fuzzer.nothing_to_negate) or 'none'}); "
            f"statuses: {dict(sorted(fuzzer.statuses.items()))}"
        )
    assert fuzzer.requests >= len(operations) * EXAMPLES_PER_OPERATION_AND_MODE
