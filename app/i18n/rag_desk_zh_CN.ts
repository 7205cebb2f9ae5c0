<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>ChatController</name>
    <message>
        <location filename="../chat_controller.py" line="78" />
        <source>Knowledge base '{name}' has no documents yet. {hint}</source>
        <translation>知识库“{name}”还没有文档。{hint}</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="95" />
        <location filename="../chat_controller.py" line="169" />
        <source>answering…</source>
        <translation>正在回答…</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="107" />
        <location filename="../chat_controller.py" line="169" />
        <source>stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="114" />
        <source>Answer copied.</source>
        <translation>回答已复制。</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="139" />
        <source>{tokens} tokens, {rate:.1f} tok/s · {model}</source>
        <translation>{tokens} 个词元，{rate:.1f} 词元/秒 · {model}</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="142" />
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="147" />
        <source>The model gave no answer; try rephrasing the question.</source>
        <translation>模型没有给出回答；请换一种问法。</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="170" />
        <source>Models load on first use</source>
        <translation>模型将在首次使用时加载</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="171" />
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="242" />
        <source>Rename chat</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="242" />
        <source>Title:</source>
        <translation>标题：</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="251" />
        <source>Delete chat</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="251" />
        <source>Delete this conversation?</source>
        <translation>删除这个对话？</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="266" />
        <source>There is no saved conversation to export yet.</source>
        <translation>还没有可导出的已保存对话。</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="270" />
        <source>Export chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="271" />
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="281" />
        <source>{path}: cannot write the file ({why})</source>
        <translation>{path}：无法写入文件（{why}）</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="286" />
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="310" />
        <source>Only the selected documents ({n})</source>
        <translation>仅限选中的文档（{n}）</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="311" />
        <source>Only the selected documents</source>
        <translation>仅限选中的文档</translation>
    </message>
</context>
<context>
    <name>ChatPane</name>
    <message>
        <location filename="../chat_pane.py" line="100" />
        <source>Ask a question… (Enter sends, Shift+Enter for a new line)</source>
        <translation>输入问题…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="103" />
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="105" />
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="106" />
        <source>Stop the answer (Esc)</source>
        <translation>停止回答（Esc）</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="108" />
        <source>Only the selected documents</source>
        <translation>仅限选中的文档</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="109" />
        <source>Answer from the documents selected on the left only</source>
        <translation>只根据左侧选中的文档回答</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="110" />
        <source>Copy answer</source>
        <translation>复制回答</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="111" />
        <source>Copy the last answer with its sources (Ctrl+Shift+C)</source>
        <translation>复制最后一个回答及其来源（Ctrl+Shift+C）</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="113" />
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="114" />
        <source>Answer the last question again (Ctrl+R)</source>
        <translation>重新回答上一个问题（Ctrl+R）</translation>
    </message>
</context>
<context>
    <name>ChatsPane</name>
    <message>
        <location filename="../left_pane.py" line="200" />
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="201" />
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>开始新的对话（Ctrl+N）</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="248" />
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="249" />
        <source>Export to Markdown…</source>
        <translation>导出为 Markdown…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="251" />
        <source>Delete</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>DataDialog</name>
    <message>
        <location filename="../dialogs.py" line="252" />
        <source>Where RAG Desk keeps its data</source>
        <translation>RAG Desk 的数据存放位置</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="259" />
        <source>Your documents are never copied or changed: RAG Desk keeps their text, embeddings and your chats in the data folder.</source>
        <translation>你的文档不会被复制或修改：RAG Desk 只把它们的文本、向量和你的对话保存在数据文件夹中。</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="262" />
        <source>Open data folder</source>
        <translation>打开数据文件夹</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="264" />
        <source>Delete all data…</source>
        <translation>删除全部数据…</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="265" />
        <source>Delete every knowledge base, chat, cached model and the log</source>
        <translation>删除所有知识库、对话、缓存的模型和日志</translation>
    </message>
</context>
<context>
    <name>DocumentDetails</name>
    <message>
        <location filename="../dialogs.py" line="284" />
        <source>File: {path}</source>
        <translation>文件：{path}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="285" />
        <source>Status: {state}</source>
        <translation>状态：{state}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="286" />
        <source>Pages: {pages}    Chunks: {chunks}</source>
        <translation>页数：{pages}    分块：{chunks}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="290" />
        <source>SHA-256: {sha}</source>
        <translation>SHA-256：{sha}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="292" />
        <source>Problem: {error}</source>
        <translation>问题：{error}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="294" />
        <source>The source file is no longer there; its stored text still answers questions.</source>
        <translation>源文件已不在原处；已存储的文本仍可用于回答问题。</translation>
    </message>
