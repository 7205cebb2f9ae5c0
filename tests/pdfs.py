"""Make real PDFs in tests: English and Chinese text (CID fonts need no font files),
encrypted ones, image-only ones, damaged ones."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def make_pdf(path: Path, pages: list[list[str]], encrypt=None) -> Path:
    """One list of lines per page; lines wrap at ~90 characters (or 40 CJK characters)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for lines in pages:
        y = 800
        for line in lines:
            cjk = _is_cjk(line)
            c.setFont("STSong-Light" if cjk else "Helvetica", 11)
            width = 40 if cjk else 90
            pieces = [line[i : i + width] for i in range(0, len(line), width)] if cjk else _wrap(line, width)
            for piece in pieces or [""]:
                c.drawString(60, y, piece)
                y -= 16
                if y < 60:
                    c.showPage()
                    c.setFont("STSong-Light" if cjk else "Helvetica", 11)
                    y = 800
        c.showPage()
    c.save()
    return path


def _wrap(line: str, width: int) -> list[str]:
    words, out, cur = line.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        out.append(cur)
    return out


def make_image_only_pdf(path: Path, pages: int = 2) -> Path:
    """A 'scanned' PDF: pages that hold only drawn shapes, no text layer."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for i in range(pages):
        for j in range(30):
            c.rect(60 + (j % 5) * 90, 100 + (j // 5) * 100, 80, 60, fill=1)
        c.showPage()
    c.save()
    return path


FILLER_EN = [
    "Routers forward packets between networks and keep tables of reachable destinations.",
    "Each interface can be enabled or disabled from the management console.",
    "Firmware updates are published every quarter and should be applied promptly.",
    "Logs are rotated daily and kept for thirty days before they are deleted.",
]

SAMPLE_PAGES = [
    ["Chapter 1. Introduction",
     "The Zephyr router is a small network appliance for homes and offices.", *FILLER_EN],
    ["Chapter 2. Network settings",
     "The default port of the admin console is 8443. Change it with the option set_admin_port.",
     "The console only accepts HTTPS connections from the local network.", *FILLER_EN[:2]],
    ["第三章 电源",
     "本设备的额定电压为十二伏特，额定功率为十八瓦。请勿在潮湿环境中使用本设备。",
     "如果设备过热，请断开电源并等待十分钟后再重新启动。"],
    ["Chapter 4. Troubleshooting",
     "If the status light blinks red, the device failed its self test; hold the reset button for ten seconds.",
     *FILLER_EN[2:]],
]


def make_sample_pdf(path: Path) -> Path:
    return make_pdf(path, SAMPLE_PAGES)


def rasterise_pdf(src: Path, out: Path, keep_text: set[int] = frozenset(), dpi: int = 200,
                  scan_like: bool = False) -> Path:
    """A copy of `src` whose pages are pictures only (no text layer), as a scanner makes them,
    except the 1-based pages in `keep_text`, which keep their text layer (a mixed PDF).
    `scan_like` adds what scanning does: a slight tilt, sensor noise and JPEG compression."""
    import io

    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(str(src))
    images = []
    for index in range(len(doc)):
        image = _page_picture(doc[index], dpi)
        if scan_like:
            image = _scan_like(image, seed=index)
        images.append(image)
    scanned = out.with_name(out.stem + ".images.pdf")
    images[0].save(scanned, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    if not keep_text:
        scanned.replace(out)
        return out
    pictures = pdfium.PdfDocument(str(scanned))
    mixed = pdfium.PdfDocument.new()
    for index in range(len(doc)):
        mixed.import_pages(doc if index + 1 in keep_text else pictures, [index])
    buf = io.BytesIO()
    mixed.save(buf)
    pictures.close()
    scanned.unlink()
    out.write_bytes(buf.getvalue())
    return out


def _page_picture(page, dpi: int):
    """A page as a scanner sees it. PDFium draws Latin text with its built-in fonts, but CJK
    text in a non-embedded CID font (what reportlab writes) needs a CJK font installed on the
    system; such pages are drawn here instead, line by line, with Noto Sans SC from the
    `pylopdf-fonts-zh-cn` wheel (a dev extra), so no system font is needed."""
    from PIL import Image, ImageDraw, ImageFont

    textpage = page.get_textpage()
    text = textpage.get_text_range()
    textpage.close()
    if not _is_cjk(text):
        return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    from pylopdf_fonts_zh_cn import sans_path

    scale = dpi / 72
    width, height = page.get_size()
    image = Image.new("L", (round(width * scale), round(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(sans_path()), round(11 * scale))
    y = (height - 800 - 11) * scale  # make_pdf's first baseline is 800 pt from the bottom
    for line in text.splitlines():
        draw.text((60 * scale, y), line.strip(), font=font, fill=0)
        y += 16 * scale
    return image


def _scan_like(image, seed: int):
    import io
    import random

    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    image = image.rotate(rng.uniform(-0.6, 0.6), resample=Image.BICUBIC, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += np.random.default_rng(seed).normal(0, 12, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=70)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def make_garbled_pdf(path: Path, pages: list[list[str]], target: str = "private-use") -> Path:
    """A PDF whose text layer is garbage, as broken exporters make them: the text is drawn in an
    embedded TrueType font (so it renders fine) whose ToUnicode map sends every glyph to
    Unicode that means nothing: `private-use` (U+E000...), `control` (U+0001...) or
    `replacement` (U+FFFD). Viewers show the right words; copy/paste and text extraction get junk."""
    import os

    import reportlab
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject
    from reportlab.pdfbase.ttfonts import TTFont

    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")))
    plain = path.with_name(path.stem + ".plain.pdf")
    c = canvas.Canvas(str(plain), pagesize=A4)
    for lines in pages:
        c.setFont("Vera", 11)
        y = 800
        for line in lines:
            for piece in _wrap(line, 90) or [""]:
                c.drawString(60, y, piece)
                y -= 16
        c.showPage()
    c.save()
    first = {"private-use": 0xE000, "control": 0x0001, "replacement": 0xFFFD}[target]
    if target == "replacement":
        ranges = "1 beginbfrange\n<00> <FF> <FFFD>\nendbfrange\n"  # one target for all codes
        ranges = "".join(f"1 beginbfchar\n<{code:02X}> <FFFD>\nendbfchar\n" for code in range(256))
    elif target == "control":
        ranges = "".join(f"1 beginbfchar\n<{code:02X}> <{1 + code % 8:04X}>\nendbfchar\n" for code in range(256))
    else:
        ranges = f"1 beginbfrange\n<00> <FF> <{first:04X}>\nendbfrange\n"
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Garbage def "
            "/CMapType 2 def 1 begincodespacerange <00> <FF> endcodespacerange\n"
            f"{ranges}endcmap CMapName currentdict /CMap defineresource pop end end")
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    for page in writer.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if font.get("/Subtype") == "/TrueType":
                stream = DecodedStreamObject()
                stream.set_data(cmap.encode("ascii"))
                font[NameObject("/ToUnicode")] = writer._add_object(stream)
    with path.open("wb") as f:
        writer.write(f)
    plain.unlink()
    return path


def make_many_pages_pdf(path: Path, pages: int, words: str = "Page {n} of a long register: entry {n}.") -> Path:
    """A PDF of `pages` tiny pages, each with a few words (and its page number), built by
    drawing one small page per page: a stand-in for a 2,000-page manual that stays small."""
    c = canvas.Canvas(str(path), pagesize=(200, 100))
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 9)
        c.drawString(10, 50, words.format(n=n))
        c.showPage()
    c.save()
    return path
