#!/usr/bin/env python3
"""Fuzz the document loader with mutated real PDFs (not part of CI).

Every input is written to a temporary `.pdf` and read the way ingestion reads it: by the real
reader child process (`rag.ingest.worker.ParserProcess`, stall timeout + RLIMIT_AS), with the
PDFium or the pypdf backend. The property under test: the loader never takes the calling
process down and never hangs past its limit. Every input must end in pages or a
`DocumentError` (a clear per-file message) within `--timeout` seconds of silence; anything
else (an exception escaping to the caller, a wait past the limit) is a finding, saved under
`--out/findings/`. A reader child that died (pdfium crash, out of memory) counts as contained:
it is reported as "ParserCrashedError" and its input is kept under `--out/contained/`.

    .venv/bin/uv pip install --python .venv/bin/python -e ".[fuzz]"  # once: atheris (a prebuilt wheel)
    .venv/bin/python scripts/fuzz_loader.py --seconds 600           # libFuzzer's mutator via atheris
    .venv/bin/python scripts/fuzz_loader.py --seconds 600 --engine random   # stdlib mutations, no atheris

Seeds: the small PDFs in tests/data/downloaded (`scripts/fetch_pdfs.py`) and PDFs made by
tests/pdfs.py (text, Chinese, encrypted, owner-password-only, garbled, scanned, image-only).
A JSON summary (executions, outcomes, findings) is printed and written to `--out/summary.json`.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_SEED_BYTES = 320_000


def make_seeds(folder: Path) -> list[Path]:
    """Seed PDFs: small real ones plus generated ones covering each loader path."""
    sys.path.insert(0, str(ROOT / "tests"))
    from reportlab.lib.pdfencrypt import StandardEncryption

    from pdfs import SAMPLE_PAGES, make_garbled_pdf, make_image_only_pdf, make_pdf, make_sample_pdf, rasterise_pdf

    folder.mkdir(parents=True, exist_ok=True)
    seeds = [make_sample_pdf(folder / "sample.pdf"),
             make_pdf(folder / "locked.pdf", SAMPLE_PAGES[:1], encrypt=StandardEncryption("pw", "owner")),
             make_pdf(folder / "owner-only.pdf", SAMPLE_PAGES[:2], encrypt=StandardEncryption("", "owner")),
             make_garbled_pdf(folder / "garbled.pdf", [SAMPLE_PAGES[0]]),
             make_image_only_pdf(folder / "image-only.pdf", 1)]
    seeds.append(rasterise_pdf(make_pdf(folder / "scan.pdf", [SAMPLE_PAGES[1]]), folder / "scan.pdf", dpi=60))
    downloaded = ROOT / "tests" / "data" / "downloaded"
    if downloaded.is_dir():
        for pdf in sorted(downloaded.glob("*.pdf")):
            if pdf.stat().st_size <= MAX_SEED_BYTES:
                seeds.append(pdf)
    return seeds


class Harness:
    """Runs one input through the real reader child and classifies the outcome."""

    def __init__(self, out: Path, timeout_s: float, memory_mb: int):
        from rag.ingest.worker import ParserProcess

        self.out = out
        self.timeout_s = timeout_s
        self.worker = ParserProcess(timeout_s=timeout_s, memory_mb=memory_mb)
        self.scratch = Path(tempfile.mkdtemp(prefix="rag-fuzz-"))
        self.outcomes: collections.Counter = collections.Counter()
        self.executions = 0
        self.findings: list[dict] = []
        self.contained: list[dict] = []
        self.slowest = 0.0
        self.started = time.monotonic()

    def run(self, data: bytes) -> str:
        from rag.errors import DocumentError
        from rag.ingest.ocr import OcrOptions

        self.executions += 1
        backend = "pypdf" if zlib.crc32(data) % 3 == 0 else "pdfium"  # a third of the inputs: a function of the bytes
        path = self.scratch / "input.pdf"
        path.write_bytes(data)
        t0 = time.monotonic()
        outcome = "?"
        try:
            doc = self.worker.open(path, backend, OcrOptions(enabled=False))
            try:
                pages = sum(1 for _ in doc.pages())
            finally:
                doc.close()
            outcome = f"ok:{backend}:{'1' if pages == 1 else 'n'}-pages"
        except DocumentError as err:
            outcome = f"{type(err).__name__}:{backend}"
            if err.reason.startswith("the file could not be read ("):  # a parser exception, caught in the child
                outcome = f"CorruptPdfError({err.reason[28:].split(':')[0].split(')')[0]}):{backend}"
            if type(err).__name__ in ("ParserCrashedError", "ParseTimeoutError"):
                self._keep("contained", data, outcome, str(err))
        except BaseException as exc:  # the caller would have crashed: a finding
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome = f"CRASH:{type(exc).__name__}:{backend}"
            self._keep("findings", data, outcome, repr(exc))
        elapsed = time.monotonic() - t0
        self.slowest = max(self.slowest, elapsed)
        if elapsed > self.timeout_s * 2 + 10:  # the stall limit plus a restart: beyond it, a hang
            outcome = f"HANG:{outcome}"
            self._keep("findings", data, outcome, f"took {elapsed:.1f} s")
        self.outcomes[outcome] += 1
        if self.executions % 50 == 0:
            self.write_summary()
        return outcome

    def _keep(self, kind: str, data: bytes, outcome: str, detail: str) -> None:
        digest = hashlib.sha1(data).hexdigest()[:16]
        folder = self.out / kind
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{digest}.pdf").write_bytes(data)
        entry = {"input": str(folder / f"{digest}.pdf"), "outcome": outcome, "detail": detail[:500]}
        (self.findings if kind == "findings" else self.contained).append(entry)

    def summary(self) -> dict:
        return {"seconds": round(time.monotonic() - self.started, 1), "executions": self.executions,
                "executions_per_s": round(self.executions / max(1e-9, time.monotonic() - self.started), 2),
                "slowest_input_s": round(self.slowest, 2), "stall_limit_s": self.timeout_s,
                "outcomes": dict(self.outcomes.most_common()), "unique_outcomes": len(self.outcomes),
                "findings": self.findings, "contained": self.contained[:50],
                "contained_total": len(self.contained)}

    def write_summary(self) -> None:
        (self.out / "summary.json").write_text(json.dumps(self.summary(), indent=2), encoding="utf-8")


# ---- mutation engines ------------------------------------------------------------------------


PDF_TOKENS = [b"obj", b"endobj", b"stream", b"endstream", b"xref", b"trailer", b"startxref", b"/Length",
              b"/Filter", b"/FlateDecode", b"/Type", b"/Page", b"/Pages", b"/Kids", b"/Count", b"/Font",
              b"/ToUnicode", b"/Encrypt", b"/Root", b"<<", b">>", b"[", b"]", b"R", b"0", b"-1", b"99999999",
              b"%%EOF", b"BT", b"ET", b"Tj", b"TJ", b"Tf", b"/Resources", b"/Contents", b"/MediaBox"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Stdlib mutations: flips, random bytes, PDF tokens, cuts, duplicated and dropped spans."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            buf = bytearray(b"%PDF-1.7\n")
        op = rng.randrange(7)
        at = rng.randrange(len(buf))
        if op == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[at:at + rng.randint(1, 16)] = os.urandom(rng.randint(1, 16))
        elif op == 2:
            buf[at:at] = rng.choice(PDF_TOKENS) + b" "
        elif op == 3 and rng.random() < 0.3:
            del buf[at:]
        elif op == 4:
            span = bytes(buf[at:at + rng.randint(1, 4096)])
            buf[rng.randrange(len(buf)):0] = span * rng.randint(1, 4)
        elif op == 5:
            del buf[at:at + rng.randint(1, 4096)]
        else:
            for m in range(rng.randint(1, 4)):  # change a number: lengths, offsets, counts
                digits = [i for i in range(max(0, at - 200), min(len(buf), at + 200)) if 48 <= buf[i] <= 57]
                if digits:
                    i = rng.choice(digits)
                    buf[i] = rng.choice(b"0123456789")
    return bytes(buf)


def run_random(harness: Harness, seeds: list[bytes], seconds: float, seed: int) -> None:
    rng = random.Random(seed)
    for data in seeds:  # the unmutated seeds first: they must all read
        harness.run(data)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = rng.choice(seeds)
        if rng.random() < 0.1:  # splice two seeds
            other = rng.choice(seeds)
            data = data[: rng.randrange(len(data))] + other[rng.randrange(len(other)):]
        harness.run(mutate(data, rng))


def instrument_guide() -> None:
    """atheris only sees coverage of Python code in this process, and the loader parses in a
    child. So that libFuzzer can tell structurally new inputs apart, the same bytes are also
    parsed here by pypdf (pure Python, instrumented): its code coverage guides the mutations.
    Must run before anything imports pypdf."""
    import atheris

    with atheris.instrument_imports(include=["pypdf"]):
        import pypdf  # noqa: F401


def guide(data: bytes) -> None:
    import io
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        for page in reader.pages[:1]:
            page.extract_text()
    except Exception:
        pass


def run_atheris(harness: Harness, seed_files: list[Path], seconds: float, out: Path) -> None:
    import atheris

    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in seed_files:
        target = corpus / path.name
        if not target.exists():
            target.write_bytes(path.read_bytes())

    def target(data: bytes) -> None:
        guide(data)
        outcome = harness.run(data)
        if outcome.startswith(("CRASH", "HANG")):
            harness.write_summary()
            raise RuntimeError(f"loader finding: {outcome}")  # libFuzzer saves the input and stops

    args = [sys.argv[0], str(corpus), f"-max_total_time={int(seconds)}", f"-timeout={int(harness.timeout_s * 3 + 30)}",
            "-max_len=400000", "-rss_limit_mb=4096", "-print_final_stats=1"]
    import atexit

    atexit.register(harness.write_summary)
    atheris.Setup(args, target)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600, help="how long to fuzz (default 600)")
    ap.add_argument("--engine", choices=["auto", "atheris", "random"], default="auto")
    ap.add_argument("--timeout", type=float, default=10.0, help="reader stall limit per input, seconds")
    ap.add_argument("--memory-mb", type=int, default=1024, help="address-space limit of the reader child")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "random"
    args.out.mkdir(parents=True, exist_ok=True)
    if engine == "atheris":
        instrument_guide()
    seed_files = make_seeds(args.out / "seeds")
    harness = Harness(args.out, args.timeout, args.memory_mb)
    print(f"fuzzing the loader for {args.seconds:g} s with {engine}; {len(seed_files)} seeds; out: {args.out}",
          file=sys.stderr)
    try:
        if engine == "atheris":
            run_atheris(harness, seed_files, args.seconds, args.out)
        else:
            run_random(harness, [p.read_bytes() for p in seed_files], args.seconds, args.seed)
    finally:
        harness.write_summary()
        harness.worker.close()
    summary = harness.summary()
    summary["engine"] = engine
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k != "contained"}, indent=2))
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
