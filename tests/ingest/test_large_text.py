"""Large text and Markdown files are read as a stream of pages, with bounded memory."""

import tracemalloc

from rag.ingest.readers.plain_text import PAGE_CHARS, TextDocument, detect_encoding


def test_a_large_text_file_is_a_stream_of_pages_with_bounded_memory(tmp_path):
    line = "The gateway keeps its logs for thirty days and rotates them at midnight.\n"
    big = tmp_path / "big.txt"
    with big.open("w", encoding="utf-8") as f:
        for i in range(400_000):  # ~29 MB
            f.write(f"{i} {line}")
    doc = TextDocument(big, markdown=False)
    assert doc.page_count > 2000
    tracemalloc.start()
    count, last = 0, None
    for page in doc.pages():
        count += 1
        last = page
        assert len(page.text) <= PAGE_CHARS * 5 // 4  # a block and what the last one left over
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MB while reading pages"
    assert count == doc.page_count and last.text.endswith("midnight.")
    assert last.text.split()[0].isdigit()  # pages end at line breaks: every page starts at a line


def test_markdown_sections_carry_over_pages_and_encodings_are_told(tmp_path):
    md = tmp_path / "guide.md"
    body = "Plain words about the router. " * 1000
    md.write_text(f"# Install\n\n{body}\n\n## Configure\n\n{body}\n", encoding="utf-8")
    pages = list(TextDocument(md, markdown=True).pages())
    assert len(pages) >= 4
    assert pages[0].sections[0][1] == "Install"
    assert any(title == "Configure" for p in pages for _, title in p.sections)
    assert pages[-1].sections[0] == (0, "Configure")  # a page inside a section carries its title
    zh = tmp_path / "zh.txt"
    zh.write_bytes("本设备的额定电压为十二伏特。".encode("gb18030"))
    assert detect_encoding(zh.read_bytes()) == "gb18030"
    assert "额定电压" in next(TextDocument(zh, markdown=False).pages()).text
    # a UTF-8 character cut by the end of the sample is still UTF-8
    assert detect_encoding("额定".encode("utf-8")[:-1]) == "utf-8-sig"
