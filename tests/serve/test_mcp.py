"""The MCP server as a client sees it: `rag-cli mcp` spawned and driven over stdio by the
official SDK's client, with the real bundled models."""

from __future__ import annotations

import json
import os
import shutil
import sys

import anyio
import pytest

from documents import CHINESE, GUIDE, make_docx, make_html


@pytest.fixture
def home_with_documents(make_engine, rag_home, models_dir, tmp_path):
    engine = make_engine()
    list(engine.ingest([make_docx(tmp_path / "docs" / "guide.docx", GUIDE),
                        make_html(tmp_path / "docs" / "zh.html", CHINESE)]))
    engine.create_kb("other")
    engine.close()
    if (models_dir / "onnx").is_dir():  # the embedder's one-time export, not under test here
        shutil.copytree(models_dir / "onnx", rag_home / "models" / "onnx", dirs_exist_ok=True)
    return rag_home


async def _session(home, body):
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-c", "from rag.cli import main; main(['mcp'])"],
                                   env={"RAG_HOME": str(home), "HF_HUB_OFFLINE": "1",
                                        "PATH": os.environ.get("PATH", "")})
    with open(home / "mcp-stderr.log", "w") as log:
        async with stdio_client(params, errlog=log) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)


def _text(result) -> str:
    assert not result.is_error, result.content
    return result.content[0].text


def test_tools_and_document_resources_over_stdio(home_with_documents):
    async def body(session):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) >= {"search", "ask", "list_documents"}
        assert set(tools["search"].input_schema["properties"]) == {"query", "kb", "k"}

        found = json.loads(_text(await session.call_tool("search", {"query": "admin console port", "k": 2})))
        assert found["results"][0]["file"] == "guide.docx"
        assert found["results"][0]["section"].startswith('§2.1 "Firmware"')

        docs = json.loads(_text(await session.call_tool("list_documents", {})))
        assert sorted(f["file"] for f in docs["files"]) == ["guide.docx", "zh.html"]
        assert json.loads(_text(await session.call_tool("list_documents", {"kb": "other"})))["files"] == []

        missing = await session.call_tool("search", {"query": "x", "kb": "nope"})
        assert missing.is_error and "no knowledge base named 'nope'" in missing.content[0].text

        answer = json.loads(_text(await session.call_tool("ask", {"question": "Which port does the admin console "
                                                                              "listen on?"})))
        assert "8443" in answer["answer"] and answer["evidence"] and answer["sources"][0]["file"] == "guide.docx"

        resources = {r.name: r for r in (await session.list_resources()).resources}
        assert set(resources) == {"default/guide.docx", "default/zh.html"}
        read = await session.read_resource(str(resources["default/zh.html"].uri))
        text = read.contents[0].text
        assert text.startswith("[section 1]\n安装指南") and "八四四三" in text
        return True

    assert anyio.run(_session, home_with_documents, body)
