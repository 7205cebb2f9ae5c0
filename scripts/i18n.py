"""Refresh the Qt translation catalogues and compile them.

    .venv/bin/python scripts/i18n.py

Runs pyside6-lupdate over app/*.py (new strings appear as unfinished), fills the zh_CN
catalogue from ZH below (keyed by the English source text), marks English as finished
(the source text is the English text) and compiles both with pyside6-lrelease. A test
fails while any entry stays unfinished, so a new visible string must get a line in ZH.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "app" / "i18n"
BIN = Path(sys.executable).parent

ZH = {
    # the multilingual embedder suggestion (app/embedder_advisor.py)
    "Re-index with it": "用它重新索引",
    "Index this knowledge base again with the multilingual embedder; progress shows in the documents pane and Cancel stops it":
        "用多语言嵌入模型重新索引这个知识库；进度显示在文档窗格中，可随时取消",
    "Not now": "暂不",
    "Do not suggest this again for this knowledge base": "不再为这个知识库提示",
    "Most of the text in “{kb}” is Chinese ({share:.0%}), but it is indexed with an English-only embedder, so passages are found by their words alone.":
        "“{kb}”中的文字大多是中文（{share:.0%}），但它是用只懂英文的嵌入模型索引的，只能按字词查找段落。",
    "RAG Desk runs in Chinese here, and “{kb}” is indexed with an English-only embedder, which cannot match the meaning of Chinese text.":
        "RAG Desk 当前以中文运行，而“{kb}”是用只懂英文的嵌入模型索引的，无法理解中文文本的含义。",
    "The multilingual embedder ({name}) reads Chinese and English. Switching indexes the knowledge base again: {pages} pages, {chunks} chunks, about {time} on this computer.":
        "多语言嵌入模型（{name}）能读懂中文和英文。切换后将重新索引知识库：{pages} 页，{chunks} 个分块，在这台电脑上约需 {time}。",
    "{n} min": "{n} 分钟",
    "{n} s": "{n} 秒",
    # the local API switch (app/server_controller.py, Settings, the status bar)
    "Serve the knowledge bases to other programs on this computer": "向本机上的其他程序提供知识库",
    "An OpenAI-compatible API on 127.0.0.1 (model = knowledge base name) while RAG Desk runs, as `rag-cli serve` gives":
        "RAG Desk 运行期间在 127.0.0.1 上提供与 OpenAI 兼容的 API（model = 知识库名称），与 `rag-cli serve` 相同",
    "any free port": "任一空闲端口",
    "optional: clients then send 'Authorization: Bearer TOKEN'": "可选：设置后客户端须发送 'Authorization: Bearer TOKEN'",
    "Local API": "本地 API",
    "Local API port": "本地 API 端口",
    "Local API token": "本地 API 令牌",
    "API: {url}": "API：{url}",
    "API off": "API 已关闭",
    "The local API did not stop cleanly: {why}": "本地 API 未能正常停止：{why}",
    "Other programs can use your knowledge bases through this OpenAI-compatible address (model = knowledge base). "
    "Settings ▸ Local API turns it off.":
        "其他程序可通过这个与 OpenAI 兼容的地址使用你的知识库（model = 知识库）。在“设置 ▸ 本地 API”中可关闭。",
    "The local API could not start on {host}:{port}: {why}. Choose another port in Settings ▸ Local API, or turn it off.":
        "本地 API 无法在 {host}:{port} 上启动：{why}。请在“设置 ▸ 本地 API”中换一个端口，或将其关闭。",
    # text view of DOCX/EPUB/HTML sections (app/textviewer.py)
    "{label} — reading…": "{label} — 正在读取…",
    "cannot open {name}: {why}": "无法打开 {name}：{why}",
    "{label}: the document has changed since it was indexed; re-index it": "{label}：文档在建立索引后已更改，请重新索引",
    # document details
    "File: {path}": "文件：{path}",
    "Status: {state}": "状态：{state}",
    "Pages: {pages}    Chunks: {chunks}": "页数：{pages}    分块：{chunks}",
    "SHA-256: {sha}": "SHA-256：{sha}",
    "Problem: {error}": "问题：{error}",
    "The source file is no longer there; its stored text still answers questions.":
        "源文件已不在原处；已存储的文本仍可用于回答问题。",
    "Drop PDFs here or use Add documents…": "把 PDF 拖到这里，或使用“添加文档…”",
    # chat pane
    "Ask a question… (Enter sends, Shift+Enter for a new line)": "输入问题…（Enter 发送，Shift+Enter 换行）",
    "Send": "发送",
    "Stop": "停止",
    "Stop the answer (Esc)": "停止回答（Esc）",
    "Only the selected documents": "仅限选中的文档",
    "Answer from the documents selected on the left only": "只根据左侧选中的文档回答",
    "Copy answer": "复制回答",
    "Copy the last answer with its sources (Ctrl+Shift+C)": "复制最后一个回答及其来源（Ctrl+Shift+C）",
    "Regenerate": "重新生成",
    "Answer the last question again (Ctrl+R)": "重新回答上一个问题（Ctrl+R）",
    "New chat": "新对话",
    "Start a new conversation (Ctrl+N)": "开始新的对话（Ctrl+N）",
    "Rename…": "重命名…",
    "Export to Markdown…": "导出为 Markdown…",
    "Delete": "删除",
    # data dialog
    "Where RAG Desk keeps its data": "RAG Desk 的数据存放位置",
    "Your documents are never copied or changed: RAG Desk keeps their text, embeddings and your chats in the "
    "data folder.": "你的文档不会被复制或修改：RAG Desk 只把它们的文本、向量和你的对话保存在数据文件夹中。",
    "Open data folder": "打开数据文件夹",
    "Delete all data…": "删除全部数据…",
    "Delete every knowledge base, chat, cached model and the log": "删除所有知识库、对话、缓存的模型和日志",
    # documents pane
    "Knowledge base: the set of documents questions are answered from": "知识库：回答问题所依据的文档集合",
    "New, rename or delete a knowledge base": "新建、重命名或删除知识库",
    "New knowledge base…": "新建知识库…",
    "Delete…": "删除…",
    "Add documents…": "添加文档…",
    "Cancel": "取消",
    "Stop indexing after the current step": "在当前步骤后停止建立索引",
    "indexed": "已索引",
    "failed": "失败",
    "{name} — {pages} pages, {chunks} chunks, {state}": "{name} — {pages} 页，{chunks} 个分块，{state}",
    "{name}: indexed, but {note}": "{name}：已索引，但{note}",
    "Following: {folders}": "正在跟踪：{folders}",
    "Details…": "详细信息…",
    "Show in file manager": "在文件管理器中显示",
    "Re-index": "重新索引",
    "Remove from knowledge base": "从知识库中移除",
    "Documents": "文档",
    "Chats": "对话",
    "Knowledge base": "知识库",
    # main window
    "Models load on first use": "模型将在首次使用时加载",
    "&File": "文件(&F)",
    "Add a folder…": "添加文件夹…",
    "Follow a folder…": "跟踪文件夹…",
    "Keep the knowledge base in step with a folder: new, changed and deleted files":
        "让知识库与文件夹保持同步：新增、修改和删除的文件",
    "Export chat to Markdown…": "将对话导出为 Markdown…",
    "Settings…": "设置…",
    "Quit": "退出",
    "&Chat": "对话(&C)",
    "Regenerate answer": "重新生成回答",
    "Stop answer": "停止回答",
    "Focus the question box": "聚焦到提问框",
    "&Knowledge base": "知识库(&K)",
    "New…": "新建…",
    "Stop following folders…": "停止跟踪文件夹…",
    "Check watched folders now": "立即检查跟踪的文件夹",
    "Rebuild with current settings": "按当前设置重建",
    "&Help": "帮助(&H)",
    "Where is my data…": "我的数据在哪里…",
    "Keyboard shortcuts": "键盘快捷键",
    "About RAG Desk": "关于 RAG Desk",
    "{device} · {threads} threads": "{device} · {threads} 个线程",
    "New knowledge base": "新建知识库",
    "Name:": "名称：",
    "Rename knowledge base": "重命名知识库",
    "New name:": "新名称：",
    "Delete knowledge base": "删除知识库",
    "Delete knowledge base '{name}' with its index? Your document files are not touched.":
        "删除知识库“{name}”及其索引？你的文档文件不受影响。",
    "Wait for indexing to finish (or cancel it) before deleting a knowledge base.":
        "请等待索引完成（或取消索引）后再删除知识库。",
    "Add documents": "添加文档",
    "Documents (*.pdf *.txt *.md *.markdown);;All files (*)": "文档 (*.pdf *.txt *.md *.markdown);;所有文件 (*)",
    "Add a folder of documents": "添加文档文件夹",
    "Follow a folder": "跟踪文件夹",
    "Knowledge base '{name}' follows no folders.": "知识库“{name}”没有跟踪任何文件夹。",
    "Stop following a folder": "停止跟踪文件夹",
    "Folder (its documents stay indexed):": "文件夹（其中的文档仍保留索引）：",
    "Wait for indexing to finish (or cancel it) before removing documents.": "请等待索引完成（或取消索引）后再移除文档。",
    "Removed {n} document(s).": "已移除 {n} 个文档。",
    "{path}: the file is no longer there": "{path}：文件已不在原处",
    "Only the selected documents ({n})": "仅限选中的文档（{n}）",
    "Starting… (the embedding model loads on first use)": "正在开始…（嵌入模型在首次使用时加载）",
    "Cancelling…": "正在取消…",
    "reading": "读取中",
    "embedding": "向量化中",
    "storing": "保存中",
    "OCR": "OCR 识别",
    ", page {done}/{total}": "，第 {done}/{total} 页",
    "{n} indexed ({chunks} chunks)": "已索引 {n} 个（{chunks} 个分块）",
    "{n} searchable, vectors to come": "{n} 个已可按关键词搜索，向量稍后生成",
    "searchable · embedding {percent}%": "可搜索 · 向量化 {percent}%",
    "{n} unchanged": "{n} 个未变化",
    "{n} removed": "已移除 {n} 个",
    "{n} failed": "{n} 个失败",
    "Cancelled": "已取消",
    "Done": "完成",
    "{verb}: {parts} in {seconds:.1f} s": "{verb}：{parts}，用时 {seconds:.1f} 秒",
    "Indexing stopped.": "索引已停止。",
    "Rename chat": "重命名对话",
    "Title:": "标题：",
    "Delete chat": "删除对话",
    "Delete this conversation?": "删除这个对话？",
    "There is no saved conversation to export yet.": "还没有可导出的已保存对话。",
    "Export chat": "导出对话",
    "Markdown (*.md)": "Markdown (*.md)",
    "{path}: cannot write the file ({why})": "{path}：无法写入文件（{why}）",
    "Exported to {path}": "已导出到 {path}",
    "Knowledge base '{name}' has no documents yet. {hint}": "知识库“{name}”还没有文档。{hint}",
    "answering…": "正在回答…",
    "Answer copied.": "回答已复制。",
    "stopping…": "正在停止…",
    "{tokens} tokens, {rate:.1f} tok/s · {model}": "{tokens} 个词元，{rate:.1f} 词元/秒 · {model}",
    "Stopped.": "已停止。",
    "The model gave no answer; try rephrasing the question.": "模型没有给出回答；请换一种问法。",
    "ready": "就绪",
    "Could not save the settings: {why}": "无法保存设置：{why}",
    "Index knowledge base '{name}' again with the current embedding model and chunk settings?":
        "用当前的嵌入模型和分块设置重新索引知识库“{name}”？",
    "These files are no longer on disk and will be dropped: {files}": "这些文件已不在磁盘上，将被移除：{files}",
    "Rebuild knowledge base": "重建知识库",
    "Data folder": "数据文件夹",
    "Settings file": "设置文件",
    "Log file": "日志文件",
    "Knowledge bases": "知识库",
    "Delete all data": "删除全部数据",
    "Delete every knowledge base, chat, cached model and the log in {home}? Your document files are not touched. "
    "This cannot be undone.": "删除 {home} 中的所有知识库、对话、缓存的模型和日志？你的文档文件不受影响。此操作无法撤销。",
    "Wait for indexing and answers to finish before deleting data.": "请等待索引和回答完成后再删除数据。",
    "All data deleted.": "全部数据已删除。",
    "Send the question": "发送问题",
    "New line in the question": "在问题中换行",
    "Stop the answer": "停止回答",
    "Regenerate the last answer": "重新生成上一个回答",
    "Copy the last answer": "复制上一个回答",
    "Export the chat": "导出对话",
    "RAG Desk answers questions from your documents, offline. Nothing leaves this computer.":
        "RAG Desk 离线地根据你的文档回答问题。任何数据都不会离开这台电脑。",
    # page viewer
    "No page open": "未打开页面",
    "Previous page": "上一页",
    "Next page": "下一页",
    "Open the file in the system's PDF viewer": "用系统的 PDF 阅读器打开文件",
    "{name} — page {page} of {count}": "{name} — 第 {page} 页，共 {count} 页",
    "{path}: the file is no longer there; its stored text still answers questions (re-add it to open pages)":
        "{path}：文件已不在原处；已存储的文本仍可回答问题（重新添加后才能打开页面）",
    "{path}: the PDF viewer cannot open this file": "{path}：PDF 查看器无法打开这个文件",
    "{path}: only PDF pages can be shown; the passage is in the list above": "{path}：只能显示 PDF 页面；段落内容见上方列表",
    # settings
    "Settings": "设置",
    "A .gguf file, or the bundled model": "一个 .gguf 文件，或内置模型",
    "Choose GGUF…": "选择 GGUF…",
    "Bundled": "内置",
    "Use the small model that ships with RAG Desk": "使用 RAG Desk 自带的小模型",
    "The bundled model, or a sentence-transformers model folder on disk": "内置模型，或磁盘上的 sentence-transformers 模型文件夹",
    "Layers of the LLM to put on the GPU: auto, all, or a number (0 = CPU only)":
        "放到 GPU 上的 LLM 层数：auto、all 或一个数字（0 = 只用 CPU）",
    "automatic": "自动",
    "System": "跟随系统",
    "Light": "浅色",
    "Dark": "深色",
    "System language": "系统语言",
    "Takes effect when RAG Desk starts again": "重新启动 RAG Desk 后生效",
    "LLM model file": "LLM 模型文件",
    "Embedding model": "嵌入模型",
    "Chunk size (tokens)": "分块大小（词元）",
    "Chunk overlap (tokens)": "分块重叠（词元）",
    "Passages per answer (top-k)": "每个回答使用的段落数（top-k）",
    "Re-ranking": "重新排序",
    "Off": "关闭",
    "The local LLM (several seconds per question)": "本地大语言模型（每个问题需数秒）",
    "Re-read the best passages before answering: off, the local LLM, a .gguf file or a cross-encoder model folder":
        "回答前重新审读排名靠前的段落：关闭、本地大语言模型、.gguf 文件或交叉编码器模型文件夹",
    "Temperature": "温度",
    "Longest answer (tokens)": "最长回答（词元）",
    "Context size (tokens)": "上下文长度（词元）",
    "GPU layers": "GPU 层数",
    "CPU threads": "CPU 线程数",
    "Theme": "主题",
    "Language": "语言",
    "Changing the embedding model or the chunking needs the knowledge base to be indexed again; you will be "
    "offered to do it.": "更改嵌入模型或分块设置后需要重新索引知识库；届时会提示你进行。",
    "Choose a GGUF model": "选择 GGUF 模型",
    "GGUF models (*.gguf);;All files (*)": "GGUF 模型 (*.gguf);;所有文件 (*)",
    "{path}: no such model file; choose a .gguf file or the bundled model": "{path}：没有这个模型文件；请选择 .gguf 文件或内置模型",
    # sources and transcript
    "Select a source to read its passage and open its page.": "选择一个来源以阅读其段落并打开对应页面。",
    "Sources": "来源",
    "Ask a question about your documents. Answers cite their sources as [1], [2]…":
        "就你的文档提问。回答会以 [1]、[2]… 标注来源。",
    "You": "你",
    "Assistant": "助手",
    "page {done}/{total} · OCR": "第 {done}/{total} 页 · OCR 识别",
    "{name}: OCR could not read page(s) {pages}": "{name}：OCR 无法识别第 {pages} 页",
    "On this computer (llama.cpp)": "在这台电脑上（llama.cpp）",
    "OpenAI-compatible server": "OpenAI 兼容服务器",
    "Chat (instruct models)": "对话（指令模型）",
    "Completion (base models)": "补全（基础模型）",
    "empty = on this computer; or http://host:8000": "留空 = 在这台电脑上；或 http://host:8000",
    "Answers from": "回答来自",
    "LLM server URL": "LLM 服务器地址",
    "LLM server API key": "LLM 服务器 API 密钥",
    "LLM server API": "LLM 服务器接口",
    "Vector store server": "向量库服务器",
    "Vector store token": "向量库令牌",
    # models dialog
    "Models…": "模型…",
    "Download, choose and remove LLM and embedding models": "下载、选择和删除 LLM 与嵌入模型",
    "Models": "模型",
    "Name": "名称",
    "Kind": "类型",
    "Size": "大小",
    "Licence": "许可证",
    "Languages": "语言",
    "Status": "状态",
    "Pull": "下载",
    "Use": "使用",
    "Remove": "删除",
    "Close": "关闭",
    "In use": "使用中",
    "Installed": "已安装",
    "Not downloaded": "未下载",
    "LLM": "LLM",
    "Embeddings": "嵌入",
    "context {0} tokens": "上下文 {0} 个词元",
    "needs about {0} GB RAM": "需要约 {0} GB 内存",
    "starting…": "正在开始…",
    "Contacting the model hub for {0}…": "正在连接模型仓库获取 {0}…",
    "{0} of {1} · {2}/s · {3} left": "{0} / {1} · {2}/秒 · 剩余 {3}",
    "done": "完成",
    "Downloaded and verified into {0}": "已下载并校验，保存在 {0}",
    "cancelled": "已取消",
    "Cancelled; Pull again to resume where it stopped.": "已取消；再次点击“下载”可从中断处继续。",
    "{0} is now {1}": "{0} 现在是 {1}",
    "Remove model": "删除模型",
    "Remove {0} from this computer?": "从这台电脑上删除 {0}？",
    "Removed {0}": "已删除 {0}",
    # evidence quotes in the sources pane
    "quoted in the answer": "回答中引用了此处",
    "«{quote}»": "「{quote}」",
    "Recommended": "推荐",
    # the bundled model notice
    "Open in Models…": "在“模型”中查看…",
    "Show the recommended model in the Models dialog; it downloads only when you press Pull there":
        "在“模型”对话框中显示推荐的模型；只有在那里点击“下载”才会下载",
    "Dismiss": "不再提示",
    "Do not show this again": "以后不再显示此提示",
    "The bundled model, {bundled}, is a tiny offline default: its answers quote your documents and add little of "
    "their own.": "内置模型 {bundled} 是一个很小的离线默认模型：它的回答会引用你的文档，但自己补充的内容很少。",
    "The recommended {name} ({languages}, needs about {ram} GB RAM) is downloaded: choose it in Models and press Use.":
        "推荐的 {name}（{languages}，约需 {ram} GB 内存）已下载：在“模型”中选中它并点击“使用”。",
    "For fuller answers, the recommended {name} is an instruct model for {languages}: a {size} download that needs "
    "about {ram} GB RAM. Nothing is downloaded until you press Pull in Models.":
        "想要更完整的回答，推荐 {name}：支持{languages}的指令模型，需下载 {size}，约需 {ram} GB 内存。"
        "在“模型”中点击“下载”之前，不会下载任何内容。",
    "English": "英语",
    "Chinese": "中文",
    "many languages": "多种语言",
}


def fill(ts: Path, table: dict[str, str] | None) -> list[str]:
    """Fill translations; return the source texts still unfinished."""
    tree = ET.parse(ts)
    missing = []
    for message in tree.getroot().iter("message"):
        source = message.find("source").text or ""
        translation = message.find("translation")
        if table is None:
            translation.text = source
        elif source in table:
            translation.text = table[source]
        if translation.text:
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return missing


def main() -> int:
    sources = sorted(str(p) for p in (ROOT / "app").glob("*.py"))
    missing = []
    for lang, table in (("zh_CN", ZH), ("en", None)):
        ts = I18N / f"rag_desk_{lang}.ts"
        subprocess.run([str(BIN / "pyside6-lupdate"), *sources, "-no-obsolete", "-ts", str(ts)], check=True,
                       capture_output=True)
        missing += [f"{lang}: {m}" for m in fill(ts, table)]
        subprocess.run([str(BIN / "pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True,
                       capture_output=True)
    for m in missing:
        print("untranslated:", m, file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
