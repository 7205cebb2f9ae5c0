"""OCR for PDF pages that have no (or almost no) text layer: scanned pages.

A page is rendered with PDFium and read by an offline OCR engine:
- `rapidocr` (default): rapidocr-onnxruntime, PP-OCRv4 detection + recognition models for
  Chinese and English that ship inside the PyPI wheel and run on ONNX Runtime;
- `tesseract`: the system's `tesseract` program (with `eng` and/or `chi_sim` data), used
  only when it is chosen or when rapidocr is not installed.

The engine is loaded once per process (the parse worker keeps it for every file it reads).
Nothing here touches the network; nothing imports Qt (the OpenCV that rapidocr uses is the
headless build, see pyproject.toml).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from dataclasses import dataclass
from typing import Protocol

from rag.errors import OcrError, OcrTimeoutError, OcrUnavailableError
from rag.ingest.page import ProgressCallback

ENGINES = ("auto", "rapidocr", "tesseract")
RENDER_DPI = 200  # scans are read at up to 200 dpi ...
MAX_SIDE_PX = 2000  # ... but an A4 page is capped at 2000 px on its long side (~170 dpi)
MIN_TEXT_CHARS = 16  # a page whose text layer has fewer non-space characters needs OCR


@dataclass(frozen=True)
class OcrOptions:
    """What the reader does with pages that have no text layer (picklable: it crosses to the
    parse worker)."""

    enabled: bool = True
    engine: str = "auto"  # auto | rapidocr | tesseract
    page_timeout_s: float = 60.0


class OcrEngine(Protocol):
    name: str

    def read(self, image, timeout_s: float | None = None) -> str:
        """The text of a PIL image, lines in reading order separated by newlines."""
        ...


# ---- engines -----------------------------------------------------------------------------


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise OcrUnavailableError(f"the rapidocr OCR engine is not installed ({exc})") from None
        self._ocr = RapidOCR()
        self._lock = threading.Lock()

    def read(self, image, timeout_s: float | None = None) -> str:
        # The time limit is enforced by the caller (the parse worker is killed and restarted).
        with self._lock:
            result, _ = self._ocr(image.convert("RGB"))
        boxes = [(box, text) for box, text, _score in (result or []) if text and text.strip()]
        return lines_from_boxes(boxes)


class TesseractEngine:
    name = "tesseract"
    WANTED = ("eng", "chi_sim")

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("tesseract")
        if not self.binary:
            raise OcrUnavailableError("the tesseract program is not installed (apt-get install tesseract-ocr)")
        try:
            out = subprocess.run([self.binary, "--list-langs"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OcrUnavailableError(f"tesseract does not run ({exc})") from None
        installed = {line.strip() for line in (out.stdout + out.stderr).splitlines()}
        langs = [lang for lang in self.WANTED if lang in installed]
        if not langs:
            raise OcrUnavailableError("tesseract has neither the eng nor the chi_sim language data installed")
        self.languages = "+".join(langs)

    def read(self, image, timeout_s: float | None = None) -> str:
        buf = io.BytesIO()
        image.save(buf, "PNG")
        try:
            proc = subprocess.run([self.binary, "stdin", "stdout", "-l", self.languages, "--psm", "3"],
                                  input=buf.getvalue(), capture_output=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise OcrTimeoutError(f"OCR of the page took longer than {timeout_s:g} s") from None
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise OcrError(f"tesseract failed ({message[-1] if message else proc.returncode})")
        return join_cjk_spaces(proc.stdout.decode("utf-8", "replace"))


_loaded: dict[str, OcrEngine] = {}
_load_lock = threading.Lock()


def get_engine(name: str = "auto") -> OcrEngine:
    """The OCR engine by name, loaded once per process. `auto`: rapidocr, else tesseract."""
    if name not in ENGINES:
        raise OcrUnavailableError(f"unknown OCR engine {name!r}; use auto, rapidocr or tesseract")
    with _load_lock:
        if name in _loaded:
            return _loaded[name]
        if name == "auto":
            try:
                engine = _loaded.get("rapidocr") or RapidOcrEngine()
            except OcrUnavailableError as first:
                try:
                    engine = _loaded.get("tesseract") or TesseractEngine()
                except OcrUnavailableError as second:
                    raise OcrUnavailableError(f"no OCR engine is available: {first}; {second}") from None
        else:
            engine = RapidOcrEngine() if name == "rapidocr" else TesseractEngine()
        _loaded[name] = _loaded[engine.name] = engine
        return engine


# ---- layout ------------------------------------------------------------------------------


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


def _join(left: str, right: str) -> str:
    if not left:
        return right
    if _is_cjk(left[-1]) and _is_cjk(right[0]):
        return left + right
    return f"{left} {right}"


def lines_from_boxes(boxes: list[tuple[list, str]]) -> str:
    """Text boxes (four corner points, text) -> lines in reading order: boxes whose vertical
    middles fall inside one another's span form a line, read left to right."""
    items = []
    for box, text in boxes:
        ys = [p[1] for p in box]
        xs = [p[0] for p in box]
        items.append((min(ys), max(ys), min(xs), text.strip()))
    items.sort(key=lambda it: (it[0], it[2]))
    lines: list[list] = []  # [top, bottom, [(x, text), ...]]
    for top, bottom, left, text in items:
        middle = (top + bottom) / 2
        for line in reversed(lines[-3:]):
            if line[0] <= middle <= line[1] or top <= (line[0] + line[1]) / 2 <= bottom:
                line[2].append((left, text))
                line[0], line[1] = min(line[0], top), max(line[1], bottom)
                break
        else:
            lines.append([top, bottom, [(left, text)]])
    out = []
    for _, _, parts in lines:
        text = ""
        for _, piece in sorted(parts):
            text = _join(text, piece)
        out.append(text)
    return "\n".join(out)