</context>
<context>
    <name>DocumentsPane</name>
    <message>
        <location filename="../left_pane.py" line="47" />
        <source>Knowledge base: the set of documents questions are answered from</source>
        <translation>知识库：回答问题所依据的文档集合</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="50" />
        <source>New, rename or delete a knowledge base</source>
        <translation>新建、重命名或删除知识库</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="53" />
        <source>New knowledge base…</source>
        <translation>新建知识库…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="54" />
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="55" />
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="76" />
        <source>Add documents…</source>
        <translation>添加文档…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="85" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="86" />
        <source>Stop indexing after the current step</source>
        <translation>在当前步骤后停止建立索引</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="118" />
        <source>indexed</source>
        <translation>已索引</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="118" />
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="119" />
        <source>searchable · embedding {percent}%</source>
        <translation>可搜索 · 向量化 {percent}%</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="121" />
        <source>{name} — {pages} pages, {chunks} chunks, {state}</source>
        <translation>{name} — {pages} 页，{chunks} 个分块，{state}</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="144" />
        <source>Following: {folders}</source>
        <translation>正在跟踪：{folders}</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="164" />
        <source>Details…</source>
        <translation>详细信息…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="165" />
        <source>Show in file manager</source>
        <translation>在文件管理器中显示</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="167" />
        <source>Re-index</source>
        <translation>重新索引</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="168" />
        <source>Remove from knowledge base</source>
        <translation>从知识库中移除</translation>
    </message>
</context>
<context>
    <name>EmbedderAdvisor</name>
    <message>
        <location filename="../embedder_advisor.py" line="25" />
        <source>Re-index with it</source>
        <translation>用它重新索引</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="26" />
        <source>Index this knowledge base again with the multilingual embedder; progress shows in the documents pane and Cancel stops it</source>
        <translation>用多语言嵌入模型重新索引这个知识库；进度显示在文档窗格中，可随时取消</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="28" />
        <source>Not now</source>
        <translation>暂不</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="29" />
        <source>Do not suggest this again for this knowledge base</source>
        <translation>不再为这个知识库提示</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="63" />
        <source>Most of the text in “{kb}” is Chinese ({share:.0%}), but it is indexed with an English-only embedder, so passages are found by their words alone.</source>
        <translation>“{kb}”中的文字大多是中文（{share:.0%}），但它是用只懂英文的嵌入模型索引的，只能按字词查找段落。</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="67" />
        <source>RAG Desk runs in Chinese here, and “{kb}” is indexed with an English-only embedder, which cannot match the meaning of Chinese text.</source>
        <translation>RAG Desk 当前以中文运行，而“{kb}”是用只懂英文的嵌入模型索引的，无法理解中文文本的含义。</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="69" />
        <source>The multilingual embedder ({name}) reads Chinese and English. Switching indexes the knowledge base again: {pages} pages, {chunks} chunks, about {time} on this computer.</source>
        <translation>多语言嵌入模型（{name}）能读懂中文和英文。切换后将重新索引知识库：{pages} 页，{chunks} 个分块，在这台电脑上约需 {time}。</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="77" />
        <source>{n} min</source>
        <translation>{n} 分钟</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="78" />
        <source>{n} s</source>
        <translation>{n} 秒</translation>
    </message>
