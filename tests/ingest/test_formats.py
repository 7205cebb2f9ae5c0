"""DOCX, EPUB and HTML: real files built by the tests, read into sections cited by location."""

from __future__ import annotations

import codecs
import unicodedata
import zipfile

import pytest

from documents import CHINESE, GUIDE, make_docx, make_epub, make_html
from rag.ingest.readers import open_document
from rag.ingest.readers.sections import Block, Outline, section_pages


def labels(doc) -> list[str]:
    return [page.sections[0][1] for page in doc.pages()]


def assert_offsets_index_raw(page) -> None:
    """Every cleaned character comes from the raw text at its offset (what highlights rely on)."""
    assert len(page.offsets) == len(page.text) + 1
    for i, ch in enumerate(page.text):
        if not ch.isspace():
            assert ch in unicodedata.normalize("NFKC", page.raw[page.offsets[i]]), (i, ch)  # NFKC: ， -> ,


def test_docx_headings_become_numbered_sections_and_paragraphs_are_counted(tmp_path):
    doc = open_document(make_docx(tmp_path / "guide.docx", GUIDE, table=[["Key", "Value"], ["port", "8443"]]))
    assert doc.kind == "docx" and doc.page_count == 6
    assert labels(doc) == ['¶1', '§1 "Getting started"', '§2 "Installing"', '§2.1 "Firmware"', '§2.2 "Wireless"',
                           '§3 "Troubleshooting"']
    pages = list(doc.pages())
    firmware = pages[3]
    at = firmware.text.index("The admin console listens")
    label = [lab for pos, lab in firmware.sections if pos <= at][-1]
    assert label == '§2.1 "Firmware" ¶4'
    assert firmware.raw.startswith("Firmware\n\nThe firmware image is signed")
    # table rows are paragraphs of their section, cells joined
    assert pages[5].raw.endswith("Key | Value\n\nport | 8443")
    for page in pages:
        assert_offsets_index_raw(page)


def test_epub_is_read_in_spine_order_with_chapter_titles_from_the_table_of_contents(tmp_path):
    path = make_epub(tmp_path / "book.epub", [("Chapter One", GUIDE[:3]), ("Chapter Two", CHINESE)])
    # put the spine in the opposite order of the manifest: reading follows the spine
    with zipfile.ZipFile(path) as z:
        files = {i.filename: z.read(i) for i in z.infolist()}
    opf = files["OEBPS/content.opf"].decode()
    files["OEBPS/content.opf"] = opf.replace('<itemref idref="c1"/><itemref idref="c2"/>',
                                             '<itemref idref="c2"/><itemref idref="c1"/>').encode()
    assert files["OEBPS/content.opf"] != opf.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    doc = open_document(path)
    assert doc.kind == "epub"
    assert labels(doc) == ['§1 "安装指南"', '§1.1 "固件升级"', '§2 "Chapter One"', '§2.1 "Getting started"',
                           '§2.2 "Installing"']
    pages = list(doc.pages())
    assert "路由器的管理端口是八四四三" in pages[0].text  # Chinese text read as UTF-8
    assert "Home" not in " ".join(p.text for p in pages)  # the navigation document is not text
    for page in pages:
        assert_offsets_index_raw(page)


def test_epub_chapter_without_headings_takes_its_title_from_the_ncx(tmp_path):
    doc = open_document(make_epub(tmp_path / "bare.epub", [("The First Part", GUIDE[1:3])], headings_in_body=False))
    (page,) = doc.pages()
    assert page.sections[0][1] == '§1 "The First Part"' and page.sections[-1][1] == '§1 "The First Part" ¶3'


def test_epub_font_obfuscation_is_not_drm(tmp_path):
    path = make_epub(tmp_path / "fonts.epub", [("One", GUIDE[:2])], encryption="http://www.idpf.org/2008/embedding")
    assert open_document(path).page_count == 2


def test_html_drops_scripts_styles_and_navigation(tmp_path):
    doc = open_document(make_html(tmp_path / "guide.html"))
    text = " ".join(p.text for p in doc.pages())
    assert doc.kind == "html" and labels(doc)[1:3] == ['§1 "Getting started"', '§2 "Installing"']
    assert "port WAN2" in text
    for junk in ("script text", "color: red", "About", "Guide"):  # <title> is not body text either
        assert junk not in text


@pytest.mark.parametrize("encoding,declare", [("gbk", False), ("gb2312", True), ("big5", False),
                                              ("utf-8-sig", False), ("utf-16", False)])
