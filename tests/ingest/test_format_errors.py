"""Bad DOCX/EPUB/HTML input: a clear message naming the file and what to do, from the reader
in this process and through the reader child; in a batch the rest goes on and nothing stored
is lost."""

from __future__ import annotations

import zipfile

import pytest

from documents import GUIDE, make_docx, make_epub, make_html, zip_bomb
from rag.errors import (
    ArchiveBombError, CorruptDocumentError, DrmProtectedError, NoTextError, NotADocumentError,
)
from rag.ingest.readers import open_document

ADEPT = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"


def bad_inputs(folder):
    """name -> (path, error class, message after 'NAME: ')."""
    folder.mkdir(parents=True, exist_ok=True)
    good_docx = make_docx(folder / "good.tmp.docx")
    good_epub = make_epub(folder / "good.tmp.epub", [("One", GUIDE)])
    cases = {}

    def case(name, data_or_path, error, message):
        path = folder / name
        if isinstance(data_or_path, bytes):
            path.write_bytes(data_or_path)
        cases[name] = (path, error, message)

    case("notes.docx", b"These are plain notes saved with a .docx name.\n", NotADocumentError,
         "not a Word .docx document (it looks like plain text); check that this is the document you meant")
    case("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), NotADocumentError,
         "not a Word .docx document (it is an old-style Office file, or a password-protected one); open it in "
         "Word or LibreOffice and save it as .docx without a password")
    data = good_docx.read_bytes()
    case("cut.docx", data[: len(data) // 2], CorruptDocumentError,
         "the DOCX is damaged or truncated (its ZIP archive cannot be read); re-download it or save it again "
         "from Word")
    zip_bomb(folder / "bomb.docx", "word/document.xml", 64 << 20, base=good_docx)
    case("bomb.docx", folder / "bomb.docx", ArchiveBombError,
         "its part word/document.xml unpacks from 0 MiB to 64 MiB (a ZIP bomb?); it was not read: check where it "
         "came from")
    with zipfile.ZipFile(folder / "photos.docx", "w") as z:
        z.writestr("photo.txt", "not an office file")
    case("photos.docx", folder / "photos.docx", NotADocumentError,
         "not a Word .docx document (a ZIP archive of another kind); check that this is the document you meant")
    data = good_epub.read_bytes()
    case("cut.epub", data[: len(data) // 2], CorruptDocumentError,
         "the EPUB is damaged or truncated (its ZIP archive cannot be read); re-download it")
    zip_bomb(folder / "bomb.epub", "OEBPS/text/chap1.xhtml", 64 << 20, base=good_epub)
    case("bomb.epub", folder / "bomb.epub", ArchiveBombError,
         "its part OEBPS/text/chap1.xhtml unpacks from 0 MiB to 64 MiB (a ZIP bomb?); it was not read: check "
         "where it came from")
    make_epub(folder / "locked.epub", [("One", GUIDE)], encryption=ADEPT)
    case("locked.epub", folder / "locked.epub", DrmProtectedError,
         "the EPUB is locked by DRM (encrypted by its seller), so its text cannot be read; add a DRM-free copy of "
         "the book")
    make_epub(folder / "adobe.epub", [("One", GUIDE)], extra={"META-INF/rights.xml": b"<rights/>"})
    case("adobe.epub", folder / "adobe.epub", DrmProtectedError,
         "the EPUB is locked by DRM (Adobe DRM), so its text cannot be read; add a DRM-free copy of the book")
    case("picture.epub", b"\x89PNG\r\n\x1a\n" + bytes(100), NotADocumentError,
         "not a EPUB book (it is a PNG image); check that this is the document you meant")
    with zipfile.ZipFile(folder / "plain.epub", "w") as z:
        z.writestr("mimetype", "application/epub+zip")
    case("plain.epub", folder / "plain.epub", NotADocumentError,
         "not an EPUB book (a ZIP archive without META-INF/container.xml); check that this is the document you "
         "meant")
    case("blank.html", b"<html><head><script>x()</script></head><body>  </body></html>", NoTextError,
         "the document holds no text (only pictures, or nothing)")
    good_docx.unlink()
    good_epub.unlink()
    return cases


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return bad_inputs(tmp_path_factory.mktemp("bad"))


def test_each_bad_input_fails_with_its_message(cases):
    for name, (path, error, message) in cases.items():
        with pytest.raises(error) as caught:
            list(open_document(path).pages())
        assert str(caught.value) == f"{name}: {message}", name


def test_each_bad_input_fails_the_same_through_the_reader_child(cases):
    from rag.ingest.worker import ParserProcess

    reader = ParserProcess(timeout_s=60, memory_mb=2048)
    try:
        for name, (path, error, message) in cases.items():
            with pytest.raises(error) as caught:
                doc = reader.open(path, "pdfium")
                list(doc.pages())
            assert caught.value.reason == message, name
        # the child is still serving: a good file reads after all of them
        doc = reader.open(make_html(path.parent / "after.html"), "pdfium")
        assert len(list(doc.pages())) == 6
    finally:
        reader.close()


def test_bad_documents_fail_alone_in_a_batch_and_stored_files_are_kept(make_engine, cases, tmp_path):
    from rag.events import FileFailed, FileIndexed, IngestDone

    engine = make_engine()
    first = make_docx(tmp_path / "kept" / "guide.docx")
    assert [e for e in engine.ingest([first]) if isinstance(e, FileIndexed)]
    kb = engine.parts.catalog.get_kb("default")
    before = sorted(c.id for c in engine.parts.store.get(kb.collection))

    book = make_epub(tmp_path / "new" / "book.epub", [("One", GUIDE)])
    events = list(engine.ingest([book, *(path for path, _, _ in cases.values())]))
    failed = {e.name: e.reason for e in events if isinstance(e, FileFailed)}
    assert failed == {name: message for name, (_, _, message) in cases.items()}
    assert [e.name for e in events if isinstance(e, FileIndexed)] == ["book.epub"]
    done = events[-1]
    assert isinstance(done, IngestDone) and done.indexed == 1 and done.failed == len(cases)
    listed = {f.name: f for f in engine.list_files()}
    assert listed["guide.docx"].state == "indexed" and listed["locked.epub"].state == "failed"
    assert "DRM" in listed["locked.epub"].error
    after = {c.id for c in engine.parts.store.get(kb.collection)}
    assert set(before) <= after  # nothing stored before was touched
