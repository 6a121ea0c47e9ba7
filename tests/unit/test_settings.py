import os
import sys
from pathlib import Path

import pytest

from ios_backup_api.entrypoints.settings import (
    Settings,
    SettingsError,
    backup_locations,
    default_base_path,
    load_settings,
)


def test_defaults_serve_loopback_on_8080_with_an_sqlite_catalog() -> None:
    settings = load_settings({}, dotenv=None)
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8080)
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.sessions.ttl_seconds == 3600
    assert settings.security.api_token is None


def test_nested_variables_set_each_section() -> None:
    settings = load_settings(
        {
            "IOS_BACKUP_SECURITY__API_TOKEN": "t" * 32,
            "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": "/srv/backups",
            "IOS_BACKUP_DATABASE__URL": "postgresql+asyncpg://u:p@db/catalog",
            "IOS_BACKUP_SERVER__HOST": "0.0.0.0",
            "IOS_BACKUP_SERVER__PORT": "9000",
            "IOS_BACKUP_SESSIONS__TTL_SECONDS": "60",
            "UNRELATED": "ignored",
        },
        dotenv=None,
    )
    assert settings.security.api_token == "t" * 32
    assert settings.backup_paths.base_path == Path("/srv/backups")
    assert settings.database.url == "postgresql+asyncpg://u:p@db/catalog"
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9000)
    assert settings.sessions.ttl_seconds == 60


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nexport IOS_BACKUP_SERVER__PORT="9100"\nIOS_BACKUP_SERVER__HOST=0.0.0.0\n')
    settings = load_settings({"IOS_BACKUP_SERVER__HOST": "127.0.0.2"}, dotenv=dotenv)
    assert settings.server.port == 9100
    assert settings.server.host == "127.0.0.2"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IOS_BACKUP_SERVER__PORT", "eighty"),
        ("IOS_BACKUP_SERVER__PORT", "70000"),
        ("IOS_BACKUP_SESSIONS__TTL_SECONDS", "0"),
        ("IOS_BACKUP_DATABASE__URL", "mysql://x/y"),
        ("IOS_BACKUP_SECURITY__API_TOKEN", "short"),
        ("IOS_BACKUP_SERVER__PROT", "1"),
        ("IOS_BACKUP_SERVER__REQUEST_READ_TIMEOUT_SECONDS", "0"),
        ("IOS_BACKUP_SERVER__KEEP_ALIVE_TIMEOUT_SECONDS", "0"),
        ("IOS_BACKUP_SERVER__KEEP_ALIVE_TIMEOUT_SECONDS", "1.5"),
        ("IOS_BACKUP_SERVER__MAX_CONNECTIONS", "0"),
        ("IOS_BACKUP_SERVER__LOG_REPEAT_LIMIT", "0"),
        ("IOS_BACKUP_SERVER__LOG_REPEAT_INTERVAL_SECONDS", "-1"),
        ("IOS_BACKUP_VIEWS__MEMORY_MIB", "0"),
        ("IOS_BACKUP_MANIFEST__PAGED_FROM_MIB", "-2"),
        ("IOS_BACKUP_VIEWS__QUERY_TIMEOUT_SECONDS", "0"),
        ("IOS_BACKUP_NOSECTION__X", "1"),
        ("IOS_BACKUP_FLAT", "1"),
    ],
)
def test_a_bad_value_stops_with_one_line_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({name: value}, dotenv=None)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(name.rsplit("__", 1)[0] if name.endswith("NOSECTION__X") else name)


def test_the_session_store_is_in_memory_for_one_worker_and_in_the_database_for_several() -> None:
    def settings(**variables: str) -> Settings:
        return load_settings({f"IOS_BACKUP_{name}": value for name, value in variables.items()}, dotenv=None)

    assert settings().sessions.store == "auto"
    assert not settings(SERVER__WORKERS="1").sessions_in_database
    assert settings(SERVER__WORKERS="3").sessions_in_database
    assert settings(SERVER__WORKERS="1", SESSIONS__STORE="database").sessions_in_database
    assert not settings(SERVER__WORKERS="1", SESSIONS__STORE="memory").sessions_in_database
    with pytest.raises(SettingsError, match="IOS_BACKUP_SESSIONS__STORE: must be database or auto"):
        settings(SERVER__WORKERS="2", SESSIONS__STORE="memory")
    with pytest.raises(SettingsError, match="IOS_BACKUP_SESSIONS__STORE"):
        settings(SESSIONS__STORE="redis")


def test_workers_are_one_or_auto_one_per_usable_core_at_most_four_or_a_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings({}, dotenv=None).server.worker_count() == 1
    auto = {"IOS_BACKUP_SERVER__WORKERS": "auto"}
    for cores, expected in ((1, 1), (2, 2), (16, 4)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _, cores=cores: set(range(cores)))
        assert load_settings({}, dotenv=None).server.worker_count() == 1
        assert load_settings(auto, dotenv=None).server.worker_count() == expected
    assert load_settings({"IOS_BACKUP_SERVER__WORKERS": "7"}, dotenv=None).server.worker_count() == 7
    for bad in ("0", "65", "many"):
        with pytest.raises(SettingsError, match="IOS_BACKUP_SERVER__WORKERS"):
            load_settings({"IOS_BACKUP_SERVER__WORKERS": bad}, dotenv=None)


def test_the_default_base_path_is_the_first_usual_location_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert default_base_path() == Path("backups")
    finder = tmp_path / "Library" / "Application Support" / "MobileSync" / "Backup"
    finder.mkdir(parents=True)
    assert default_base_path() == finder


def test_windows_knows_itunes_and_the_apple_devices_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData" / "Roaming"))
    assert backup_locations() == [
        tmp_path / "AppData" / "Roaming" / "Apple Computer" / "MobileSync" / "Backup",
        tmp_path / "Apple" / "MobileSync" / "Backup",
        tmp_path / "AppData" / "Roaming" / "Apple" / "MobileSync" / "Backup",
    ]


def test_connections_are_bounded_by_default() -> None:
    server = load_settings({}, dotenv=None).server
    assert 0 < server.request_read_timeout_seconds <= 60, "a half-sent request is closed within a minute"
    assert server.keep_alive_timeout_seconds == 5
    assert server.max_connections == 500
    assert (server.log_repeat_limit, server.log_repeat_interval_seconds) == (10, 60)