def join_cjk_spaces(text: str) -> str:
    """Tesseract puts a space between Chinese characters; drop spaces between two CJK chars."""
    out = []
    for i, ch in enumerate(text):
        if ch == " " and 0 < i < len(text) - 1 and _is_cjk(text[i - 1]) and _is_cjk(text[i + 1]):
            continue
        out.append(ch)
    return "".join(out)


# ---- pages -------------------------------------------------------------------------------


def visible_chars(text: str) -> int:
    return len("".join(text.split()))


def page_needs_ocr(page, text: str) -> bool:
    """A PDFium page needs OCR when its text layer is (almost) empty while something is drawn
    on it (a scanned image, or text turned into outlines). Blank pages are skipped."""
    if visible_chars(text) >= MIN_TEXT_CHARS:
        return False
    import pypdfium2.raw as pdfium_c

    try:
        return any(obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT for obj in page.get_objects())
    except Exception:
        return True


def render_page(page):
    """A PDFium page as a greyscale PIL image at up to RENDER_DPI, long side <= MAX_SIDE_PX."""
    width, height = page.get_size()
    scale = min(RENDER_DPI / 72, MAX_SIDE_PX / max(width, height, 1))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_pil().copy()
    finally:
        bitmap.close()


class PageOcr:
    """OCR of one document's pages; the engine loads on the first page that needs it (once per
    process), and an engine that cannot load fails every page with the same reason."""

    def __init__(self, options: OcrOptions | None):
        self.options = options if options and options.enabled else None
        self._unavailable: str | None = None

    def __bool__(self) -> bool:
        return self.options is not None

    def read(self, pdfium_page, number: int, on_progress: ProgressCallback | None) -> tuple[str, str]:
        """(raw text, "") or ("", why OCR failed)."""
        if self._unavailable:
            return "", self._unavailable
        try:
            engine = get_engine(self.options.engine)
        except OcrError as exc:
            self._unavailable = str(exc)
            return "", self._unavailable
        if on_progress is not None:
            on_progress("ocr", number)
        try:
            image = render_page(pdfium_page)
            return engine.read(image, self.options.page_timeout_s), ""
        except OcrError as exc:
            return "", str(exc)
        except MemoryError:
            return "", "ran out of memory while reading the page image"
        except Exception as exc:  # an engine bug on one page must not stop the file
            return "", f"{type(exc).__name__}: {exc}"
