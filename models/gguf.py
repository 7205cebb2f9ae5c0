"""Read the metadata header of a GGUF file without loading the model.

A GGUF file starts with: magic "GGUF", u32 version, u64 tensor count, u64 key/value count,
then the key/values (key: u64 length + UTF-8 bytes; value: u32 type + payload). Only the
scalar and string values are kept; arrays (the tokenizer's vocabulary) are skipped over, and
their length is recorded as `<key>.length`. Reading stops at the end of the key/values, so
this costs a few milliseconds and never maps the weights.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from models.errors import ModelError

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


class _Reader:
    def __init__(self, f: BinaryIO, path: Path):
        self.f = f
        self.path = path

    def take(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise ModelError(f"{self.path.name}: the GGUF header is truncated; the file is incomplete or damaged")
        return data

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.unpack("<Q")
        if n > 1 << 26:
            raise ModelError(f"{self.path.name}: implausible string length in the GGUF header; the file is damaged")
        return self.take(n).decode("utf-8", "replace")

    def skip_string(self) -> None:
        self.f.seek(self.unpack("<Q"), 1)

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        raise ModelError(f"{self.path.name}: unknown GGUF value type {kind}; the file may need a newer reader")

    def skip_array(self) -> int:
        kind = self.unpack("<I")
        count = self.unpack("<Q")
        if kind in _SCALARS:
            self.f.seek(struct.calcsize(_SCALARS[kind]) * count, 1)
        elif kind == _STRING:
            for _ in range(count):
                self.skip_string()
        elif kind == _ARRAY:
            for _ in range(count):
                self.skip_array()
        else:
            raise ModelError(f"{self.path.name}: unknown GGUF array type {kind}")
        return count


def read_metadata(path: Path) -> dict[str, Any]:
    """All scalar/string key/values of the GGUF header (arrays as `<key>.length`)."""
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        r = _Reader(f, path)
        if r.take(4) != b"GGUF":
            raise ModelError(f"{path.name} is not a GGUF model file; llama.cpp needs a .gguf file")
        version = r.unpack("<I")
        if version < 2:
            raise ModelError(f"{path.name} is GGUF version {version}; convert it with a current llama.cpp")
        tensors = r.unpack("<Q")
        count = r.unpack("<Q")
        meta: dict[str, Any] = {"gguf.version": version, "gguf.tensor_count": tensors}
        for _ in range(count):
            key = r.string()
            kind = r.unpack("<I")
            if kind == _ARRAY:
                meta[key + ".length"] = r.skip_array()
            else:
                meta[key] = r.value(kind)
        if tensors > 1 << 20:
            raise ModelError(f"{path.name}: implausible tensor count in the GGUF header; the file is damaged")
        meta["gguf.tensor_data_end"] = _tensor_data_end(r, tensors, int(meta.get("general.alignment", 32) or 32))
    return meta


# (elements per block, bytes per block) of the tensor types whose size is checked; a tensor of
# any other type counts with its offset only, so an unlisted type can never fail a good file.
_TYPE_SIZES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 8: (32, 34), 12: (256, 144), 13: (256, 176),
               14: (256, 210), 30: (1, 2)}


def _tensor_data_end(r: _Reader, tensors: int, alignment: int) -> int:
    """Where the tensor data must end at least: start of the data section + the furthest tensor."""
    end = 0
    for _ in range(tensors):
        r.skip_string()  # name
        dims = r.unpack("<I")
        if dims > 8:
            raise ModelError(f"{r.path.name}: implausible tensor shape in the GGUF header; the file is damaged")
        elements = 1
        for _ in range(dims):
            elements *= r.unpack("<Q")
        kind = r.unpack("<I")
        offset = r.unpack("<Q")
        block, size = _TYPE_SIZES.get(kind, (1, 0))
        end = max(end, offset + max(1, elements // block * size))
    start = r.f.tell()
    start += -start % max(1, alignment)
    return start + end


@dataclass(frozen=True)
class GgufInfo:
    path: Path
    file_bytes: int
    architecture: str
    name: str
    layers: int
    context_length: int  # what the model was trained for
    embedding_length: int
    head_count: int
    head_count_kv: int
    key_length: int
    value_length: int
    vocab_size: int
    has_chat_template: bool

    def kv_bytes_per_token(self, bytes_per_value: int = 2) -> int:
        """K and V for one token across all layers (llama.cpp's default cache type is f16)."""
        return self.layers * self.head_count_kv * (self.key_length + self.value_length) * bytes_per_value


def gguf_info(path: Path) -> GgufInfo:
    path = Path(path)
    meta = read_metadata(path)
    size = path.stat().st_size
    if meta["gguf.tensor_data_end"] > size:
        raise ModelError(
            f"{path.name} is incomplete: its header describes {meta['gguf.tensor_data_end']:,} bytes of weights but "
            f"the file has {size:,}; the download was cut short or the file is damaged: download it again")
    arch = str(meta.get("general.architecture", ""))
    if not arch:
        raise ModelError(f"{path.name}: the GGUF header names no architecture; the file is damaged")

    def num(key: str, default: int | None = None) -> int:
        value = meta.get(f"{arch}.{key}", default)
        if value is None:
            raise ModelError(f"{path.name}: the GGUF header lacks {arch}.{key}")
        return int(value)

    heads = num("attention.head_count")
    embd = num("embedding_length")
    kv_heads = num("attention.head_count_kv", heads)
    head_dim = embd // heads if heads else 0
    return GgufInfo(
        path=path,
        file_bytes=path.stat().st_size,
        architecture=arch,
        name=str(meta.get("general.name", path.stem)),
        layers=num("block_count"),
        context_length=num("context_length", 0),
        embedding_length=embd,
        head_count=heads,
        head_count_kv=kv_heads,
        key_length=num("attention.key_length", head_dim),
        value_length=num("attention.value_length", head_dim),
        vocab_size=int(meta.get("tokenizer.ggml.tokens.length", meta.get(f"{arch}.vocab_size", 0)) or 0),
        has_chat_template="tokenizer.chat_template" in meta,
    )
