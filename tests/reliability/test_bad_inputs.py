"""Bad input through a real `rag-cli ingest` process: every bad file fails with a message that
names it and says what to do, the batch goes on, and what was already stored is untouched."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from reliability.helpers import outcomes, rag_cli, unprivileged
from pdfs import FILLER_EN, make_garbled_pdf, make_image_only_pdf, make_pdf, make_sample_pdf, rasterise_pdf

GARBLED_LINES = ["The spare fuse for the Zephyr router sits under the rubber foot near the antenna."] * 12


def stored(home: Path) -> dict:
    listing = rag_cli("list", "--json", home=home, timeout=120)
    assert listing.returncode == 0, listing.stderr
    return {f["file"]: f for f in json.loads(listing.stdout)["files"]}


def bad_files(folder: Path) -> dict[str, Path]:
    """One real file per kind of bad input (and two good ones that must still index)."""
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    files["empty.pdf"] = folder / "empty.pdf"
    files["empty.pdf"].write_bytes(b"")
    files["picture.pdf"] = folder / "picture.pdf"
    Image.new("RGB", (64, 64), "red").save(files["picture.pdf"], "PNG")
    files["notes.pdf"] = folder / "notes.pdf"
    files["notes.pdf"].write_text("These are plain notes that someone saved with a .pdf name.\n", encoding="utf-8")
    full = make_sample_pdf(folder / "full.tmp").read_bytes()
    (folder / "full.tmp").unlink()
    files["cut.pdf"] = folder / "cut.pdf"
    files["cut.pdf"].write_bytes(full[: len(full) // 3])
    files["damaged.pdf"] = folder / "damaged.pdf"
    files["damaged.pdf"].write_bytes(b"%PDF-1.7\n" + os.urandom(4096))
    files["locked.pdf"] = make_pdf(folder / "locked.pdf", [["The vault code is 4711."]],
                                   encrypt=_reportlab_encryption("secret", "owner"))
    owner = make_pdf(folder / "owner.tmp", [["The owner password only restricts printing; the spare antenna is "
                                             "stored in drawer seven.", *FILLER_EN]])
    writer = PdfWriter(clone_from=PdfReader(str(owner)))
    from pypdf.constants import UserAccessPermissions

    # RC4-128, printing only (copying text "forbidden"): the file opens without a password
    writer.encrypt(user_password="", owner_password="x", permissions_flag=UserAccessPermissions.PRINT)
    files["owner-only.pdf"] = folder / "owner-only.pdf"
    with files["owner-only.pdf"].open("wb") as f:
        writer.write(f)
    owner.unlink()
    files["scan.pdf"] = rasterise_pdf(make_pdf(folder / "scan.pdf", [GARBLED_LINES[:3]]), folder / "scan.pdf")
    files["garbled.pdf"] = make_garbled_pdf(folder / "garbled.pdf", [GARBLED_LINES, GARBLED_LINES])
    files["another.pdf"] = make_pdf(folder / "another.pdf", [["The blue cable connects the modem to port WAN2.",
                                                             *FILLER_EN]])
    return files


def _reportlab_encryption(user: str, owner: str):
    from reportlab.lib.pdfencrypt import StandardEncryption

    return StandardEncryption(user, owner)


EXPECTED_OCR_OFF = {
    "empty.pdf": "FAILED: the file is empty (0 bytes); re-download or re-export it",
    "picture.pdf": "FAILED: not a PDF file (it is a PNG image); check that this is the document you meant",
    "notes.pdf": "FAILED: not a PDF file (it looks like plain text); check that this is the document you meant",
    "cut.pdf": "FAILED: the PDF is damaged or truncated; re-download it or re-save it from a PDF viewer",
    "damaged.pdf": "FAILED: the PDF is damaged or truncated; re-download it or re-save it from a PDF viewer",
    "locked.pdf": "FAILED: the PDF is password protected; open it in a PDF viewer, save an unprotected copy, "
                  "and add that",
    "scan.pdf": "FAILED: the PDF has no text layer: it looks scanned; turn OCR on (setting ocr = true, RAG_OCR=1) "
                "or run OCR on it (e.g. ocrmypdf) and add the result",
    "garbled.pdf": "FAILED: the PDF's text cannot be decoded (its fonts have no Unicode map); OCR it (setting "
                   "ocr = true, RAG_OCR=1, or ocrmypdf --force-ocr) or export it again from its source",
    "missing.pdf": "FAILED: no such file or folder; check the path",
    "pictures-only": "FAILED: this folder holds no .pdf, .docx, .epub, .html, .txt or .md files",
}


def test_bad_files_fail_clearly_the_batch_goes_on_and_stored_files_are_untouched(home, tmp_path):
    first = make_sample_pdf(tmp_path / "kept" / "router.pdf")
    proc = rag_cli("ingest", first, home=home)
    assert proc.returncode == 0, proc.stderr
    before = stored(home)

    files = bad_files(tmp_path / "inbox")
    no_pdfs = tmp_path / "pictures-only"
    no_pdfs.mkdir()
    (no_pdfs / "photo.png").write_bytes(files["picture.pdf"].read_bytes())
    proc = rag_cli("ingest", tmp_path / "inbox", tmp_path / "missing.pdf", no_pdfs, home=home,
                   env={"RAG_OCR": "0", "RAG_PARSE_TIMEOUT_S": "60"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    got = outcomes(proc.stderr)
    for name, message in EXPECTED_OCR_OFF.items():
        assert got.get(name) == message, (name, got.get(name), proc.stderr)
    assert got["owner-only.pdf"].startswith("indexed "), proc.stderr  # empty user password: reads normally
    assert got["another.pdf"].startswith("indexed "), proc.stderr
    assert "done: 2 indexed, 0 skipped, 10 failed" in proc.stderr

    after = stored(home)
    assert after["router.pdf"] == before["router.pdf"]  # nothing already stored was touched
    assert after["owner-only.pdf"]["status"] == after["another.pdf"]["status"] == "indexed"
    assert after["locked.pdf"]["status"] == "failed" and "password protected" in after["locked.pdf"]["error"]
    search = rag_cli("search", "spare antenna drawer", "--json", "--mode", "bm25", home=home, timeout=120)
    assert json.loads(search.stdout)["results"][0]["file"] == "owner-only.pdf"
    search = rag_cli("search", "admin console port", "--json", home=home, timeout=120)
    assert json.loads(search.stdout)["results"][0]["file"] == "router.pdf"


def test_scanned_and_garbled_pdfs_are_read_by_ocr_by_default(home, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    scan = rasterise_pdf(make_pdf(folder / "scan.pdf", [GARBLED_LINES[:4]]), folder / "scan.pdf")
    garbled = make_garbled_pdf(folder / "garbled.pdf", [GARBLED_LINES])
    proc = rag_cli("ingest", scan, garbled, home=home)  # OCR is on by default
    assert proc.returncode == 0, proc.stderr
    got = outcomes(proc.stderr)
    assert ", 1 read by OCR" in got["scan.pdf"] and ", 1 read by OCR" in got["garbled.pdf"], proc.stderr
    files = stored(home)
    assert files["scan.pdf"]["chunks"] >= 1 and files["garbled.pdf"]["chunks"] >= 1
    search = rag_cli("search", "spare fuse rubber foot antenna", "--json", home=home, timeout=120)
    results = json.loads(search.stdout)["results"]
    assert {r["file"] for r in results} == {"scan.pdf", "garbled.pdf"} and all(r["ocr"] for r in results)
    garbled_text = next(r["text"] for r in results if r["file"] == "garbled.pdf")
    assert "rubber" in garbled_text.lower()  # OCR's reading, not the private-use junk of its text layer
    assert not any("\ue000" <= ch <= "\uf8ff" for r in results for ch in r["text"])


@pytest.mark.parametrize("target", ["private-use", "control", "replacement"])
@pytest.mark.parametrize("backend", ["pdfium", "pypdf"])
def test_undecodable_text_layer_is_detected_not_indexed(tmp_path, backend, target):
    from rag.errors import UndecodableTextError
    from rag.ingest.readers import open_document
    from rag.ingest.ocr import OcrOptions

    path = make_garbled_pdf(tmp_path / "garbled.pdf", [GARBLED_LINES] * 2, target)
    doc = open_document(path, backend, OcrOptions(enabled=False))
    with pytest.raises(UndecodableTextError, match="garbled.pdf: the PDF's text cannot be decoded"):
        list(doc.pages())


def test_a_few_undecodable_pages_are_left_out_and_named(make_engine, tmp_path):
    from pypdf import PdfReader, PdfWriter

    from rag.events import FileIndexed

    good = make_pdf(tmp_path / "good.pdf", [[f"Chapter {n}: the router keeps table {n}.", *FILLER_EN] for n in (1, 2)])
    bad = make_garbled_pdf(tmp_path / "bad.pdf", [GARBLED_LINES])
    writer = PdfWriter()
    writer.append(str(good), pages=[0])
    writer.append(str(bad))
    writer.append(str(good), pages=[1])
    mixed = tmp_path / "mixed.pdf"
    with mixed.open("wb") as f:
        writer.write(f)
    engine = make_engine(ocr=False)
    (done,) = [e for e in engine.ingest([mixed]) if isinstance(e, FileIndexed)]
    assert done.pages == 3 and done.undecodable == (2,)
    texts = [c.text for c in engine.parts.store.get(engine.parts.catalog.get_kb("default").collection)]
    assert texts and not any("\ue000" <= ch <= "\uf8ff" for t in texts for ch in t)


def test_file_without_read_permission(models_dir, embedder, tmp_path):
    prefix = unprivileged()
    if prefix is None:
        pytest.skip("running as root without setpriv: root reads files whatever their mode bits")
    # pytest's tmp_path lies under a 0700 folder of root's: use a world-traversable one.
    root = Path(tempfile.mkdtemp(prefix="rag-unreadable-"))
    try:
        root.chmod(0o777)
        home = root / "home"
        shutil.copytree(models_dir / "onnx", home / "models" / "onnx")
        docs = root / "docs"
        secret = make_sample_pdf(docs / "secret.pdf")
        readable = make_pdf(docs / "readable.pdf", [["The green lamp means the uplink is healthy.", *FILLER_EN]])
        secret.chmod(0o000)
        for path in [root, *root.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
        os.chown(secret, 0, 0)  # owned by root, mode 000: nobody may read it
        # The permission check happens in the ingesting process, before any reader sees the file.
        # Read in-process here: the venv's interpreter may live where `nobody` cannot exec it
        # (e.g. under /root), and spawning the reader child re-executes that interpreter.
        proc = rag_cli("ingest", docs, home=home, prefix=prefix,
                       env={"HOME": str(root), "RAG_PARSE_IN_SUBPROCESS": "0"})
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        got = outcomes(proc.stderr)
        assert got["secret.pdf"] == "FAILED: permission denied; make the file readable and try again", proc.stderr
        assert got["readable.pdf"].startswith("indexed "), proc.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)
