"""What the typed views answer whatever the app data: the list of views, 404 for an app the backup lacks
(naming the path looked for), 409 for a database that is none, 400 for malformed parameters, the session's
rules, and an OpenAPI document describing every view with an example."""

from litestar.testing import AsyncTestClient

from tests.support.backups import PLAIN_ID

Client = AsyncTestClient  # type: ignore[type-arg]
VIEW_PATHS = [
    "messages/chats",
    "messages",
    "whatsapp/chats",
    "whatsapp/messages",
    "contacts",
    "calls",
    "photos",
    "notes",
]


async def _session(client: Client) -> dict[str, str]:
    unlocked = await client.post(f"/backups/{PLAIN_ID}/unlock", json={})
    assert unlocked.status_code == 200, unlocked.text
    return {"X-Backup-Session": unlocked.json()["session_token"]}


async def test_views_lists_every_view_in_order_with_where_its_database_is(client: Client) -> None:
    session = await _session(client)
    views = (await client.get(f"/backups/{PLAIN_ID}/views", headers=session)).json()["views"]
    names = ["messages", "whatsapp", "contacts", "calls", "photos", "notes"]
    assert [view["name"] for view in views] == names
    messages = views[0]
    assert (messages["domain"], messages["relative_path"]) == ("HomeDomain", "Library/SMS/sms.db")
    listed = await client.get(
        f"/backups/{PLAIN_ID}/files",
        params={"domain": "HomeDomain", "path_like": "Library/SMS/sms.db"},
        headers=session,
    )
    assert messages["available"] is True
    assert messages["file_id"] == listed.json()["items"][0]["file_id"]
    assert views[1] == {
        "name": "whatsapp",
        "available": False,
        "domain": "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
        "relative_path": "ChatStorage.sqlite",
        "file_id": None,
    }


async def test_a_view_of_an_app_the_backup_lacks_is_404_naming_the_path(client: Client) -> None:
    session = await _session(client)
    response = await client.get(f"/backups/{PLAIN_ID}/whatsapp/chats", headers=session)
    assert response.status_code == 404
    assert "ChatStorage.sqlite" in response.json()["detail"]
    assert "AppDomainGroup-group.net.whatsapp.WhatsApp.shared" in response.json()["detail"]


async def test_a_database_that_is_none_is_409_with_a_sentence(client: Client) -> None:
    session = await _session(client)  # the sample's sms.db is text, not SQLite
    for path in ("messages", "messages/chats"):
        response = await client.get(f"/backups/{PLAIN_ID}/{path}", headers=session)
        assert response.status_code == 409, response.text
        assert response.json()["detail"] == "Library/SMS/sms.db is not an SQLite database."


async def test_every_view_needs_a_live_session_of_its_backup(client: Client) -> None:
    for path in ["views", *VIEW_PATHS]:
        response = await client.get(f"/backups/{PLAIN_ID}/{path}")
        assert response.status_code == 401, path
        response = await client.get(f"/backups/no-such-backup/{path}")
        assert response.status_code == 404, path


async def test_malformed_parameters_are_400(client: Client) -> None:
    session = await _session(client)
    malformed = [
        ("messages", {"limit": "0"}),
        ("messages", {"limit": "1001"}),
        ("messages", {"offset": "-1"}),
        ("messages", {"offset": "1e2"}),
        ("messages", {"chat_id": "x"}),
        ("messages", {"chat_id": "+5"}),
        ("messages", {"since": "yesterday"}),
        ("messages", {"since": "2024-05-01T00:00:00"}),  # no offset: which time is that?
        ("messages", {"since": "2024-06-01T00:00:00Z", "until": "2024-05-01T00:00:00Z"}),
        ("calls", {"q": "\x00"}),
        ("calls", {"q": ""}),
        ("photos", {"kind": "gif"}),
        ("photos", {"favorite": "yes"}),
    ]
    for path, params in malformed:
        response = await client.get(f"/backups/{PLAIN_ID}/{path}", params=params, headers=session)
        assert response.status_code == 400, (path, params, response.text)
        assert response.json()["status_code"] == 400


async def test_the_openapi_document_describes_every_view_with_an_example(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ["views", *VIEW_PATHS]:
        operation = paths[f"/backups/{{backup_id}}/{path}"]["get"]
        assert {"200", "401", "403", "404", "409"} <= set(operation["responses"]), path
        if path != "views":
            assert "400" in operation["responses"], path
            ok = operation["responses"]["200"]["content"]["application/json"]
            (example,) = ok["examples"].values()
            assert example["value"]["items"], path
            assert ok["schema"], path
