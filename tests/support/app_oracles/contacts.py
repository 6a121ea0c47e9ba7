"""What the contacts view must answer, read independently of the reader: every row of ABPerson,
ABMultiValue and ABMultiValueLabel, and the view's rules (API.md, the reader's docstring) done in Python."""

from typing import Any

from tests.support.app_oracles.sqlite_copy import read_tables
from tests.support.app_oracles.values import core_data_time, text


def contacts(
    main: bytes, wal: bytes | None, *, q: str | None = None, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """{"items": [asdict(Contact)...], "total": matches}."""
    tables = read_tables(main, wal, "ABPerson", "ABMultiValue", "ABMultiValueLabel")
    people, values = tables.get("ABPerson", []), tables.get("ABMultiValue", [])
    labels = {row["rowid"]: row.get("value") for row in tables.get("ABMultiValueLabel", [])}
    values.sort(key=lambda row: row["rowid"])
    cards = []
    for person in people:
        own = [
            value for value in values if value["record_id"] == person["rowid"] and value["value"] is not None
        ]
        phones = [_labeled(value, labels) for value in own if value["property"] == 3]
        emails = [_labeled(value, labels) for value in own if value["property"] == 4]
        first, last, organization = (text(person.get(name)) for name in ("first", "last", "organization"))
        cards.append(
            {
                "id": person["rowid"],
                "first_name": first,
                "last_name": last,
                "organization": organization,
                "display_name": _shown(first, last, organization, person.get("kind"), phones, emails),
                "phones": phones,
                "emails": emails,
                "created_at": core_data_time(person.get("creationdate")),
                "modified_at": core_data_time(person.get("modificationdate")),
            }
        )
    if q is not None:
        cards = [card for card in cards if _matches(card, q)]
    cards.sort(key=lambda card: (card["display_name"], card["id"]))
    return {"items": cards[offset : offset + limit], "total": len(cards)}


def _labeled(value: dict[str, Any], labels: dict[Any, Any]) -> dict[str, Any]:
    label = labels.get(value.get("label")) if value.get("label") is not None else None
    return {"label": plain(text(label)), "value": text(value["value"])}


def plain(label: str | None) -> str | None:
    if label is None or label == "":
        return None
    if not (label.startswith("_$!<") and label.endswith(">!$_") and len(label) >= 8):
        return label
    inner = label[4:-4]
    if not inner.isascii():
        return inner.lower() or None
    words: list[str] = []
    for index, char in enumerate(inner):
        before = inner[index - 1] if index else ""
        after = inner[index + 1] if index + 1 < len(inner) else ""
        starts = (
            not words
            or (char.isupper() and (before.islower() or before.isdigit()))
            or (char.isupper() and before.isupper() and after.islower())
            or (char.isdigit() and not before.isdigit())
            or (char.isalpha() and before.isdigit())
        )
        if not char.isalnum():
            if words and words[-1]:
                words.append("")
            continue
        if starts and (not words or words[-1]):
            words.append(char)
        else:
            words[-1] += char
    found = [word.lower() for word in words if word]
    return " ".join(found) if found else (inner.lower() or None)


def _shown(
    first: str | None,
    last: str | None,
    organization: str | None,
    kind: Any,
    phones: list[dict[str, Any]],
    emails: list[dict[str, Any]],
) -> str:
    company = organization.strip() if organization else ""
    if kind == 1 and company:
        return company
    parts = [part.strip() for part in (first or "", last or "") if part.strip()]
    if parts:
        return " ".join(parts)
    if company:
        return company
    for value in phones + emails:
        return str(value["value"])
    return ""


def _matches(card: dict[str, Any], q: str) -> bool:
    fields = [card["first_name"], card["last_name"], card["organization"], card["display_name"]]
    fields += [value["value"] for value in card["phones"] + card["emails"]]
    return any(field is not None and q.casefold() in field.casefold() for field in fields)
