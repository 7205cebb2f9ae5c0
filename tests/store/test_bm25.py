from pdfs import make_pdf, make_sample_pdf
from rag.store.bm25 import encode, fts_query, tokenize
from rag.search.hits import Hit
from rag.search.hits import page_key
from rag.search.rrf import rrf_fuse
from rag.store.vectors import StoredChunk


def test_identifiers_kept_whole_and_split():
    toks = tokenize(r"Set \urlcolor or set_option; ISBN 0-201-43311-7.")
    for t in (r"\urlcolor", "urlcolor", "set_option", "option", "0-201-43311-7", "43311"):
        assert t in toks
    assert "or" not in toks  # stop word


def test_english_stemming_and_case():
    assert tokenize("Plotting Settings") == tokenize("plotted setting")


def test_chinese_unigrams_and_bigrams():
    toks = tokenize("额定电压")
    assert {"额", "电", "额定", "定电", "电压"} <= set(toks)


def test_chinese_question_words_are_not_query_terms():
    terms = set(fts_query("怎样让页码用中文数字显示？").replace('"', "").split(" OR "))
    wanted = {encode(t) for t in ("页码", "中文", "数字", "显示")}
    noise = {encode(t) for t in ("怎样", "怎", "样", "让", "用", "样让")}
    assert wanted <= terms and not noise & terms
    assert encode("怎样") in {encode(t) for t in tokenize("怎样")}  # documents keep them


def query_terms(text):
    return {bytes.fromhex(t[1:]).decode() if t.startswith("x") else t
            for t in fts_query(text).replace('"', "").split(" OR ")}


def test_chinese_questions_search_by_bigrams_and_lone_characters():
    assert query_terms("预览程序") == {"预览", "览程", "程序"}  # no 预, 览, 程, 序
    assert query_terms("第 3 章") == {"第", "3", "章"}
    assert {"预", "预览"} <= set(tokenize("预览"))  # documents keep unigrams


def test_a_chinese_page_with_the_words_beats_one_with_their_characters_scattered(make_engine, tmp_path):
    engine = make_engine()
    scattered = ["预算、览胜、程度、序言。"] * 3
    words = ["每种发行版附带不同的预览程序,例如 yap。" + "今天天气很好,我们去公园散步,看见湖面上有许多小船。" * 3]
    other = ["今天天气很好,我们去公园散步。"] * 2
    make_pdf(tmp_path / "zh.pdf", [scattered, words] + [other] * 8)
    list(engine.ingest([tmp_path / "zh.pdf"]))
    assert engine.search("预览程序叫什么？", mode="bm25").sources[0].page == 2


def test_content_words_made_of_common_characters_stay_query_terms():
    assert query_terms("应用") == {"应用"}
    assert query_terms("对应的是什么") == {"对应"}
    assert query_terms("可用吗") == {"可用"}
    assert {"安装", "应用"} <= query_terms("如何安装应用") and "如何" not in query_terms("如何安装应用")


def test_a_question_of_function_words_only_still_searches():
    assert "什么" in query_terms("什么是")


def test_tokens_are_fts_safe():
    for t in tokenize(r"\urlcolor 电压 a-b"):
        assert encode(t).isalnum() and encode(t).isascii()
    assert fts_query("the of and") is None


def chunk(cid):
    return StoredChunk(cid, cid, {}, 0.0)


def test_rrf_prefers_agreement():
    dense = [Hit(chunk("a"), 0.9, dense=0.9), Hit(chunk("b"), 0.8, dense=0.8), Hit(chunk("c"), 0.7, dense=0.7)]
    lexical = [Hit(chunk("c"), 12.0, lexical=12.0), Hit(chunk("d"), 9.0, lexical=9.0)]
    fused = rrf_fuse({"dense": dense, "lexical": lexical}, {"dense": 1.0, "lexical": 1.0}, 60)
    assert fused[0].chunk.id == "c" and fused[0].dense == 0.7 and fused[0].lexical == 12.0
    assert fused[0].ranks == {"dense": 3, "lexical": 1}
    assert [h.chunk.id for h in fused[1:]] == ["a", "b", "d"]  # b and d tie; stable order keeps dense first


def on_page(cid, page, **scores):
    return Hit(StoredChunk(cid, cid, {"file_id": 1, "page": page}, 0.0), 0.0, **scores)


