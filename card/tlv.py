"""BER-TLV as PIV uses it (ISO 7816-4 / SP 800-73-4 tags of one to three bytes).

No I/O: the PIV codec, the virtual PIV card and the PIV profile build on this.
"""

from __future__ import annotations

from card.apdu import CardProtocolError


def encode_length(length: int) -> bytes:
    """BER length: one byte below 128, else 81 xx, 82 xx xx (at most 65535)."""
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x81, length])
    if length <= 0xFFFF:
        return bytes([0x82]) + length.to_bytes(2, "big")
    raise ValueError("a TLV value is at most 65535 bytes here")


def tlv(tag: int, value: bytes) -> bytes:
    """One TLV; `tag` is an int of one to three bytes (0x5FC102 is three)."""
    size = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(size, "big") + encode_length(len(value)) + value


def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise CardProtocolError("A TLV tag is cut short")
    first = data[pos]
    tag, pos = first, pos + 1
    if first & 0x1F == 0x1F:  # multi-byte tag: continues while b8 is set
        while True:
            if pos >= len(data):
                raise CardProtocolError("A TLV tag is cut short")
            tag = (tag << 8) | data[pos]
            pos += 1
            if not data[pos - 1] & 0x80:
                break
            if tag > 0xFFFFFF:
                raise CardProtocolError("A TLV tag is too long")
    return tag, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise CardProtocolError("A TLV length is cut short")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 3 or pos + count > len(data):
        raise CardProtocolError("A TLV length is malformed")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def parse(data: bytes) -> list[tuple[int, bytes]]:
    """Every top-level (tag, value) in order; raises CardProtocolError when malformed."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        if data[pos] in (0x00, 0xFF) and not out and pos == len(data) - 1:
            break  # a lone padding byte
        tag, pos = _read_tag(data, pos)
        length, pos = _read_length(data, pos)
        if pos + length > len(data):
            raise CardProtocolError("A TLV value runs past the end of the data")
        out.append((tag, bytes(data[pos : pos + length])))
        pos += length
    return out


def as_dict(data: bytes) -> dict[int, bytes]:
    """Top-level TLVs by tag (the first of each tag wins)."""
    found: dict[int, bytes] = {}
    for tag, value in parse(data):
        found.setdefault(tag, value)
    return found


def unwrap(data: bytes, tag: int) -> bytes:
    """The value of `data` when it is exactly one TLV with `tag`."""
    items = parse(data)
    if len(items) != 1 or items[0][0] != tag:
        raise CardProtocolError(f"Expected one TLV with tag {tag:X}")
    return items[0][1]
