"""Google's protobuf reading of a note body: the messages of apple_cloud_notes_parser's notestore.proto that
hold the text (NoteStoreProto → Document → Note), built at run time (no generated code)."""

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

_F = descriptor_pb2.FieldDescriptorProto


def _messages() -> type[Message]:
    file = descriptor_pb2.FileDescriptorProto(
        name="notestore_text.proto", package="notestore", syntax="proto2"
    )

    def message(name: str, *fields: tuple[str, int, int, str]) -> None:
        added = file.message_type.add(name=name)
        for field_name, number, kind, type_name in fields:
            field = added.field.add(name=field_name, number=number, type=kind, label=_F.LABEL_OPTIONAL)
            if type_name:
                field.type_name = type_name

    message("NoteStoreProto", ("document", 2, _F.TYPE_MESSAGE, ".notestore.Document"))
    message("Document", ("version", 2, _F.TYPE_INT32, ""), ("note", 3, _F.TYPE_MESSAGE, ".notestore.Note"))
    # bytes, not string: text that is not UTF-8 is then decoded with replacement characters, as the view does
    message("Note", ("note_text", 2, _F.TYPE_BYTES, ""))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("notestore.NoteStoreProto"))


NoteStoreProto = _messages()


def note_text(protobuf: bytes) -> str | None:
    """The note's text, None when the bytes are no NoteStoreProto or hold no text."""
    store = NoteStoreProto()
    try:
        store.ParseFromString(protobuf)
    except DecodeError:
        return None
    if not store.HasField("document") or not store.document.HasField("note"):
        return None
    note = store.document.note
    return note.note_text.decode("utf-8", "replace") if note.HasField("note_text") else None