def test_html_encoding_is_detected(tmp_path, encoding, declare):
    sections = [(1, "安裝指南" if encoding == "big5" else "安装指南",
                 ["路由器的管理端口是八四四三，请在浏览器中打开它，然后输入设备背面的密码。" * 3])]
    if encoding == "big5":
        sections = [(1, "安裝指南", ["路由器的管理連接埠是八四四三，請在瀏覽器中打開它，然後輸入設備背面的密碼。" * 3])]
    path = make_html(tmp_path / "zh.html", sections, encoding if encoding != "utf-16" else "utf-16", declare)
    if encoding == "utf-16":
        assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    (page,) = open_document(path).pages()
    assert page.sections[0][1] == f'§1 "{sections[0][1]}"'
    assert sections[0][2][0] in page.raw and "八四四三" in page.text


def test_outline_numbers_nested_and_skipped_levels():
    outline = Outline()
    assert [outline.number(level) for level in (1, 2, 2, 3, 1, 3, 1)] == ["1", "1.1", "1.2", "1.2.1", "2", "2.1",
                                                                          "3"]


def test_a_long_section_is_cut_into_page_sized_parts_at_paragraph_boundaries(tmp_path):
    paragraphs = [f"Paragraph {i} explains option number {i} of the plotting program in some detail." * 4
                  for i in range(1, 41)]
    pages = section_pages([Block("Options", 1), *(Block(p) for p in paragraphs)], tmp_path / "x.html",
                          part_chars=3000)
    assert len(pages) > 3 and [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert all(len(p.raw) < 3000 + len(paragraphs[0]) + 2 for p in pages)
    assert all(p.sections[0][1].startswith('§1 "Options"') for p in pages)
    # paragraph numbers run on across the parts of one section
    assert pages[1].sections[0][1] == f'§1 "Options" ¶{len(pages[0].sections)}'
    assert pages[1].raw.startswith(paragraphs[len(pages[0].sections) - 1])


def test_headings_without_text_share_a_page_with_the_next_section(tmp_path):
    pages = section_pages([Block("Part I", 1), Block("Chapter 1", 2), Block("Text of chapter one.")],
                          tmp_path / "x.html")
    assert len(pages) == 1
    assert [lab for _, lab in pages[0].sections] == ['§1 "Part I"', '§1.1 "Chapter 1"', '§1.1 "Chapter 1" ¶1']


def test_pages_cross_to_the_reader_child_intact(tmp_path):
    """Readers run in the reader child: their pages (with raw text and sections) are pickled."""
    from rag.ingest.worker import ParserProcess

    reader = ParserProcess(timeout_s=60, memory_mb=2048)
    try:
        for path in (make_docx(tmp_path / "g.docx"), make_epub(tmp_path / "b.epub", [("One", GUIDE)]),
                     make_html(tmp_path / "g.html")):
            local = list(open_document(path).pages())
            doc = reader.open(path, "pdfium")
            remote = list(doc.pages())
            doc.close()
            assert doc.page_count == len(local) and remote == local and remote[0].raw
    finally:
        reader.close()


def test_a_section_a_little_over_a_page_stays_whole_and_long_ones_are_cut_evenly(tmp_path):
    def section(chars: int) -> list[Block]:
        words = ("The plotting program draws the graph with the options given. " * (chars // 60 + 1))
        return [Block(words[i:i + 200].strip()) for i in range(0, chars, 200)]

    # 1.2 pages: one page (a cut at 3,000 characters left a tail page of two paragraphs)
    pages = section_pages([Block("Options", 1), *section(3600)], tmp_path / "x.html", part_chars=3000)
    assert len(pages) == 1 and len(pages[0].sections) == 1 + 18
    # 2.1 pages: three parts of about equal size, none of them a stray paragraph
    pages = section_pages([Block("Options", 1), *section(6300), Block("Next", 1), Block("Short text.")],
                          tmp_path / "x.html", part_chars=3000)
    parts = [p for p in pages if p.sections[0][1].startswith('§1 "Options"')]
    assert len(parts) == 3 and len(pages) == 4
    sizes = [len(p.raw) for p in parts]
    assert max(sizes) - min(sizes) <= 450 and all(size <= 3000 + 202 for size in sizes)
    assert pages[3].sections[0][1] == '§2 "Next"' and "Short text." in pages[3].raw