</context>
<context>
    <name>IngestController</name>
    <message>
        <location filename="../ingest_controller.py" line="61" />
        <source>Starting… (the embedding model loads on first use)</source>
        <translation>正在开始…（嵌入模型在首次使用时加载）</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="74" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="91" />
        <source>reading</source>
        <translation>读取中</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="91" />
        <source>embedding</source>
        <translation>向量化中</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="91" />
        <source>storing</source>
        <translation>保存中</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="92" />
        <source>OCR</source>
        <translation>OCR 识别</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="104" />
        <source>searchable · embedding {percent}%</source>
        <translation>可搜索 · 向量化 {percent}%</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="114" />
        <source>page {done}/{total} · OCR</source>
        <translation>第 {done}/{total} 页 · OCR 识别</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="116" />
        <source>, page {done}/{total}</source>
        <translation>，第 {done}/{total} 页</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="126" />
        <source>{name}: indexed, but {note}</source>
        <translation>{name}：已索引，但{note}</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="137" />
        <source>{n} indexed ({chunks} chunks)</source>
        <translation>已索引 {n} 个（{chunks} 个分块）</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="139" />
        <source>{n} searchable, vectors to come</source>
        <translation>{n} 个已可按关键词搜索，向量稍后生成</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="141" />
        <source>{n} unchanged</source>
        <translation>{n} 个未变化</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="143" />
        <source>{n} removed</source>
        <translation>已移除 {n} 个</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="145" />
        <source>{n} failed</source>
        <translation>{n} 个失败</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="146" />
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="146" />
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="147" />
        <source>{verb}: {parts} in {seconds:.1f} s</source>
        <translation>{verb}：{parts}，用时 {seconds:.1f} 秒</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="152" />
        <source>Indexing stopped.</source>
        <translation>索引已停止。</translation>
    </message>
</context>
<context>
    <name>LeftPane</name>
    <message>
        <location filename="../left_pane.py" line="263" />
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="264" />
        <source>Chats</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="265" />
        <source>Knowledge base</source>
        <translation>知识库</translation>
    </message>
