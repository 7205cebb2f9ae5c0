import pytest
from reportlab.lib.pdfencrypt import StandardEncryption

from pdfs import SAMPLE_PAGES, make_image_only_pdf, make_pdf, make_sample_pdf
from rag.errors import (
    CorruptPdfError, EmptyFileError, EncryptedPdfError, FileMissingError, NoTextLayerError, NotAPdfError,
)
from rag.ingest.discover import discover
from rag.ingest.readers import open_document


@pytest.mark.parametrize("backend", ["pdfium", "pypdf"])
def test_pdf_pages_numbered_with_text(tmp_path, backend):
    doc = open_document(make_sample_pdf(tmp_path / "s.pdf"), backend)
    pages = list(doc.pages())
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert "admin console is 8443" in pages[1].text
    if backend == "pdfium":  # pypdf garbles some CID-font Chinese; PDFium is the default for this reason
        assert "额定电压为十二伏特" in pages[2].text


def test_offsets_point_into_raw_pdfium_text(tmp_path):
    import pypdfium2 as pdfium

    path = make_sample_pdf(tmp_path / "s.pdf")
    page = list(open_document(path).pages())[1]
    raw = pdfium.PdfDocument(str(path))[1].get_textpage().get_text_range()
    i = page.text.index("8443")
    assert raw[page.offsets[i]: page.offsets[i + 4]] == "8443"


def test_empty_file(tmp_path):
    (tmp_path / "e.pdf").write_bytes(b"")
    with pytest.raises(EmptyFileError, match="e.pdf: the file is empty"):
        open_document(tmp_path / "e.pdf")


def test_png_named_pdf(tmp_path):
    (tmp_path / "pic.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(NotAPdfError, match="pic.pdf: not a PDF file \\(it is a PNG image\\)"):
        open_document(tmp_path / "pic.pdf")


def test_truncated_pdf(tmp_path):
    data = make_sample_pdf(tmp_path / "full.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptPdfError, match="cut.pdf: the PDF is damaged"):
        doc = open_document(tmp_path / "cut.pdf")
        list(doc.pages())


def test_password_protected(tmp_path):
    path = make_pdf(tmp_path / "locked.pdf", SAMPLE_PAGES[:1], encrypt=StandardEncryption("secret", "owner"))
    with pytest.raises(EncryptedPdfError, match="locked.pdf: the PDF is password protected"):
        open_document(path)


def test_owner_password_only_reads_normally(tmp_path):
    path = make_pdf(tmp_path / "owner.pdf", SAMPLE_PAGES[:2], encrypt=StandardEncryption("", "owner"))
    pages = list(open_document(path).pages())
    assert "8443" in pages[1].text


def test_image_only_pdf_says_scanned(tmp_path):
    path = make_image_only_pdf(tmp_path / "scan.pdf")
    with pytest.raises(NoTextLayerError, match="scan.pdf: the PDF has no text layer"):
        list(open_document(path).pages())


def test_markdown_sections(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text("# Setup\nInstall it.\n\n## Ports\nUse port 8443.\n", encoding="utf-8")
    page = next(open_document(md).pages())
    assert page.number == 1
    assert [title for _, title in page.sections] == ["Setup", "Ports"]


def test_discover_folders_and_missing(tmp_path):
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    make_sample_pdf(tmp_path / "docs" / "sub" / "a.pdf")
    (tmp_path / "docs" / "b.txt").write_text("hello")
    (tmp_path / "docs" / "ignore.png").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    files, problems = discover([tmp_path / "docs", tmp_path / "missing.pdf", tmp_path / "empty"])
    assert sorted(f.name for f in files) == ["a.pdf", "b.txt"]
    assert isinstance(problems[0], FileMissingError)
    assert "holds no .pdf" in problems[1].reason


def test_running_headers_and_page_numbers_are_blanked(tmp_path):
    body = ["Section {n} explains topic number {n} in detail with several words.",
            "Each page of the manual has its own text about the router.", "More text follows here.",
            "And a closing line for page {n}."]
    pages = [[f"ACME Router Manual v2.1 page {n}", *[b.format(n=n) for b in body], f"{n}"] for n in range(1, 9)]
    path = make_pdf(tmp_path / "hf.pdf", pages)
    got = list(open_document(path).pages())
    assert all("ACME Router Manual" not in p.text for p in got)
    assert all(f"topic number {p.number}" in p.text for p in got)
    assert all(not p.text.rstrip().endswith(f" {p.number}") for p in got)


def test_edge_lines_keep_offsets():
    from rag.ingest.edges import blank_edge_lines, repeated_edge_lines

    raws = [f"Header line\r\nBody {i} text\r\nmore\r\nlines\r\nhere\r\n{i}" for i in range(6)]
    keys = repeated_edge_lines(raws)
    assert "header line" in keys and "#" in keys
    blanked = blank_edge_lines(raws[3], keys)
    assert len(blanked) == len(raws[3]) and "Body 3 text" in blanked and "Header" not in blanked