def test_page_fusion_adds_up_votes_for_different_chunks_of_one_page():
    # Dense finds chunk b of page 2 second, BM25 finds chunk c of page 2 first: page 2 has both
    # votes and beats page 1, which only dense found (chunk fusion would put a first).
    dense = [on_page("a", 1, dense=0.9), on_page("b", 2, dense=0.8)]
    lexical = [on_page("c", 2, lexical=12.0), on_page("d", 3, lexical=9.0)]
    assert rrf_fuse({"dense": dense, "lexical": lexical}, {}, 60)[0].chunk.id == "a"
    fused = rrf_fuse({"dense": dense, "lexical": lexical}, {}, 60, key=page_key)
    assert [page_key(h)[1] for h in fused] == [2, 1, 3]
    top = fused[0]
    assert top.chunk.id == "c"  # the chunk the lists rank best together: BM25's first
    assert (top.dense, top.lexical, top.ranks) == (0.8, 12.0, {"dense": 2, "lexical": 1})
    assert top.score == 1 / 62 + 1 / 61


def test_page_fusion_counts_a_page_once_per_list_at_its_best_rank():
    dense = [on_page("a1", 1, dense=0.9), on_page("a2", 1, dense=0.85), on_page("b", 2, dense=0.8)]
    fused = rrf_fuse({"dense": dense}, {}, 60, key=page_key)
    assert [(h.chunk.id, h.ranks["dense"]) for h in fused] == [("a1", 1), ("b", 2)]  # b: 2nd page, not 3rd row
    assert fused[0].score == 1 / 61 and fused[0].dense == 0.9


def test_bm25_skips_rows_of_uncommitted_versions_that_outrank_the_committed_ones(make_engine, tmp_path):
    engine = make_engine()
    make_pdf(tmp_path / "w.pdf", [["The quartz widget hums quietly in the cellar."] * 3, ["Nothing to see."] * 3])
    list(engine.ingest([tmp_path / "w.pdf"]))
    kb = engine.library.kb(None, create=True)
    file_id = engine.parts.catalog.files(kb)[0].id
    # A version being written (or left by a crash): many rows that match better than the
    # committed page and fill the first ranks the index returns.
    engine.parts.lexical.add(kb.id, [(f"ghost-{i}", file_id, "f" * 64, "", "quartz widget quartz widget quartz widget")
                               for i in range(300)])
    found = engine.parts.lexical.search(kb.id, "quartz widget", 5)
    assert found and not any(cid.startswith("ghost") for cid, _ in found)
    assert engine.search("quartz widget", mode="bm25").sources[0].page == 1


def test_bm25_finds_identifier_and_chinese(make_engine, tmp_path):
    engine = make_engine()
    filler = ["General text about configuration of many different options in the system."] * 3
    make_pdf(tmp_path / "opts.pdf", [filler, filler + ["Use the flag --no-color-output to disable colours."],
                                     filler])
    make_sample_pdf(tmp_path / "router.pdf")
    list(engine.ingest([tmp_path / "opts.pdf", tmp_path / "router.pdf"]))
    hits = engine.search("--no-color-output", mode="bm25").sources
    assert (hits[0].file, hits[0].page) == ("opts.pdf", 2)
    zh = engine.search("额定功率", mode="bm25").sources
    assert (zh[0].file, zh[0].page) == ("router.pdf", 3)
    hybrid = engine.search("额定功率是多少瓦", mode="hybrid").sources
    assert (hybrid[0].file, hybrid[0].page) == ("router.pdf", 3)
    assert engine.search("--no-color-output", mode="bm25", files=["router.pdf"]).sources == ()


def test_lexical_rows_follow_file_lifecycle(make_engine, tmp_path):
    engine = make_engine()
    pdf = make_pdf(tmp_path / "doc.pdf", [["The launch code is ALPHA-7."]])
    list(engine.ingest([pdf]))
    kb = engine.parts.catalog.get_kb("default")
    assert engine.search("ALPHA-7", mode="bm25").sources
    make_pdf(pdf, [["The launch code is BRAVO-9."]])
    list(engine.ingest([pdf]))
    assert not engine.search("ALPHA-7", mode="bm25").sources
    assert engine.search("BRAVO-9", mode="bm25").sources
    assert engine.parts.lexical.count(kb.id) == engine.parts.store.count(kb.collection)
    engine.remove("doc.pdf")
    assert engine.parts.lexical.count(kb.id) == 0


