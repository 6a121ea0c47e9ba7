"""The reference reading of an `attributedBody`: pytypedstream's NSUnarchiver, the string of the archived
NSAttributedString (None when it reads no such thing)."""

import typedstream


def reference_text(data: bytes) -> str | None:
    try:
        root = typedstream.unarchive_from_data(data)
    except Exception:  # the reference refusing the input, whatever it raises
        return None
    chain, clazz = [], getattr(root, "clazz", None)
    while clazz is not None:
        chain.append(clazz.name)
        clazz = clazz.superclass
    contents = getattr(root, "contents", None)
    if b"NSAttributedString" not in chain or not contents:
        return None
    string = getattr(contents[0], "value", None)
    if isinstance(string, typedstream.GenericArchivedObject):  # a subclass of a class it knows
        string = string.super_object
    return string.value if isinstance(string, typedstream.types.foundation.NSString) else None
