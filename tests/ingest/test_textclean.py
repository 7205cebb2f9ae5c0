from rag.ingest.textclean import clean_page


def check_offsets(raw, text, offsets):
    assert len(offsets) == len(text) + 1
    assert offsets == sorted(offsets)
    for i, ch in enumerate(text):
        if ch.isalnum() and raw[offsets[i]].isascii():
            assert raw[offsets[i]] == ch


def test_ligatures_hyphenation_and_whitespace():
    raw = "The con\ufb01guration   \r\nﬁle is docu-\r\nmented here.\u00a0Done"
    text, offsets = clean_page(raw)
    assert text == "The configuration file is documented here. Done"
    check_offsets(raw, text, offsets)


def test_cjk_lines_join_without_space():
    raw = "本设备的额定电压\r\n为十二伏特。\r\nNext line"
    text, offsets = clean_page(raw)
    assert text == "本设备的额定电压为十二伏特。 Next line"
    assert raw[offsets[text.index("为")]] == "为"


def test_dot_leaders_removed():
    raw = "1.2 Installation .................... 17\r\n1.3 Usage . . . . . . . . 21"
    text, _ = clean_page(raw)
    assert "...." not in text and ". . ." not in text
    assert "Installation" in text and "17" in text and "Usage" in text


def test_offsets_map_words_back_to_raw():
    raw = "  Alpha  beta\r\n\r\ngamma-\r\ndelta  "
    text, offsets = clean_page(raw)
    assert text == "Alpha beta gammadelta"
    start = text.index("beta")
    assert raw[offsets[start]: offsets[start + 4]] == "beta"
    assert offsets[-1] <= len(raw)


def test_every_kind_of_blank_becomes_one_space_and_full_width_forms_fold():
    raw = "a\tb\u00a0c  d\u3000e \u2003 f\x0cg"
    text, offsets = clean_page(raw)
    assert text == "a b c d e f g"
    check_offsets(raw, text, offsets)
    raw = "版本ＡＢＣ１２３，见第５页"  # full-width Latin and digits (and comma) among CJK
    text, offsets = clean_page(raw)
    assert text == "版本ABC123,见第5页"
    assert [raw[offsets[text.index(c)]] for c in "ABC5"] == ["Ａ", "Ｂ", "Ｃ", "５"]
    check_offsets(raw, text, offsets)


def test_text_that_needs_no_change_keeps_identity_offsets():
    for raw in ("plain ascii line", "纯中文的一行文字", "déjà vu — “quoted”"):
        text, offsets = clean_page(raw)
        assert text == raw and offsets == list(range(len(raw) + 1))


def test_headers_of_left_and_right_pages_are_both_found_from_the_sample():
    from rag.ingest.edges import edge_sample, repeated_edge_lines

    for n in (47, 93, 100, 185):
        sample = edge_sample(n)
        assert len(sample) == 24 and {p % 2 for p in sample} == {0, 1}, n
        pages = [("Chapter Left Header\n" if p % 2 == 0 else "Right Header: Section Title\n")
                 + f"Body line one of page {p}.\nBody line two differs {p * 7}.\n{p + 1}" for p in range(n)]
        found = repeated_edge_lines([pages[p] for p in sample])
        assert {"chapter left header", "right header: section title", "#"} <= found, n
    assert edge_sample(20) == list(range(20))
