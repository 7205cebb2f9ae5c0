"""Scanned PDFs: pages without a text layer are rendered and OCR'd in the parse worker.

The scans are made here: real text pages (English and Chinese, from tests/pdfs.py) are
rasterised into an image-only PDF, so nothing binary is committed."""

import threading

import pytest

from pdfs import SAMPLE_PAGES, make_sample_pdf, rasterise_pdf
from rag.events import AnswerDone, FileFailed, FileIndexed, FileProgress, IngestDone
from rag.ingest.ocr import join_cjk_spaces, lines_from_boxes


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    """mixed.pdf: pages 1 and 4 keep their text layer, 2 (English) and 3 (Chinese) are pictures;
    scan.pdf: every page a picture."""
    folder = tmp_path_factory.mktemp("scans")
    src = make_sample_pdf(folder / "sample.pdf")
    return {"mixed": rasterise_pdf(src, folder / "mixed.pdf", keep_text={1, 4}),
            "scan": rasterise_pdf(src, folder / "scan.pdf")}


def _text_layer(path):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    return [doc[i].get_textpage().get_text_range().strip() for i in range(len(doc))]


def test_rasterised_pages_have_no_text_layer(scans):
    assert _text_layer(scans["scan"]) == ["", "", "", ""]
    mixed = _text_layer(scans["mixed"])
    assert "Zephyr" in mixed[0] and mixed[1] == mixed[2] == "" and "Troubleshooting" in mixed[3]


def test_boxes_become_lines_in_reading_order():
    boxes = [
        ([[300, 10], [400, 10], [400, 30], [300, 30]], "world"),
        ([[10, 12], [200, 12], [200, 32], [10, 32]], "hello"),
        ([[10, 50], [100, 50], [100, 70], [10, 70]], "额定"),
        ([[110, 52], [200, 52], [200, 72], [110, 72]], "电压"),
    ]
    assert lines_from_boxes(boxes) == "hello world\n额定电压"
    assert join_cjk_spaces("本 设 备 uses 12 V") == "本设备 uses 12 V"


def test_mixed_pdf_ocrs_only_its_image_pages_and_cites_them(make_engine, scans, generator):
    engine = make_engine(generator)
    events = list(engine.ingest([scans["mixed"]]))
    (indexed,) = [e for e in events if isinstance(e, FileIndexed)]
    assert indexed.ocr_pages == (2, 3) and indexed.ocr_failed == ()
    ocr_progress = [e for e in events if isinstance(e, FileProgress) and e.stage == "ocr"]
    assert [e.done for e in ocr_progress] == [2, 3] and ocr_progress[0].describe() == "page 2/4 · OCR"

    # English: the answer is only on the scanned page 2
    hit = engine.search("What is the default port of the admin console?").sources[0]
    assert (hit.page, hit.ocr) == (2, True) and "8443" in hit.text
    assert hit.label() == "mixed.pdf p.2 (OCR)" and hit.to_json()["ocr"] is True
    text_hit = engine.search("What does a red blinking status light mean?").sources[0]
    assert (text_hit.page, text_hit.ocr, text_hit.to_json()["ocr"]) == (4, False, False)

    # Chinese: the answer is only on the scanned page 3
    hit_zh = engine.search("本设备的额定电压是多少？").sources[0]
    assert (hit_zh.page, hit_zh.ocr) == (3, True) and "十二伏特" in hit_zh.text

    for question, page in (("What is the default port of the admin console?", 2), ("本设备的额定电压是多少？", 3)):
        done = [e for e in engine.ask(question) if isinstance(e, AnswerDone)]
        assert done, f"no answer for {question!r}"
        assert done[0].sources[0].page == page and done[0].sources[0].ocr


def test_ocr_off_gives_the_no_text_layer_message(make_engine, scans):
    events = list(make_engine(ocr=False).ingest([scans["scan"]]))
    (failed,) = [e for e in events if isinstance(e, FileFailed)]
    assert "the PDF has no text layer" in failed.reason and "OCR" in failed.reason


def test_page_over_its_time_limit_is_skipped_and_reported(make_engine, scans):
    # no page can be OCR'd in a millisecond: every image page runs over its limit
    engine = make_engine(ocr_page_timeout_s=0.001)
    (indexed,) = [e for e in engine.ingest([scans["mixed"]]) if isinstance(e, FileIndexed)]
    assert indexed.ocr_pages == () and indexed.ocr_failed == (2, 3)
    assert engine.search("status light blinks red").sources[0].page == 4  # the text pages are indexed
    events = list(engine.ingest([scans["scan"]]))
    (failed,) = [e for e in events if isinstance(e, FileFailed)]
    assert "no text layer and OCR failed" in failed.reason and "longer than 0.001 s" in failed.reason


def test_cancel_during_ocr_stops_the_reader(make_engine, scans):
    engine = make_engine()
    cancel = threading.Event()
    events = []
    for ev in engine.ingest([scans["scan"]], cancel=cancel):
        events.append(ev)
        if isinstance(ev, FileProgress) and ev.stage == "ocr":
            cancel.set()
    assert isinstance(events[-1], IngestDone) and events[-1].cancelled
    (failed,) = [e for e in events if isinstance(e, FileFailed)]
    assert "cancelled" in failed.reason
    assert engine.parts.parser._proc is None  # the child that was OCR-ing was stopped
    assert engine.list_files()[0].state == "failed"


def test_in_process_reader_ocrs_too(tmp_path, scans):
    from rag.ingest.readers import open_document
    from rag.ingest.ocr import OcrOptions

    doc = open_document(scans["mixed"], "pdfium", OcrOptions())
    seen = []
    doc.on_progress = lambda stage, number: seen.append((stage, number))
    pages = list(doc.pages())
    assert seen == [("ocr", 2), ("ocr", 3)]
    assert [p.ocr for p in pages] == [False, True, True, False]
    assert "8443" in pages[1].text and "额定电压" in pages[2].text
    assert pages[0].text.startswith(SAMPLE_PAGES[0][0].split(".")[0])


def test_ocr_settings_from_the_environment(tmp_path):
    from rag.errors import SettingsError
    from rag.settings import load_settings

    s = load_settings(tmp_path / "none.toml", env={"RAG_OCR": "0", "RAG_OCR_ENGINE": "tesseract",
                                                   "RAG_OCR_PAGE_TIMEOUT_S": "5"})
    assert (s.ocr, s.ocr_engine, s.ocr_page_timeout_s) == (False, "tesseract", 5.0)
    assert load_settings(tmp_path / "none.toml", env={}).ocr is True
    with pytest.raises(SettingsError, match="ocr_engine"):
        load_settings(tmp_path / "none.toml", env={"RAG_OCR_ENGINE": "easyocr"})
    with pytest.raises(SettingsError, match="ocr_page_timeout_s"):
        load_settings(tmp_path / "none.toml", env={"RAG_OCR_PAGE_TIMEOUT_S": "0"})
