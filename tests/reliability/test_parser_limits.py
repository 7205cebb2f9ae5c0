"""The reader runs in a child process with a time and memory limit; a file that breaks them
fails with a clear message, the batch goes on, and nothing already stored is touched."""

from pdfs import make_pdf, make_sample_pdf
from rag.events import FileFailed, FileIndexed
from rag.ingest.worker import ParserProcess

import pytest


def big_pdf(path):
    return make_pdf(path, [[f"Page {i} line {j} of a long manual." for j in range(40)] for i in range(150)])


def test_stalled_reader_is_killed_and_batch_goes_on(make_engine, tmp_path):
    slow = big_pdf(tmp_path / "slow.pdf")
    good = make_sample_pdf(tmp_path / "good.pdf")
    engine = make_engine(parse_timeout_s=0.001)  # nothing can be read that fast: every wait "stalls"
    events = list(engine.ingest([slow]))
    (failed,) = [e for e in events if isinstance(e, FileFailed)]
    assert "reading this file stalled" in failed.reason and failed.path.name == "slow.pdf"
    relaxed = make_engine()
    assert [e.path.name for e in relaxed.ingest([good]) if isinstance(e, FileIndexed)] == ["good.pdf"]
    assert relaxed.search("admin console port").sources[0].file == "good.pdf"


def test_memory_limit_failure_is_reported(tmp_path):
    from rag.errors import DocumentError

    worker = ParserProcess(timeout_s=60, memory_mb=1)  # far too little for the reader to work
    with pytest.raises(DocumentError) as err:
        doc = worker.open(make_sample_pdf(tmp_path / "a.pdf"), "pdfium")
        list(doc.pages())
    assert str(err.value).startswith("a.pdf: ")
    worker.close()


def test_worker_reads_pages_and_reports_typed_errors(tmp_path):
    from rag.errors import EncryptedPdfError
    from reportlab.lib.pdfencrypt import StandardEncryption

    worker = ParserProcess()
    doc = worker.open(make_sample_pdf(tmp_path / "a.pdf"), "pdfium")
    pages = list(doc.pages())
    assert [p.number for p in pages] == [1, 2, 3, 4] and "8443" in pages[1].text
    locked = make_pdf(tmp_path / "locked.pdf", [["secret"]], encrypt=StandardEncryption("pw", "owner"))
    with pytest.raises(EncryptedPdfError, match="password protected"):
        worker.open(locked, "pdfium")
    again = worker.open(make_sample_pdf(tmp_path / "b.pdf"), "pdfium")  # the same child keeps serving
    assert len(list(again.pages())) == 4
    worker.close()


def test_ctrl_c_in_the_terminal_leaves_the_reader_to_its_parent(tmp_path, capfd):
    """Ctrl-C reaches every process of the terminal's group; the reader child ignores it (the
    parent decides what stops) instead of dying mid-file with a traceback."""
    import os
    import signal
    import time

    worker = ParserProcess(timeout_s=60)
    first = worker.open(make_sample_pdf(tmp_path / "a.pdf"), "pdfium")
    assert len(list(first.pages())) > 0
    os.kill(worker._proc.pid, signal.SIGINT)
    time.sleep(0.5)
    assert worker._proc.is_alive()
    second = worker.open(make_sample_pdf(tmp_path / "b.pdf"), "pdfium")
    assert len(list(second.pages())) > 0
    worker.close()
    assert "KeyboardInterrupt" not in capfd.readouterr().err
