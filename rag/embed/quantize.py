"""An int8 graph of a mean-pooled encoder, for `embedding_precision = "int8"` (opt-in).

ONNX Runtime's dynamic quantization of the exported fp32 graph: the weight MatMuls get int8
weights (per output channel) and their activations are quantized per batch at run time, so
no calibration texts are needed. `./desk bench int8` measured it against static QDQ recipes
(calibrated on real chunks; their ranges are kept here for that bench): dynamic int8 kept
the vectors closest to fp32 (mean cosine 0.993, static QDQ 0.85-0.93), and only ONNX Runtime
runs it faster than fp32 (OpenVINO runs these graphs slower than its fp32), so the int8 graph
always runs on ONNX Runtime. Written once per model into the models cache, through a temp
file and an atomic rename; its folder name carries the recipe, so a change of recipe is a new
graph and never meets vectors of the old one (a knowledge base records its precision, see
rag.embed.embedder.Embedder.precision).
"""

from __future__ import annotations

import os
from pathlib import Path

from rag.errors import ModelError

# The recipe, as measured by `./desk bench int8` (README, "Speed").
RECIPE = {"name": "dynamic", "method": "dynamic"}


def int8_graph(model_dir: Path, cache_dir: Path, recipe: dict | None = None, texts: list[str] | None = None) -> Path:
    """The int8 graph of the model in `model_dir`, built on first use (a few seconds)."""
    from rag.embed.runtimes import export, onnx_path

    recipe = recipe or RECIPE
    fp32 = onnx_path(model_dir, cache_dir)
    if not fp32.exists():
        export(model_dir, fp32)
    target = Path(cache_dir) / "int8" / f"{fp32.parent.name}-{recipe['name']}" / "model.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".model.{os.getpid()}.onnx")
    try:
        if recipe["method"] == "dynamic":
            quantize_dynamic(fp32, tmp)
        else:
            quantize(fp32, tmp, model_dir, texts or [], recipe)
        os.replace(tmp, target)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"could not build the int8 graph of {model_dir.name} ({type(exc).__name__}: {exc}); "
                         "set embedding_precision = 'fp32'") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def quantize_dynamic(fp32: Path, target: Path) -> None:
    """int8 weights per output channel for the weight MatMuls, activations quantized per batch."""
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization import quantize_dynamic as ort_dynamic

    ort_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])


def feeds(tokenizer, texts: list[str], names: set[str], batch: int = 8) -> list[dict]:
    """Model inputs for `texts`, `batch` at a time (padded to the longest of each batch)."""
    import numpy as np

    out = []
    for start in range(0, len(texts), batch):
        enc = tokenizer.encode_batch(texts[start : start + batch])
        width = max(len(e.ids) for e in enc)
        ids = np.zeros((len(enc), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(enc):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(ids)
        out.append(feed)
    return out


def quantize(fp32: Path, target: Path, model_dir: Path, texts: list[str], recipe: dict) -> None:
    """Static QDQ, activation ranges from running the graph over `texts` (the bench's recipes)."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(256)
    model = onnx.load(str(fp32))
    names = {i.name for i in model.graph.input}
    weights = {i.name for i in model.graph.initializer}
    matmuls = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    if recipe.get("fp32_ffn_output"):  # the FFN's output projection: its input carries the outliers
        matmuls = [n for n in matmuls if not ("/output/dense/" in n and "attention" not in n)]
    batches = feeds(tok, texts, names)

    class Reader(CalibrationDataReader):
        """The calibration batches, `STRIDE` at a time: ONNX Runtime keeps every intermediate
        tensor of the batches it is given (about 1 GB a batch of 8 here; all 24 at once were
        killed for memory on a 24 GiB machine), and merges the ranges of each stride."""

        def __init__(self):
            self.left: list = []

        def __len__(self):
            return len(batches)

        def set_range(self, start_index: int, end_index: int):
            self.left = list(batches[start_index:end_index])

        def get_next(self):
            return self.left.pop(0) if self.left else None

    method = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
              "entropy": CalibrationMethod.Entropy}[recipe["method"]]
    extra = {"WeightSymmetric": True, "ActivationSymmetric": False, "CalibStridedMinMax": 1}
    if recipe["method"] == "percentile":
        extra["CalibPercentile"] = recipe.get("percentile", 99.99)
    quantize_static(str(fp32), str(target), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_quantize=matmuls,
                    op_types_to_quantize=["MatMul"], calibrate_method=method, extra_options=extra)
