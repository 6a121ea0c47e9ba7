"""The `file` column of Manifest.db: an NSKeyedArchiver binary plist of an MBFile."""

from plistlib import UID

from ios_backup_api.adapters.backup_writer.bplist import (
    BinaryPlistTemplate,
    Slot,
    encode_data,
    encode_int,
    encode_string,
)

_MOBILE_USER = 501
_MBFILE_CLASS = {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]}
_DATA_CLASS = {"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]}


def _archive(extra_attributes: dict[str, object], extra_objects: list[object]) -> BinaryPlistTemplate:
    class_index = 3 + len(extra_objects)
    mbfile = {
        "$class": UID(class_index),
        "Birth": Slot("birth"),
        "LastModified": Slot("modified"),
        "LastStatusChange": Slot("modified"),
        "Flags": 0,
        "GroupID": _MOBILE_USER,
        "UserID": _MOBILE_USER,
        "InodeNumber": Slot("inode"),
        "Mode": Slot("mode"),
        "ProtectionClass": Slot("protection_class"),
        "Size": Slot("size"),
        "RelativePath": UID(2),
        **extra_attributes,
    }
    return BinaryPlistTemplate(
        {
            "$version": 100000,
            "$archiver": "NSKeyedArchiver",
            "$top": {"root": UID(1)},
            "$objects": ["$null", mbfile, Slot("relative_path"), *extra_objects, _MBFILE_CLASS],
        }
    )


_PLAIN = _archive({}, [])
_WITH_KEY = _archive(
    {"EncryptionKey": UID(3)}, [{"NS.data": Slot("encryption_key"), "$class": UID(4)}, _DATA_CLASS]
)
_WITH_TARGET = _archive({"Target": UID(3)}, [Slot("target")])


def encode_mbfile(
    *,
    relative_path: str,
    mode: int,
    size: int,
    protection_class: int,
    inode: int,
    modified_at: int,
    created_at: int | None = None,
    encryption_key: bytes | None = None,
    target: str | None = None,
) -> bytes:
    """`encryption_key` is the whole NS.data (class prefix + wrapped key); `target` is a symlink's target."""
    if encryption_key is not None and target is not None:
        raise ValueError("a symlink has no encryption key")
    modified = encode_int(modified_at)
    slots = {
        "birth": modified if created_at is None else encode_int(created_at),
        "modified": modified,
        "inode": encode_int(inode),
        "mode": encode_int(mode),
        "protection_class": encode_int(protection_class),
        "size": encode_int(size),
        "relative_path": encode_string(relative_path),
    }
    if encryption_key is not None:
        slots["encryption_key"] = encode_data(encryption_key)
        return _WITH_KEY.render(slots)
    if target is not None:
        slots["target"] = encode_string(target)
        return _WITH_TARGET.render(slots)
    return _PLAIN.render(slots)
