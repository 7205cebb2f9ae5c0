"""EPUB books (2 and 3): the ZIP's XHTML documents read in spine order.

META-INF/container.xml names the package file (OPF); its manifest and spine give the content
documents in reading order, and the table of contents (the NCX, or the EPUB 3 navigation
document) gives each document's title. Every content document is a chapter: its headings
are the outline, and one that starts without a heading opens with its title from the table of
contents (its own headings then number below it), so a citation reads
`book.epub §4.2 "Spine order" ¶3`.

A book locked by DRM (an encryption.xml that encrypts more than fonts, Adobe's rights.xml,
Readium LCP's license, Apple's sinf.xml) fails with a clear message instead of yielding
ciphertext. XML is parsed without entities, DTDs or the network.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

from rag.errors import CorruptDocumentError, DocumentError, DrmProtectedError, NotADocumentError
from rag.ingest.readers.html_page import decode_html, html_blocks, parse_html
from rag.ingest.readers.sections import Block, SectionDocument, section_pages
from rag.ingest.readers.zipped import SafeZip

WHAT = "EPUB book"
DAMAGED = "the EPUB is damaged or truncated (its ZIP archive cannot be read); re-download it"
# Font obfuscation is not DRM: the text stays readable.
FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
DRM_FILES = {"META-INF/rights.xml": "Adobe DRM", "META-INF/license.lcpl": "Readium LCP DRM",
             "META-INF/sinf.xml": "Apple FairPlay DRM"}
CONTENT_TYPES = {"application/xhtml+xml", "text/html", "application/xml", "text/xml"}


def _xml(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True,
                             remove_comments=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _all(root, name: str):
    return [el for el in root.iter() if _local(el.tag) == name]


def _resolve(base_dir: str, href: str) -> str:
    href = unquote(href.split("#", 1)[0])
    return posixpath.normpath(posixpath.join(base_dir, href)) if href else ""


def check_drm(archive: SafeZip, path: Path) -> None:
    for name, kind in DRM_FILES.items():
        if archive.has(name):
            raise DrmProtectedError(path, f"the EPUB is locked by DRM ({kind}), so its text cannot be read; add a "
                                          "DRM-free copy of the book")
    if archive.has("META-INF/encryption.xml"):
        root = _xml(archive.read("META-INF/encryption.xml"))
        if root is None:
            return
        for method in _all(root, "EncryptionMethod"):
            if method.get("Algorithm", "") not in FONT_OBFUSCATION:
                raise DrmProtectedError(path)


class EpubDocument(SectionDocument):
    def __init__(self, path: Path):
        archive = SafeZip(path, WHAT, DAMAGED)
        try:
            check_drm(archive, path)
            pages = section_pages(self._blocks(archive, path), path)
        except (DocumentError, MemoryError):
            raise
        except Exception as exc:  # lxml or zipfile on a damaged part
            raise CorruptDocumentError(path, f"{DAMAGED} ({type(exc).__name__}: {str(exc)[:160]})") from None
        finally:
            archive.close()
        super().__init__(path, "epub", pages)

    def _blocks(self, archive: SafeZip, path: Path) -> Iterator[Block]:
        if not archive.has("META-INF/container.xml"):
            raise NotADocumentError(path, f"not an {WHAT} (a ZIP archive without META-INF/container.xml); check "
                                          "that this is the document you meant")
        container = _xml(archive.read("META-INF/container.xml"))
        rootfiles = [el.get("full-path", "") for el in _all(container, "rootfile")] if container is not None else []
        opf_name = next((r for r in rootfiles if archive.has(r)), None)
        if opf_name is None:
            raise CorruptDocumentError(path, "the EPUB's package file (named in META-INF/container.xml) is missing "
                                             "or unreadable; re-download the book")
        opf = _xml(archive.read(opf_name))
        if opf is None:
            raise CorruptDocumentError(path, f"the EPUB's package file {opf_name} cannot be read; re-download the book")
        base = posixpath.dirname(opf_name)
        manifest = {}
        for item in _all(opf, "item"):
            manifest[item.get("id", "")] = (_resolve(base, item.get("href", "")), item.get("media-type", ""),
                                            item.get("properties", ""))
        spine = next(iter(_all(opf, "spine")), None)
        order = [manifest[ref.get("idref", "")] for ref in _all(spine, "itemref")
                 if ref.get("idref", "") in manifest] if spine is not None else []
        titles = self._titles(archive, manifest, spine)
        for href, media, _ in order:
            if media not in CONTENT_TYPES or not archive.has(href):
                continue
            text, _ = decode_html(archive.read(href))
            root = parse_html(text)
            blocks = list(html_blocks(root)) if root is not None else []
            if not blocks:
                continue
            if not blocks[0].level and titles.get(href):
                # the chapter's title heads it; its own headings become its sections
                top = min((b.level for b in blocks if b.level), default=2)
                blocks = [Block(titles[href], 1)] + [Block(b.text, min(9, b.level - top + 2)) if b.level else b
                                                     for b in blocks]
            yield from blocks

    @staticmethod
    def _titles(archive: SafeZip, manifest: dict, spine) -> dict[str, str]:
        """Content document -> its first title in the table of contents (NCX, else nav)."""
        titles: dict[str, str] = {}
        ncx_id = spine.get("toc", "") if spine is not None else ""
        ncx = manifest.get(ncx_id) or next((m for m in manifest.values() if m[1] == "application/x-dtbncx+xml"),
                                           None)
        if ncx and archive.has(ncx[0]):
            root = _xml(archive.read(ncx[0]))
            base = posixpath.dirname(ncx[0])
            for point in _all(root, "navPoint") if root is not None else []:
                label = next((" ".join("".join(t.itertext()).split()) for t in _all(point, "text")), "")
                content = next(iter(_all(point, "content")), None)
                if content is not None and label:
                    titles.setdefault(_resolve(base, content.get("src", "")), label)
            if titles:
                return titles
        nav = next((m for m in manifest.values() if "nav" in m[2].split()), None)
        if nav and archive.has(nav[0]):
            root = parse_html(decode_html(archive.read(nav[0]))[0])
            base = posixpath.dirname(nav[0])
            for a in root.iter("a") if root is not None else []:
                label = " ".join(a.text_content().split())
                if a.get("href") and label:
                    titles.setdefault(_resolve(base, a.get("href")), label)
        return titles