</context>
<context>
    <name>LibraryController</name>
    <message>
        <location filename="../library_controller.py" line="120" />
        <source>New knowledge base</source>
        <translation>新建知识库</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="120" />
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="133" />
        <source>Rename knowledge base</source>
        <translation>重命名知识库</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="133" />
        <source>New name:</source>
        <translation>新名称：</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="150" />
        <source>Delete knowledge base</source>
        <translation>删除知识库</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="151" />
        <source>Delete knowledge base '{name}' with its index? Your document files are not touched.</source>
        <translation>删除知识库“{name}”及其索引？你的文档文件不受影响。</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="160" />
        <source>Wait for indexing to finish (or cancel it) before deleting a knowledge base.</source>
        <translation>请等待索引完成（或取消索引）后再删除知识库。</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="177" />
        <source>Add documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="178" />
        <source>Documents (*.pdf *.txt *.md *.markdown);;All files (*)</source>
        <translation>文档 (*.pdf *.txt *.md *.markdown);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="183" />
        <source>Add a folder of documents</source>
        <translation>添加文档文件夹</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="189" />
        <source>Wait for indexing to finish (or cancel it) before removing documents.</source>
        <translation>请等待索引完成（或取消索引）后再移除文档。</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="209" />
        <source>Removed {n} document(s).</source>
        <translation>已移除 {n} 个文档。</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="215" />
        <source>{path}: the file is no longer there</source>
        <translation>{path}：文件已不在原处</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="228" />
        <source>Follow a folder</source>
        <translation>跟踪文件夹</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="250" />
        <source>Knowledge base '{name}' follows no folders.</source>
        <translation>知识库“{name}”没有跟踪任何文件夹。</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="252" />
        <source>Stop following a folder</source>
        <translation>停止跟踪文件夹</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="253" />
        <source>Folder (its documents stay indexed):</source>
        <translation>文件夹（其中的文档仍保留索引）：</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../window.py" line="63" />
        <source>Models load on first use</source>
        <translation>模型将在首次使用时加载</translation>
    </message>
    <message>
        <location filename="../window.py" line="111" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../window.py" line="112" />
        <source>Add documents…</source>
        <translation>添加文档…</translation>
    </message>
    <message>
        <location filename="../window.py" line="113" />
        <source>Add a folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../window.py" line="114" />
        <source>Follow a folder…</source>
        <translation>跟踪文件夹…</translation>
    </message>
    <message>
        <location filename="../window.py" line="115" />
        <source>Keep the knowledge base in step with a folder: new, changed and deleted files</source>
        <translation>让知识库与文件夹保持同步：新增、修改和删除的文件</translation>
    </message>
    <message>
        <location filename="../window.py" line="117" />
        <source>Export chat to Markdown…</source>
        <translation>将对话导出为 Markdown…</translation>
    </message>
    <message>
        <location filename="../window.py" line="118" />
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <location filename="../window.py" line="119" />
        <source>Models…</source>
        <translation>模型…</translation>
    </message>
    <message>
        <location filename="../window.py" line="120" />
        <source>Download, choose and remove LLM and embedding models</source>
        <translation>下载、选择和删除 LLM 与嵌入模型</translation>
    </message>
    <message>
        <location filename="../window.py" line="122" />
        <location filename="../window.py" line="160" />
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location filename="../window.py" line="123" />
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <location filename="../window.py" line="124" />
        <location filename="../window.py" line="156" />
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../window.py" line="125" />
        <source>Regenerate answer</source>
        <translation>重新生成回答</translation>
    </message>
    <message>
        <location filename="../window.py" line="126" />
        <source>Copy answer</source>
        <translation>复制回答</translation>
    </message>
    <message>
        <location filename="../window.py" line="127" />
        <source>Stop answer</source>
        <translation>停止回答</translation>
    </message>
    <message>
        <location filename="../window.py" line="128" />
        <location filename="../window.py" line="159" />
        <source>Focus the question box</source>
        <translation>聚焦到提问框</translation>
    </message>
    <message>
        <location filename="../window.py" line="129" />
        <source>&amp;Knowledge base</source>
        <translation>知识库(&amp;K)</translation>
    </message>
    <message>
        <location filename="../window.py" line="130" />
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <location filename="../window.py" line="131" />
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location filename="../window.py" line="132" />
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <location filename="../window.py" line="134" />
        <source>Stop following folders…</source>
        <translation>停止跟踪文件夹…</translation>
    </message>
    <message>
        <location filename="../window.py" line="135" />
        <location filename="../window.py" line="159" />
        <source>Check watched folders now</source>
        <translation>立即检查跟踪的文件夹</translation>
    </message>
    <message>
        <location filename="../window.py" line="136" />
        <source>Rebuild with current settings</source>
        <translation>按当前设置重建</translation>
    </message>
    <message>
        <location filename="../window.py" line="137" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../window.py" line="138" />
        <source>Where is my data…</source>
        <translation>我的数据在哪里…</translation>
    </message>
    <message>
        <location filename="../window.py" line="139" />
        <location filename="../window.py" line="161" />
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../window.py" line="140" />
        <location filename="../window.py" line="164" />
        <source>About RAG Desk</source>
        <translation>关于 RAG Desk</translation>
    </message>
    <message>
        <location filename="../window.py" line="145" />
        <source>API: {url}</source>
        <translation>API：{url}</translation>
    </message>
    <message>
        <location filename="../window.py" line="146" />
        <source>Other programs can use your knowledge bases through this OpenAI-compatible address (model = knowledge base). Settings ▸ Local API turns it off.</source>
        <translation>其他程序可通过这个与 OpenAI 兼容的地址使用你的知识库（model = 知识库）。在“设置 ▸ 本地 API”中可关闭。</translation>
    </message>
    <message>
        <location filename="../window.py" line="150" />
        <source>API off</source>
        <translation>API 已关闭</translation>
    </message>
    <message>
        <location filename="../window.py" line="158" />
        <source>Add documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <location filename="../window.py" line="155" />
        <source>Send the question</source>
        <translation>发送问题</translation>
    </message>
    <message>
        <location filename="../window.py" line="155" />
        <source>New line in the question</source>
        <translation>在问题中换行</translation>
    </message>
    <message>
        <location filename="../window.py" line="156" />
        <source>Stop the answer</source>
        <translation>停止回答</translation>
    </message>
    <message>
        <location filename="../window.py" line="157" />
        <source>Regenerate the last answer</source>
        <translation>重新生成上一个回答</translation>
    </message>
    <message>
        <location filename="../window.py" line="157" />
        <source>Copy the last answer</source>
        <translation>复制上一个回答</translation>
    </message>
    <message>
        <location filename="../window.py" line="158" />
        <source>Export the chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location filename="../window.py" line="165" />
        <source>RAG Desk answers questions from your documents, offline. Nothing leaves this computer.</source>
        <translation>RAG Desk 离线地根据你的文档回答问题。任何数据都不会离开这台电脑。</translation>
    </message>