def test_a_section_title_does_not_outweigh_the_text_of_short_chunks(make_engine):
    """A short chunk is mostly its section title; inside the body, that title (中文数字配置文件)
    made a code listing's 31-token tail the best match for a question about page numbers in
    Chinese numerals, above the passage that answers it (zhnumber.pdf)."""
    engine = make_engine()
    kb = engine.library.kb(None, create=True)
    rec = engine.parts.catalog.begin_file(kb, "/docs/zhnumber.pdf", "zhnumber.pdf", 1, 1, "a" * 64)
    engine.parts.catalog.commit_file(rec, 1, 1, 3, 22)
    rows = [("tail", "中文数字配置文件", "1228 〈/!big5〉 { s2 } { trad } { 億 }"),
            ("answer", "使用方法", "\\pagenumbering {zhnum} 与 \\roman 等类似,用于将计数器的值转换为中文数字,"
             "页码就显示为一、二、三。计数器必须已经定义,否则输出错误信息。这个命令可以展开。")]
    rows += [(f"other-{i}", "其他章节", f"今天天气很好,我们去公园散步,看见湖面上有许多小船 {i}。") for i in range(20)]
    engine.parts.lexical.add(kb.id, [(cid, rec.id, "a" * 64, title, text) for cid, title, text in rows])
    assert [cid for cid, _ in engine.parts.lexical.search(kb.id, "怎样让页码用中文数字显示？", 2)] == ["answer", "tail"]
    # the title still counts: the tail is found by the words of its section title alone
    assert [cid for cid, _ in engine.parts.lexical.search(kb.id, "配置文件", 5)] == ["tail"]


def quartz_engine(make_engine, tmp_path):
    engine = make_engine()
    make_pdf(tmp_path / "w.pdf", [["The quartz widget hums quietly in the cellar."] * 3, ["Nothing to see."] * 3])
    list(engine.ingest([tmp_path / "w.pdf"]))
    return engine, engine.library.kb(None, create=True)


def test_a_lexical_table_of_the_older_layout_is_rebuilt_from_the_store(make_engine, older_bm25_layout, tmp_path):
    engine, kb = quartz_engine(make_engine, tmp_path)
    assert not engine.parts.lexical.outdated(kb.id)
    # what an earlier version of RAG Desk left, its rows here holding only 'quartz'
    rows = older_bm25_layout(engine, kb, "quartz")
    assert engine.parts.lexical.outdated(kb.id)
    # the rebuild reads the store a page at a time (one get of 100,000 chunks fails in chromadb)
    from rag.store.vectors import all_chunks

    paged = [c.id for c in all_chunks(engine.parts.store, kb.collection, page=1)]
    assert len(rows) >= 2 and sorted(paged) == sorted(cid for cid, _, _ in rows)
    engine.close()

    reopened = make_engine()
    assert [f.name for f in reopened.list_files()] == ["w.pdf"]
    assert reopened.parts.lexical.outdated(kb.id)  # opening and listing never wait for the rebuild
    assert reopened.search("quartz widget", mode="bm25").sources[0].page == 1
    assert not reopened.parts.lexical.outdated(kb.id)
    assert reopened.parts.lexical.committed_ids(kb.id) == {cid for cid, _, _ in rows}
    assert reopened.search("nothing to see", mode="bm25").sources[0].page == 2  # rows hold the text again


def test_the_older_table_stays_when_the_store_lacks_chunks_the_catalog_counts(make_engine, older_bm25_layout,
                                                                              tmp_path):
    engine, kb = quartz_engine(make_engine, tmp_path)
    rows = older_bm25_layout(engine, kb, "quartz widget")
    engine.parts.store.delete_ids(kb.collection, [rows[-1][0]])  # a store that lost a chunk
    engine.close()

    reopened = make_engine()
    assert reopened.search("quartz widget", mode="bm25").sources  # the older table answers
    assert reopened.parts.lexical.outdated(kb.id) and reopened.parts.lexical.count(kb.id) == len(rows)
    assert not reopened.parts.catalog._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                            (f"lex_{kb.id}_new",)).fetchone()  # no half-built table left
