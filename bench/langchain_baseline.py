"""The canonical LangChain RAG pipeline, as a baseline for RAG Desk's benchmarks.

PyPDFLoader -> RecursiveCharacterTextSplitter(1000/200) -> HuggingFaceEmbeddings
(all-MiniLM-L6-v2, the same bundled model) -> Chroma, retrieval k=5 by similarity.

Runs in its own virtual environment (LangChain is not a RAG Desk dependency):
    python -m bench langchain        # creates bench/results/venv-langchain on first use
Prints one JSON object: ingestion time and the retrieval evaluation on the QA file.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # rag.search.evaluation is plain Python


def main(pdfs: list[str], qa_file: str | None, model_dir: str, k: int = 5) -> dict:
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t0 = time.perf_counter()
    pages = []
    for pdf in pdfs:
        pages.extend(PyPDFLoader(pdf).load())
    t_load = time.perf_counter() - t0
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(pages)
    embeddings = HuggingFaceEmbeddings(model_name=model_dir)
    store = Chroma.from_documents(chunks, embeddings, persist_directory=tempfile.mkdtemp(prefix="lc-chroma-"))
    ingest_s = time.perf_counter() - t0
    result = {"pages": len(pages), "chunks": len(chunks), "load_s": round(t_load, 2), "ingest_s": round(ingest_s, 2)}
    if qa_file:
        from rag.search.evaluation import evaluate_retrieval as evaluate, load_qa

        class Hit:  # the fields rag.search.evaluation reads
            def __init__(self, doc):
                self.file = Path(doc.metadata["source"]).name
                self.page = self.page_end = int(doc.metadata.get("page", 0)) + 1
                self.text = doc.page_content

        def search(question, depth):
            return [Hit(d) for d in store.similarity_search(question, k=depth)]

        result["eval"] = evaluate(search, load_qa(Path(qa_file)), k)
    return result


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    print(json.dumps(main(args["pdfs"], args.get("qa"), args["model_dir"], args.get("k", 5)), ensure_ascii=False))
