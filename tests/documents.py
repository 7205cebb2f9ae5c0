"""Real DOCX, EPUB and HTML files for the tests (and the benchmarks), built here.

DOCX by python-docx (what Word reads); EPUB 3 by hand as the spec lays it out (mimetype
first and stored, container.xml, an OPF with manifest and spine, an NCX and a navigation
document); HTML as text in a chosen encoding.

A document is given as sections: (heading level, title, [paragraphs]); level 0 with an
empty title is text before the first heading.
"""

from __future__ import annotations

import html
import zipfile
from pathlib import Path
from typing import Sequence

Section = tuple[int, str, Sequence[str]]

GUIDE: list[Section] = [
    (0, "", ["This guide explains how to set up the Zephyr router at home."]),
    (1, "Getting started", ["Unpack the router and place it near a window for a clear signal."]),
    (1, "Installing", ["Connect the blue cable to port WAN2 before powering on.",
                       "Hold the reset button for ten seconds to restore the factory settings."]),
    (2, "Firmware", ["The firmware image is signed; the router refuses an unsigned image.",
                     "Updates are checked every night at three in the morning.",
                     "A failed update rolls back to the previous image automatically.",
                     "The admin console listens on port 8443 and asks for the device password."]),
    (2, "Wireless", ["The wireless network name is printed on the label under the rubber foot."]),
    (1, "Troubleshooting", ["If the green lamp blinks, the uplink is down; check the cable on port WAN2."]),
]

CHINESE: list[Section] = [
    (1, "安装指南", ["路由器的管理端口是八四四三，请在浏览器中打开它。", "首次登录时需要输入设备背面的密码。"]),
    (2, "固件升级", ["固件镜像经过签名，路由器会拒绝未签名的镜像。", "升级失败时会自动回滚到上一个版本。"]),
]


def make_docx(path: Path, sections: Sequence[Section] = GUIDE, table: Sequence[Sequence[str]] = ()) -> Path:
    import docx

    document = docx.Document()
    for level, title, paragraphs in sections:
        if title:
            document.add_heading(title, level=level)
        for text in paragraphs:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, cells in enumerate(table):
            for c, text in enumerate(cells):
                grid.cell(r, c).text = text
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def xhtml(title: str, body: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
            f"<head><title>{html.escape(title)}</title><style>p {{ margin: 0 }}</style></head>"
            f"<body>{body}</body></html>")


def section_html(sections: Sequence[Section], heading_in_body: bool = True) -> str:
    out = []
    for level, title, paragraphs in sections:
        if title and heading_in_body:
            out.append(f"<h{level}>{html.escape(title)}</h{level}>")
        out += [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    return "".join(out)


def make_epub(path: Path, chapters: Sequence[tuple[str, Sequence[Section]]], headings_in_body: bool = True,
              encryption: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """`chapters`: (table-of-contents title, sections) per content document. `encryption`:
    an algorithm URI to list in META-INF/encryption.xml for chapter 1 (DRM or font obfuscation)."""
    items, refs, points, links = [], [], [], []
    files: dict[str, bytes] = {}
    for i, (title, sections) in enumerate(chapters, start=1):
        name = f"text/chap{i}.xhtml"
        files[f"OEBPS/{name}"] = xhtml(title, section_html(sections, headings_in_body)).encode("utf-8")
        items.append(f'<item id="c{i}" href="{name}" media-type="application/xhtml+xml"/>')
        refs.append(f'<itemref idref="c{i}"/>')
        points.append(f'<navPoint id="p{i}" playOrder="{i}"><navLabel><text>{html.escape(title)}</text></navLabel>'
                      f'<content src="{name}"/></navPoint>')
        links.append(f'<li><a href="{name}">{html.escape(title)}</a></li>')
    files["OEBPS/nav.xhtml"] = xhtml("Contents", f'<nav epub:type="toc"><ol>{"".join(links)}</ol></nav>').encode()
    files["OEBPS/toc.ncx"] = ('<?xml version="1.0" encoding="utf-8"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"'
                              f' version="2005-1"><navMap>{"".join(points)}</navMap></ncx>').encode()
    files["OEBPS/content.opf"] = (
        '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">'
        'urn:uuid:rag-desk-test</dc:identifier><dc:title>Test book</dc:title><dc:language>en</dc:language>'
        '</metadata><manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
        '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
        f'{"".join(items)}</manifest><spine toc="ncx">{"".join(refs)}</spine></package>').encode()
    files["META-INF/container.xml"] = (
        '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
        '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        '</rootfiles></container>').encode()
    if encryption:
        files["META-INF/encryption.xml"] = (
            '<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
            f'<enc:EncryptionMethod Algorithm="{encryption}"/><enc:CipherData>'
            '<enc:CipherReference URI="OEBPS/text/chap1.xhtml"/></enc:CipherData></enc:EncryptedData>'
            '</encryption>').encode()
    files.update(extra or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), b"application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            z.writestr(name, data)
    return path


def make_html(path: Path, sections: Sequence[Section] = GUIDE, encoding: str = "utf-8", declare: bool = True,
              title: str = "Guide") -> Path:
    meta = f'<meta charset="{encoding}">' if declare else ""
    page = (f"<!DOCTYPE html><html><head>{meta}<title>{html.escape(title)}</title>"
            "<script>document.write('script text must not be indexed')</script>"
            "<style>body { color: red }</style></head><body><nav><a href='/'>Home</a> | <a href='/a'>About</a></nav>"
            f"{section_html(sections)}</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(page.encode(encoding))
    return path


def zip_bomb(path: Path, member: str, size: int = 64 << 20, base: Path | None = None) -> Path:
    """A copy of the ZIP `base` (or a new archive) with `member` of `size` zero bytes added:
    deflate packs it about 1000 to 1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        if base is not None:
            with zipfile.ZipFile(base) as src:
                for info in src.infolist():
                    if info.filename != member:
                        out.writestr(info, src.read(info))
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w") as f:
            chunk = bytes(1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
    return path