</context>
<context>
    <name>ModelNotice</name>
    <message>
        <location filename="../chat_pane.py" line="70" />
        <source>Open in Models…</source>
        <translation>在“模型”中查看…</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="71" />
        <source>Show the recommended model in the Models dialog; it downloads only when you press Pull there</source>
        <translation>在“模型”对话框中显示推荐的模型；只有在那里点击“下载”才会下载</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="74" />
        <source>Dismiss</source>
        <translation>不再提示</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="75" />
        <source>Do not show this again</source>
        <translation>以后不再显示此提示</translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message>
        <location filename="../models_dialog.py" line="83" />
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Licence</source>
        <translation>许可证</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="88" />
        <source>Languages</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="88" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="107" />
        <source>Pull</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="108" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="109" />
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="110" />
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="111" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="148" />
        <source>In use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="150" />
        <source>Bundled</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="152" />
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="154" />
        <source>Not downloaded</source>
        <translation>未下载</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="155" />
        <source>LLM</source>
        <translation>LLM</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="155" />
        <source>Embeddings</source>
        <translation>嵌入</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="199" />
        <source>Recommended</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="202" />
        <source>context {0} tokens</source>
        <translation>上下文 {0} 个词元</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="204" />
        <source>needs about {0} GB RAM</source>
        <translation>需要约 {0} GB 内存</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="220" />
        <source>starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="221" />
        <source>Contacting the model hub for {0}…</source>
        <translation>正在连接模型仓库获取 {0}…</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="234" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="238" />
        <source>{0} of {1} · {2}/s · {3} left</source>
        <translation>{0} / {1} · {2}/秒 · 剩余 {3}</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="244" />
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="245" />
        <source>Downloaded and verified into {0}</source>
        <translation>已下载并校验，保存在 {0}</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="248" />
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="252" />
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="253" />
        <source>Cancelled; Pull again to resume where it stopped.</source>
        <translation>已取消；再次点击“下载”可从中断处继续。</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="273" />
        <source>{0} is now {1}</source>
        <translation>{0} 现在是 {1}</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="281" />
        <source>Remove model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="282" />
        <source>Remove {0} from this computer?</source>
        <translation>从这台电脑上删除 {0}？</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="290" />
        <source>Removed {0}</source>
        <translation>已删除 {0}</translation>
    </message>
</context>
<context>
    <name>PageViewer</name>
    <message>
        <location filename="../pdfviewer.py" line="120" />
        <location filename="../pdfviewer.py" line="209" />
        <source>No page open</source>
        <translation>未打开页面</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="123" />
        <source>Previous page</source>
        <translation>上一页</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="126" />
        <source>Next page</source>
        <translation>下一页</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="129" />
        <source>Open the file in the system's PDF viewer</source>
        <translation>用系统的 PDF 阅读器打开文件</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="151" />
        <source>{name} — page {page} of {count}</source>
        <translation>{name} — 第 {page} 页，共 {count} 页</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="160" />
        <source>{path}: the file is no longer there; its stored text still answers questions (re-add it to open pages)</source>
        <translation>{path}：文件已不在原处；已存储的文本仍可回答问题（重新添加后才能打开页面）</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="164" />
        <source>{path}: the PDF viewer cannot open this file</source>
        <translation>{path}：PDF 查看器无法打开这个文件</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="180" />
        <source>{path}: only PDF pages can be shown; the passage is in the list above</source>
        <translation>{path}：只能显示 PDF 页面；段落内容见上方列表</translation>
    </message>
</context>
<context>
    <name>RagDesk</name>
    <message>
        <location filename="../widgets.py" line="18" />
        <source>Drop PDFs here or use Add documents…</source>
        <translation>把 PDF 拖到这里，或使用“添加文档…”</translation>
    </message>
</context>
<context>
    <name>SectionTextView</name>
    <message>
        <location filename="../textviewer.py" line="78" />
        <source>{label} — reading…</source>
        <translation>{label} — 正在读取…</translation>
    </message>
    <message>
        <location filename="../textviewer.py" line="82" />
        <source>cannot open {name}: {why}</source>
        <translation>无法打开 {name}：{why}</translation>
    </message>
    <message>
        <location filename="../textviewer.py" line="107" />
        <source>{label}: the document has changed since it was indexed; re-index it</source>
        <translation>{label}：文档在建立索引后已更改，请重新索引</translation>
    </message>
</context>
<context>
    <name>ServerController</name>
    <message>
        <location filename="../server_controller.py" line="61" />
        <source>The local API did not stop cleanly: {why}</source>
        <translation>本地 API 未能正常停止：{why}</translation>
    </message>
    <message>
        <location filename="../server_controller.py" line="72" />
        <source>The local API could not start on {host}:{port}: {why}. Choose another port in Settings ▸ Local API, or turn it off.</source>
        <translation>本地 API 无法在 {host}:{port} 上启动：{why}。请在“设置 ▸ 本地 API”中换一个端口，或将其关闭。</translation>
    </message>
