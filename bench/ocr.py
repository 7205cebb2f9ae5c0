"""`./desk bench ocr`: OCR engines on rasterised pages of real corpus PDFs (speed and character
accuracy against the PDF's own text layer), and `rag-cli ingest` of the scanned PDF."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from .suites import RESULTS, ROOT, _cli, corpus, empty_home, row

OCR_SOURCES = {"en": ("gnuplot.pdf", 1200), "zh": ("lshort-zh-cn.pdf", 500)}  # file, min characters on a page
OCR_PAGES = 6  # per language


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time (insertions by a running minimum)."""
    import numpy as np

    if not a or not b:
        return len(a) + len(b)
    codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    cols = np.arange(len(b) + 1)
    prev = cols.copy()
    for i, ch in enumerate(a, start=1):
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (codes != ord(ch)))
        prev = np.minimum.accumulate(cur - cols) + cols
    return int(prev[-1])


def _ocr_norm(text: str, spaces: bool) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    cjk = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
    text = re.sub(f"\\s+(?=[{cjk}])|(?<=[{cjk}])\\s+", "", text)  # no spaces next to Chinese
    return " ".join(text.split()) if spaces else "".join(text.split())


def char_accuracy(ocr: str, reference: str, spaces: bool = True) -> float:
    """1 - edit distance / reference length, after NFKC and white-space normalisation."""
    a, b = _ocr_norm(ocr, spaces), _ocr_norm(reference, spaces)
    return max(0.0, 1 - edit_distance(a, b) / max(1, len(b)))


def ocr_pages() -> tuple[Path, list[tuple[str, str]]]:
    """An image-only, scan-like PDF of real English and Chinese text pages, and for each of its
    pages (language, the original text layer)."""
    import pypdfium2 as pdfium

    sys.path.insert(0, str(ROOT / "tests"))
    from pdfs import rasterise_pdf

    files = corpus()
    out = RESULTS / "ocr-scan.pdf"
    combined = pdfium.PdfDocument.new()
    truth: list[tuple[str, str]] = []
    for lang, (name, min_chars) in OCR_SOURCES.items():
        src = pdfium.PdfDocument(str(files[name]))
        chosen = []
        for index in range(20, len(src), 7):
            text = src[index].get_textpage().get_text_range()
            if len("".join(text.split())) >= min_chars:
                chosen.append(index)
                truth.append((lang, text))
            if len(chosen) == OCR_PAGES:
                break
        combined.import_pages(src, chosen)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text_pdf = RESULTS / "ocr-source.pdf"
    combined.save(str(text_pdf))
    rasterise_pdf(text_pdf, out, dpi=200, scan_like=True)
    return out, truth


def bench_ocr():
    """OCR pages/s and character accuracy per engine on scan-like renderings of real pages, and
    the end-to-end ingest of the scanned PDF with the default settings."""
    import pypdfium2 as pdfium

    from rag import OcrError
    from rag.ingest.ocr import get_engine, render_page

    pdf_path, truth = ocr_pages()
    pdf = pdfium.PdfDocument(str(pdf_path))
    images = [render_page(pdf[i]) for i in range(len(pdf))]  # exactly what ingestion OCRs
    for name in ("rapidocr", "tesseract"):
        t0 = time.perf_counter()
        try:
            engine = get_engine(name)
        except OcrError as exc:
            yield row(f"{name}: not available", str(exc)[:60])
            continue
        yield row(f"{name}: engine load (s)", round(time.perf_counter() - t0, 2))
        engine.read(images[0].crop((0, 0, 400, 200)))  # warm-up
        for lang in OCR_SOURCES:
            seconds, exact, no_space = 0.0, [], []
            for image, (page_lang, reference) in zip(images, truth):
                if page_lang != lang:
                    continue
                t0 = time.perf_counter()
                text = engine.read(image, 600)
                seconds += time.perf_counter() - t0
                exact.append(char_accuracy(text, reference))
                no_space.append(char_accuracy(text, reference, spaces=False))
            n = len(exact)
            yield row(f"{name} {lang}: pages/s ({n} pages, {images[0].size[0]}x{images[0].size[1]} px)",
                      round(n / seconds, 3))
            yield row(f"{name} {lang}: char accuracy mean / min", f"{statistics.mean(exact):.3f}/{min(exact):.3f}")
            yield row(f"{name} {lang}: char accuracy ignoring spaces", f"{statistics.mean(no_space):.3f}")
    home = empty_home(RESULTS / "home-ocr")
    t0 = time.perf_counter()
    proc = _cli("ingest", pdf_path, home=home)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    yield row(f"rag-cli ingest of the {len(pdf)}-page scan (default settings): wall s", round(wall, 1))
    yield row("  ... pages/s end to end incl. start-up and embedding", round(len(pdf) / wall, 3))