</context>
<context>
    <name>SettingsController</name>
    <message>
        <location filename="../settings_controller.py" line="72" />
        <source>Could not save the settings: {why}</source>
        <translation>无法保存设置：{why}</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="91" />
        <source>Index knowledge base '{name}' again with the current embedding model and chunk settings?</source>
        <translation>用当前的嵌入模型和分块设置重新索引知识库“{name}”？</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="94" />
        <source>These files are no longer on disk and will be dropped: {files}</source>
        <translation>这些文件已不在磁盘上，将被移除：{files}</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="96" />
        <source>Rebuild knowledge base</source>
        <translation>重建知识库</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="164" />
        <source>The bundled model, {bundled}, is a tiny offline default: its answers quote your documents and add little of their own.</source>
        <translation>内置模型 {bundled} 是一个很小的离线默认模型：它的回答会引用你的文档，但自己补充的内容很少。</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="169" />
        <source>The recommended {name} ({languages}, needs about {ram} GB RAM) is downloaded: choose it in Models and press Use.</source>
        <translation>推荐的 {name}（{languages}，约需 {ram} GB 内存）已下载：在“模型”中选中它并点击“使用”。</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="172" />
        <source>For fuller answers, the recommended {name} is an instruct model for {languages}: a {size} download that needs about {ram} GB RAM. Nothing is downloaded until you press Pull in Models.</source>
        <translation>想要更完整的回答，推荐 {name}：支持{languages}的指令模型，需下载 {size}，约需 {ram} GB 内存。在“模型”中点击“下载”之前，不会下载任何内容。</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="180" />
        <source>English</source>
        <translation>英语</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="180" />
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="182" />
        <source>many languages</source>
        <translation>多种语言</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="206" />
        <source>{device} · {threads} threads</source>
        <translation>{device} · {threads} 个线程</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="213" />
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="213" />
        <source>Settings file</source>
        <translation>设置文件</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="213" />
        <source>Log file</source>
        <translation>日志文件</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="214" />
        <source>Knowledge bases</source>
        <translation>知识库</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="214" />
        <source>Chats</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="225" />
        <source>Delete all data</source>
        <translation>删除全部数据</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="226" />
        <source>Delete every knowledge base, chat, cached model and the log in {home}? Your document files are not touched. This cannot be undone.</source>
        <translation>删除 {home} 中的所有知识库、对话、缓存的模型和日志？你的文档文件不受影响。此操作无法撤销。</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="236" />
        <source>Wait for indexing and answers to finish before deleting data.</source>
        <translation>请等待索引和回答完成后再删除数据。</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="252" />
        <source>All data deleted.</source>
        <translation>全部数据已删除。</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../dialogs.py" line="38" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="42" />
        <source>A .gguf file, or the bundled model</source>
        <translation>一个 .gguf 文件，或内置模型</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="43" />
        <source>Choose GGUF…</source>
        <translation>选择 GGUF…</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="45" />
        <source>Bundled</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="46" />
        <source>Use the small model that ships with RAG Desk</source>
        <translation>使用 RAG Desk 自带的小模型</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="56" />
        <source>The bundled model, or a sentence-transformers model folder on disk</source>
        <translation>内置模型，或磁盘上的 sentence-transformers 模型文件夹</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="63" />
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="64" />
        <source>The local LLM (several seconds per question)</source>
        <translation>本地大语言模型（每个问题需数秒）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="70" />
        <source>Re-read the best passages before answering: off, the local LLM, a .gguf file or a cross-encoder model folder</source>
        <translation>回答前重新审读排名靠前的段落：关闭、本地大语言模型、.gguf 文件或交叉编码器模型文件夹</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="83" />
        <source>Layers of the LLM to put on the GPU: auto, all, or a number (0 = CPU only)</source>
        <translation>放到 GPU 上的 LLM 层数：auto、all 或一个数字（0 = 只用 CPU）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="85" />
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87" />
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87" />
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87" />
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="91" />
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="94" />
        <source>Takes effect when RAG Desk starts again</source>
        <translation>重新启动 RAG Desk 后生效</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="97" />
        <source>On this computer (llama.cpp)</source>
        <translation>在这台电脑上（llama.cpp）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="98" />
        <source>OpenAI-compatible server</source>
        <translation>OpenAI 兼容服务器</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="105" />
        <source>Chat (instruct models)</source>
        <translation>对话（指令模型）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="106" />
        <source>Completion (base models)</source>
        <translation>补全（基础模型）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="109" />
        <source>empty = on this computer; or http://host:8000</source>
        <translation>留空 = 在这台电脑上；或 http://host:8000</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="114" />
        <source>Serve the knowledge bases to other programs on this computer</source>
        <translation>向本机上的其他程序提供知识库</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="116" />
        <source>An OpenAI-compatible API on 127.0.0.1 (model = knowledge base name) while RAG Desk runs, as `rag-cli serve` gives</source>
        <translation>RAG Desk 运行期间在 127.0.0.1 上提供与 OpenAI 兼容的 API（model = 知识库名称），与 `rag-cli serve` 相同</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="119" />
        <source>any free port</source>
        <translation>任一空闲端口</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="122" />
        <source>optional: clients then send 'Authorization: Bearer TOKEN'</source>
        <translation>可选：设置后客户端须发送 'Authorization: Bearer TOKEN'</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="127" />
        <source>Answers from</source>
        <translation>回答来自</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="128" />
        <source>LLM server URL</source>
        <translation>LLM 服务器地址</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="129" />
        <source>LLM server API key</source>
        <translation>LLM 服务器 API 密钥</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="130" />
        <source>LLM server API</source>
        <translation>LLM 服务器接口</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="131" />
        <source>LLM model file</source>
        <translation>LLM 模型文件</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="132" />
        <source>Embedding model</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="133" />
        <source>Chunk size (tokens)</source>
        <translation>分块大小（词元）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="134" />
        <source>Chunk overlap (tokens)</source>
        <translation>分块重叠（词元）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="135" />
        <source>Passages per answer (top-k)</source>
        <translation>每个回答使用的段落数（top-k）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="136" />
        <source>Re-ranking</source>
        <translation>重新排序</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="137" />
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="138" />
        <source>Longest answer (tokens)</source>
        <translation>最长回答（词元）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="139" />
        <source>Context size (tokens)</source>
        <translation>上下文长度（词元）</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="140" />
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="141" />
        <source>CPU threads</source>
        <translation>CPU 线程数</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="142" />
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="143" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="144" />
        <source>Vector store server</source>
        <translation>向量库服务器</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="145" />
        <source>Vector store token</source>
        <translation>向量库令牌</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="146" />
        <source>Local API</source>
        <translation>本地 API</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="147" />
        <source>Local API port</source>
        <translation>本地 API 端口</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="148" />
        <source>Local API token</source>
        <translation>本地 API 令牌</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="149" />
        <source>Changing the embedding model or the chunking needs the knowledge base to be indexed again; you will be offered to do it.</source>
        <translation>更改嵌入模型或分块设置后需要重新索引知识库；届时会提示你进行。</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="191" />
        <source>Choose a GGUF model</source>
        <translation>选择 GGUF 模型</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="192" />
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="229" />
        <source>{path}: no such model file; choose a .gguf file or the bundled model</source>
        <translation>{path}：没有这个模型文件；请选择 .gguf 文件或内置模型</translation>
    </message>
</context>
<context>
    <name>SourcesPane</name>
    <message>
        <location filename="../sources_pane.py" line="49" />
        <source>Select a source to read its passage and open its page.</source>
        <translation>选择一个来源以阅读其段落并打开对应页面。</translation>
    </message>
    <message>
        <location filename="../sources_pane.py" line="59" />
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../sources_pane.py" line="92" />
        <source>quoted in the answer</source>
        <translation>回答中引用了此处</translation>
    </message>
    <message>
        <location filename="../sources_pane.py" line="95" />
        <location filename="../sources_pane.py" line="96" />
        <location filename="../sources_pane.py" line="128" />
        <source>«{quote}»</source>
        <translation>「{quote}」</translation>
    </message>
</context>
<context>
    <name>Transcript</name>
    <message>
        <location filename="../widgets.py" line="59" />
        <source>Ask a question about your documents. Answers cite their sources as [1], [2]…</source>
        <translation>就你的文档提问。回答会以 [1]、[2]… 标注来源。</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="107" />
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="132" />
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
</context>
</TS>