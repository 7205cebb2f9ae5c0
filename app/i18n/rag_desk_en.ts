<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>ChatController</name>
    <message>
        <location filename="../chat_controller.py" line="78" />
        <source>Knowledge base '{name}' has no documents yet. {hint}</source>
        <translation>Knowledge base '{name}' has no documents yet. {hint}</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="95" />
        <location filename="../chat_controller.py" line="169" />
        <source>answering…</source>
        <translation>answering…</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="107" />
        <location filename="../chat_controller.py" line="169" />
        <source>stopping…</source>
        <translation>stopping…</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="114" />
        <source>Answer copied.</source>
        <translation>Answer copied.</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="139" />
        <source>{tokens} tokens, {rate:.1f} tok/s · {model}</source>
        <translation>{tokens} tokens, {rate:.1f} tok/s · {model}</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="142" />
        <source>Stopped.</source>
        <translation>Stopped.</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="147" />
        <source>The model gave no answer; try rephrasing the question.</source>
        <translation>The model gave no answer; try rephrasing the question.</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="170" />
        <source>Models load on first use</source>
        <translation>Models load on first use</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="171" />
        <source>ready</source>
        <translation>ready</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="242" />
        <source>Rename chat</source>
        <translation>Rename chat</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="242" />
        <source>Title:</source>
        <translation>Title:</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="251" />
        <source>Delete chat</source>
        <translation>Delete chat</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="251" />
        <source>Delete this conversation?</source>
        <translation>Delete this conversation?</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="266" />
        <source>There is no saved conversation to export yet.</source>
        <translation>There is no saved conversation to export yet.</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="270" />
        <source>Export chat</source>
        <translation>Export chat</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="271" />
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="281" />
        <source>{path}: cannot write the file ({why})</source>
        <translation>{path}: cannot write the file ({why})</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="286" />
        <source>Exported to {path}</source>
        <translation>Exported to {path}</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="310" />
        <source>Only the selected documents ({n})</source>
        <translation>Only the selected documents ({n})</translation>
    </message>
    <message>
        <location filename="../chat_controller.py" line="311" />
        <source>Only the selected documents</source>
        <translation>Only the selected documents</translation>
    </message>
</context>
<context>
    <name>ChatPane</name>
    <message>
        <location filename="../chat_pane.py" line="100" />
        <source>Ask a question… (Enter sends, Shift+Enter for a new line)</source>
        <translation>Ask a question… (Enter sends, Shift+Enter for a new line)</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="103" />
        <source>Send</source>
        <translation>Send</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="105" />
        <source>Stop</source>
        <translation>Stop</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="106" />
        <source>Stop the answer (Esc)</source>
        <translation>Stop the answer (Esc)</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="108" />
        <source>Only the selected documents</source>
        <translation>Only the selected documents</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="109" />
        <source>Answer from the documents selected on the left only</source>
        <translation>Answer from the documents selected on the left only</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="110" />
        <source>Copy answer</source>
        <translation>Copy answer</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="111" />
        <source>Copy the last answer with its sources (Ctrl+Shift+C)</source>
        <translation>Copy the last answer with its sources (Ctrl+Shift+C)</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="113" />
        <source>Regenerate</source>
        <translation>Regenerate</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="114" />
        <source>Answer the last question again (Ctrl+R)</source>
        <translation>Answer the last question again (Ctrl+R)</translation>
    </message>
</context>
<context>
    <name>ChatsPane</name>
    <message>
        <location filename="../left_pane.py" line="200" />
        <source>New chat</source>
        <translation>New chat</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="201" />
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>Start a new conversation (Ctrl+N)</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="248" />
        <source>Rename…</source>
        <translation>Rename…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="249" />
        <source>Export to Markdown…</source>
        <translation>Export to Markdown…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="251" />
        <source>Delete</source>
        <translation>Delete</translation>
    </message>
</context>
<context>
    <name>DataDialog</name>
    <message>
        <location filename="../dialogs.py" line="252" />
        <source>Where RAG Desk keeps its data</source>
        <translation>Where RAG Desk keeps its data</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="259" />
        <source>Your documents are never copied or changed: RAG Desk keeps their text, embeddings and your chats in the data folder.</source>
        <translation>Your documents are never copied or changed: RAG Desk keeps their text, embeddings and your chats in the data folder.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="262" />
        <source>Open data folder</source>
        <translation>Open data folder</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="264" />
        <source>Delete all data…</source>
        <translation>Delete all data…</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="265" />
        <source>Delete every knowledge base, chat, cached model and the log</source>
        <translation>Delete every knowledge base, chat, cached model and the log</translation>
    </message>
</context>
<context>
    <name>DocumentDetails</name>
    <message>
        <location filename="../dialogs.py" line="284" />
        <source>File: {path}</source>
        <translation>File: {path}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="285" />
        <source>Status: {state}</source>
        <translation>Status: {state}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="286" />
        <source>Pages: {pages}    Chunks: {chunks}</source>
        <translation>Pages: {pages}    Chunks: {chunks}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="290" />
        <source>SHA-256: {sha}</source>
        <translation>SHA-256: {sha}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="292" />
        <source>Problem: {error}</source>
        <translation>Problem: {error}</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="294" />
        <source>The source file is no longer there; its stored text still answers questions.</source>
        <translation>The source file is no longer there; its stored text still answers questions.</translation>
    </message>
</context>
<context>
    <name>DocumentsPane</name>
    <message>
        <location filename="../left_pane.py" line="47" />
        <source>Knowledge base: the set of documents questions are answered from</source>
        <translation>Knowledge base: the set of documents questions are answered from</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="50" />
        <source>New, rename or delete a knowledge base</source>
        <translation>New, rename or delete a knowledge base</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="53" />
        <source>New knowledge base…</source>
        <translation>New knowledge base…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="54" />
        <source>Rename…</source>
        <translation>Rename…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="55" />
        <source>Delete…</source>
        <translation>Delete…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="76" />
        <source>Add documents…</source>
        <translation>Add documents…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="85" />
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="86" />
        <source>Stop indexing after the current step</source>
        <translation>Stop indexing after the current step</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="118" />
        <source>indexed</source>
        <translation>indexed</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="118" />
        <source>failed</source>
        <translation>failed</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="119" />
        <source>searchable · embedding {percent}%</source>
        <translation>searchable · embedding {percent}%</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="121" />
        <source>{name} — {pages} pages, {chunks} chunks, {state}</source>
        <translation>{name} — {pages} pages, {chunks} chunks, {state}</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="144" />
        <source>Following: {folders}</source>
        <translation>Following: {folders}</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="164" />
        <source>Details…</source>
        <translation>Details…</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="165" />
        <source>Show in file manager</source>
        <translation>Show in file manager</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="167" />
        <source>Re-index</source>
        <translation>Re-index</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="168" />
        <source>Remove from knowledge base</source>
        <translation>Remove from knowledge base</translation>
    </message>
</context>
<context>
    <name>EmbedderAdvisor</name>
    <message>
        <location filename="../embedder_advisor.py" line="25" />
        <source>Re-index with it</source>
        <translation>Re-index with it</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="26" />
        <source>Index this knowledge base again with the multilingual embedder; progress shows in the documents pane and Cancel stops it</source>
        <translation>Index this knowledge base again with the multilingual embedder; progress shows in the documents pane and Cancel stops it</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="28" />
        <source>Not now</source>
        <translation>Not now</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="29" />
        <source>Do not suggest this again for this knowledge base</source>
        <translation>Do not suggest this again for this knowledge base</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="63" />
        <source>Most of the text in “{kb}” is Chinese ({share:.0%}), but it is indexed with an English-only embedder, so passages are found by their words alone.</source>
        <translation>Most of the text in “{kb}” is Chinese ({share:.0%}), but it is indexed with an English-only embedder, so passages are found by their words alone.</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="67" />
        <source>RAG Desk runs in Chinese here, and “{kb}” is indexed with an English-only embedder, which cannot match the meaning of Chinese text.</source>
        <translation>RAG Desk runs in Chinese here, and “{kb}” is indexed with an English-only embedder, which cannot match the meaning of Chinese text.</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="69" />
        <source>The multilingual embedder ({name}) reads Chinese and English. Switching indexes the knowledge base again: {pages} pages, {chunks} chunks, about {time} on this computer.</source>
        <translation>The multilingual embedder ({name}) reads Chinese and English. Switching indexes the knowledge base again: {pages} pages, {chunks} chunks, about {time} on this computer.</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="77" />
        <source>{n} min</source>
        <translation>{n} min</translation>
    </message>
    <message>
        <location filename="../embedder_advisor.py" line="78" />
        <source>{n} s</source>
        <translation>{n} s</translation>
    </message>
</context>
<context>
    <name>IngestController</name>
    <message>
        <location filename="../ingest_controller.py" line="61" />
        <source>Starting… (the embedding model loads on first use)</source>
        <translation>Starting… (the embedding model loads on first use)</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="74" />
        <source>Cancelling…</source>
        <translation>Cancelling…</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="91" />
        <source>reading</source>
        <translation>reading</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="91" />
        <source>embedding</source>
        <translation>embedding</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="91" />
        <source>storing</source>
        <translation>storing</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="92" />
        <source>OCR</source>
        <translation>OCR</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="104" />
        <source>searchable · embedding {percent}%</source>
        <translation>searchable · embedding {percent}%</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="114" />
        <source>page {done}/{total} · OCR</source>
        <translation>page {done}/{total} · OCR</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="116" />
        <source>, page {done}/{total}</source>
        <translation>, page {done}/{total}</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="126" />
        <source>{name}: indexed, but {note}</source>
        <translation>{name}: indexed, but {note}</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="137" />
        <source>{n} indexed ({chunks} chunks)</source>
        <translation>{n} indexed ({chunks} chunks)</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="139" />
        <source>{n} searchable, vectors to come</source>
        <translation>{n} searchable, vectors to come</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="141" />
        <source>{n} unchanged</source>
        <translation>{n} unchanged</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="143" />
        <source>{n} removed</source>
        <translation>{n} removed</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="145" />
        <source>{n} failed</source>
        <translation>{n} failed</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="146" />
        <source>Cancelled</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="146" />
        <source>Done</source>
        <translation>Done</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="147" />
        <source>{verb}: {parts} in {seconds:.1f} s</source>
        <translation>{verb}: {parts} in {seconds:.1f} s</translation>
    </message>
    <message>
        <location filename="../ingest_controller.py" line="152" />
        <source>Indexing stopped.</source>
        <translation>Indexing stopped.</translation>
    </message>
</context>
<context>
    <name>LeftPane</name>
    <message>
        <location filename="../left_pane.py" line="263" />
        <source>Documents</source>
        <translation>Documents</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="264" />
        <source>Chats</source>
        <translation>Chats</translation>
    </message>
    <message>
        <location filename="../left_pane.py" line="265" />
        <source>Knowledge base</source>
        <translation>Knowledge base</translation>
    </message>
</context>
<context>
    <name>LibraryController</name>
    <message>
        <location filename="../library_controller.py" line="120" />
        <source>New knowledge base</source>
        <translation>New knowledge base</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="120" />
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="133" />
        <source>Rename knowledge base</source>
        <translation>Rename knowledge base</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="133" />
        <source>New name:</source>
        <translation>New name:</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="150" />
        <source>Delete knowledge base</source>
        <translation>Delete knowledge base</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="151" />
        <source>Delete knowledge base '{name}' with its index? Your document files are not touched.</source>
        <translation>Delete knowledge base '{name}' with its index? Your document files are not touched.</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="160" />
        <source>Wait for indexing to finish (or cancel it) before deleting a knowledge base.</source>
        <translation>Wait for indexing to finish (or cancel it) before deleting a knowledge base.</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="177" />
        <source>Add documents</source>
        <translation>Add documents</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="178" />
        <source>Documents (*.pdf *.txt *.md *.markdown);;All files (*)</source>
        <translation>Documents (*.pdf *.txt *.md *.markdown);;All files (*)</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="183" />
        <source>Add a folder of documents</source>
        <translation>Add a folder of documents</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="189" />
        <source>Wait for indexing to finish (or cancel it) before removing documents.</source>
        <translation>Wait for indexing to finish (or cancel it) before removing documents.</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="209" />
        <source>Removed {n} document(s).</source>
        <translation>Removed {n} document(s).</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="215" />
        <source>{path}: the file is no longer there</source>
        <translation>{path}: the file is no longer there</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="228" />
        <source>Follow a folder</source>
        <translation>Follow a folder</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="250" />
        <source>Knowledge base '{name}' follows no folders.</source>
        <translation>Knowledge base '{name}' follows no folders.</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="252" />
        <source>Stop following a folder</source>
        <translation>Stop following a folder</translation>
    </message>
    <message>
        <location filename="../library_controller.py" line="253" />
        <source>Folder (its documents stay indexed):</source>
        <translation>Folder (its documents stay indexed):</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../window.py" line="63" />
        <source>Models load on first use</source>
        <translation>Models load on first use</translation>
    </message>
    <message>
        <location filename="../window.py" line="111" />
        <source>&amp;File</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <location filename="../window.py" line="112" />
        <source>Add documents…</source>
        <translation>Add documents…</translation>
    </message>
    <message>
        <location filename="../window.py" line="113" />
        <source>Add a folder…</source>
        <translation>Add a folder…</translation>
    </message>
    <message>
        <location filename="../window.py" line="114" />
        <source>Follow a folder…</source>
        <translation>Follow a folder…</translation>
    </message>
    <message>
        <location filename="../window.py" line="115" />
        <source>Keep the knowledge base in step with a folder: new, changed and deleted files</source>
        <translation>Keep the knowledge base in step with a folder: new, changed and deleted files</translation>
    </message>
    <message>
        <location filename="../window.py" line="117" />
        <source>Export chat to Markdown…</source>
        <translation>Export chat to Markdown…</translation>
    </message>
    <message>
        <location filename="../window.py" line="118" />
        <source>Settings…</source>
        <translation>Settings…</translation>
    </message>
    <message>
        <location filename="../window.py" line="119" />
        <source>Models…</source>
        <translation>Models…</translation>
    </message>
    <message>
        <location filename="../window.py" line="120" />
        <source>Download, choose and remove LLM and embedding models</source>
        <translation>Download, choose and remove LLM and embedding models</translation>
    </message>
    <message>
        <location filename="../window.py" line="122" />
        <location filename="../window.py" line="160" />
        <source>Quit</source>
        <translation>Quit</translation>
    </message>
    <message>
        <location filename="../window.py" line="123" />
        <source>&amp;Chat</source>
        <translation>&amp;Chat</translation>
    </message>
    <message>
        <location filename="../window.py" line="124" />
        <location filename="../window.py" line="156" />
        <source>New chat</source>
        <translation>New chat</translation>
    </message>
    <message>
        <location filename="../window.py" line="125" />
        <source>Regenerate answer</source>
        <translation>Regenerate answer</translation>
    </message>
    <message>
        <location filename="../window.py" line="126" />
        <source>Copy answer</source>
        <translation>Copy answer</translation>
    </message>
    <message>
        <location filename="../window.py" line="127" />
        <source>Stop answer</source>
        <translation>Stop answer</translation>
    </message>
    <message>
        <location filename="../window.py" line="128" />
        <location filename="../window.py" line="159" />
        <source>Focus the question box</source>
        <translation>Focus the question box</translation>
    </message>
    <message>
        <location filename="../window.py" line="129" />
        <source>&amp;Knowledge base</source>
        <translation>&amp;Knowledge base</translation>
    </message>
    <message>
        <location filename="../window.py" line="130" />
        <source>New…</source>
        <translation>New…</translation>
    </message>
    <message>
        <location filename="../window.py" line="131" />
        <source>Rename…</source>
        <translation>Rename…</translation>
    </message>
    <message>
        <location filename="../window.py" line="132" />
        <source>Delete…</source>
        <translation>Delete…</translation>
    </message>
    <message>
        <location filename="../window.py" line="134" />
        <source>Stop following folders…</source>
        <translation>Stop following folders…</translation>
    </message>
    <message>
        <location filename="../window.py" line="135" />
        <location filename="../window.py" line="159" />
        <source>Check watched folders now</source>
        <translation>Check watched folders now</translation>
    </message>
    <message>
        <location filename="../window.py" line="136" />
        <source>Rebuild with current settings</source>
        <translation>Rebuild with current settings</translation>
    </message>
    <message>
        <location filename="../window.py" line="137" />
        <source>&amp;Help</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <location filename="../window.py" line="138" />
        <source>Where is my data…</source>
        <translation>Where is my data…</translation>
    </message>
    <message>
        <location filename="../window.py" line="139" />
        <location filename="../window.py" line="161" />
        <source>Keyboard shortcuts</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <location filename="../window.py" line="140" />
        <location filename="../window.py" line="164" />
        <source>About RAG Desk</source>
        <translation>About RAG Desk</translation>
    </message>
    <message>
        <location filename="../window.py" line="145" />
        <source>API: {url}</source>
        <translation>API: {url}</translation>
    </message>
    <message>
        <location filename="../window.py" line="146" />
        <source>Other programs can use your knowledge bases through this OpenAI-compatible address (model = knowledge base). Settings ▸ Local API turns it off.</source>
        <translation>Other programs can use your knowledge bases through this OpenAI-compatible address (model = knowledge base). Settings ▸ Local API turns it off.</translation>
    </message>
    <message>
        <location filename="../window.py" line="150" />
        <source>API off</source>
        <translation>API off</translation>
    </message>
    <message>
        <location filename="../window.py" line="158" />
        <source>Add documents</source>
        <translation>Add documents</translation>
    </message>
    <message>
        <location filename="../window.py" line="155" />
        <source>Send the question</source>
        <translation>Send the question</translation>
    </message>
    <message>
        <location filename="../window.py" line="155" />
        <source>New line in the question</source>
        <translation>New line in the question</translation>
    </message>
    <message>
        <location filename="../window.py" line="156" />
        <source>Stop the answer</source>
        <translation>Stop the answer</translation>
    </message>
    <message>
        <location filename="../window.py" line="157" />
        <source>Regenerate the last answer</source>
        <translation>Regenerate the last answer</translation>
    </message>
    <message>
        <location filename="../window.py" line="157" />
        <source>Copy the last answer</source>
        <translation>Copy the last answer</translation>
    </message>
    <message>
        <location filename="../window.py" line="158" />
        <source>Export the chat</source>
        <translation>Export the chat</translation>
    </message>
    <message>
        <location filename="../window.py" line="165" />
        <source>RAG Desk answers questions from your documents, offline. Nothing leaves this computer.</source>
        <translation>RAG Desk answers questions from your documents, offline. Nothing leaves this computer.</translation>
    </message>
</context>
<context>
    <name>ModelNotice</name>
    <message>
        <location filename="../chat_pane.py" line="70" />
        <source>Open in Models…</source>
        <translation>Open in Models…</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="71" />
        <source>Show the recommended model in the Models dialog; it downloads only when you press Pull there</source>
        <translation>Show the recommended model in the Models dialog; it downloads only when you press Pull there</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="74" />
        <source>Dismiss</source>
        <translation>Dismiss</translation>
    </message>
    <message>
        <location filename="../chat_pane.py" line="75" />
        <source>Do not show this again</source>
        <translation>Do not show this again</translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message>
        <location filename="../models_dialog.py" line="83" />
        <source>Models</source>
        <translation>Models</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Size</source>
        <translation>Size</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="87" />
        <source>Licence</source>
        <translation>Licence</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="88" />
        <source>Languages</source>
        <translation>Languages</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="88" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="107" />
        <source>Pull</source>
        <translation>Pull</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="108" />
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="109" />
        <source>Use</source>
        <translation>Use</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="110" />
        <source>Remove</source>
        <translation>Remove</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="111" />
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="148" />
        <source>In use</source>
        <translation>In use</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="150" />
        <source>Bundled</source>
        <translation>Bundled</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="152" />
        <source>Installed</source>
        <translation>Installed</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="154" />
        <source>Not downloaded</source>
        <translation>Not downloaded</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="155" />
        <source>LLM</source>
        <translation>LLM</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="155" />
        <source>Embeddings</source>
        <translation>Embeddings</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="199" />
        <source>Recommended</source>
        <translation>Recommended</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="202" />
        <source>context {0} tokens</source>
        <translation>context {0} tokens</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="204" />
        <source>needs about {0} GB RAM</source>
        <translation>needs about {0} GB RAM</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="220" />
        <source>starting…</source>
        <translation>starting…</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="221" />
        <source>Contacting the model hub for {0}…</source>
        <translation>Contacting the model hub for {0}…</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="234" />
        <source>Cancelling…</source>
        <translation>Cancelling…</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="238" />
        <source>{0} of {1} · {2}/s · {3} left</source>
        <translation>{0} of {1} · {2}/s · {3} left</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="244" />
        <source>done</source>
        <translation>done</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="245" />
        <source>Downloaded and verified into {0}</source>
        <translation>Downloaded and verified into {0}</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="248" />
        <source>failed</source>
        <translation>failed</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="252" />
        <source>cancelled</source>
        <translation>cancelled</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="253" />
        <source>Cancelled; Pull again to resume where it stopped.</source>
        <translation>Cancelled; Pull again to resume where it stopped.</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="273" />
        <source>{0} is now {1}</source>
        <translation>{0} is now {1}</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="281" />
        <source>Remove model</source>
        <translation>Remove model</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="282" />
        <source>Remove {0} from this computer?</source>
        <translation>Remove {0} from this computer?</translation>
    </message>
    <message>
        <location filename="../models_dialog.py" line="290" />
        <source>Removed {0}</source>
        <translation>Removed {0}</translation>
    </message>
</context>
<context>
    <name>PageViewer</name>
    <message>
        <location filename="../pdfviewer.py" line="120" />
        <location filename="../pdfviewer.py" line="209" />
        <source>No page open</source>
        <translation>No page open</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="123" />
        <source>Previous page</source>
        <translation>Previous page</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="126" />
        <source>Next page</source>
        <translation>Next page</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="129" />
        <source>Open the file in the system's PDF viewer</source>
        <translation>Open the file in the system's PDF viewer</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="151" />
        <source>{name} — page {page} of {count}</source>
        <translation>{name} — page {page} of {count}</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="160" />
        <source>{path}: the file is no longer there; its stored text still answers questions (re-add it to open pages)</source>
        <translation>{path}: the file is no longer there; its stored text still answers questions (re-add it to open pages)</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="164" />
        <source>{path}: the PDF viewer cannot open this file</source>
        <translation>{path}: the PDF viewer cannot open this file</translation>
    </message>
    <message>
        <location filename="../pdfviewer.py" line="180" />
        <source>{path}: only PDF pages can be shown; the passage is in the list above</source>
        <translation>{path}: only PDF pages can be shown; the passage is in the list above</translation>
    </message>
</context>
<context>
    <name>RagDesk</name>
    <message>
        <location filename="../widgets.py" line="18" />
        <source>Drop PDFs here or use Add documents…</source>
        <translation>Drop PDFs here or use Add documents…</translation>
    </message>
</context>
<context>
    <name>SectionTextView</name>
    <message>
        <location filename="../textviewer.py" line="78" />
        <source>{label} — reading…</source>
        <translation>{label} — reading…</translation>
    </message>
    <message>
        <location filename="../textviewer.py" line="82" />
        <source>cannot open {name}: {why}</source>
        <translation>cannot open {name}: {why}</translation>
    </message>
    <message>
        <location filename="../textviewer.py" line="107" />
        <source>{label}: the document has changed since it was indexed; re-index it</source>
        <translation>{label}: the document has changed since it was indexed; re-index it</translation>
    </message>
</context>
<context>
    <name>ServerController</name>
    <message>
        <location filename="../server_controller.py" line="61" />
        <source>The local API did not stop cleanly: {why}</source>
        <translation>The local API did not stop cleanly: {why}</translation>
    </message>
    <message>
        <location filename="../server_controller.py" line="72" />
        <source>The local API could not start on {host}:{port}: {why}. Choose another port in Settings ▸ Local API, or turn it off.</source>
        <translation>The local API could not start on {host}:{port}: {why}. Choose another port in Settings ▸ Local API, or turn it off.</translation>
    </message>
</context>
<context>
    <name>SettingsController</name>
    <message>
        <location filename="../settings_controller.py" line="72" />
        <source>Could not save the settings: {why}</source>
        <translation>Could not save the settings: {why}</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="91" />
        <source>Index knowledge base '{name}' again with the current embedding model and chunk settings?</source>
        <translation>Index knowledge base '{name}' again with the current embedding model and chunk settings?</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="94" />
        <source>These files are no longer on disk and will be dropped: {files}</source>
        <translation>These files are no longer on disk and will be dropped: {files}</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="96" />
        <source>Rebuild knowledge base</source>
        <translation>Rebuild knowledge base</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="164" />
        <source>The bundled model, {bundled}, is a tiny offline default: its answers quote your documents and add little of their own.</source>
        <translation>The bundled model, {bundled}, is a tiny offline default: its answers quote your documents and add little of their own.</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="169" />
        <source>The recommended {name} ({languages}, needs about {ram} GB RAM) is downloaded: choose it in Models and press Use.</source>
        <translation>The recommended {name} ({languages}, needs about {ram} GB RAM) is downloaded: choose it in Models and press Use.</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="172" />
        <source>For fuller answers, the recommended {name} is an instruct model for {languages}: a {size} download that needs about {ram} GB RAM. Nothing is downloaded until you press Pull in Models.</source>
        <translation>For fuller answers, the recommended {name} is an instruct model for {languages}: a {size} download that needs about {ram} GB RAM. Nothing is downloaded until you press Pull in Models.</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="180" />
        <source>English</source>
        <translation>English</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="180" />
        <source>Chinese</source>
        <translation>Chinese</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="182" />
        <source>many languages</source>
        <translation>many languages</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="206" />
        <source>{device} · {threads} threads</source>
        <translation>{device} · {threads} threads</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="213" />
        <source>Data folder</source>
        <translation>Data folder</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="213" />
        <source>Settings file</source>
        <translation>Settings file</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="213" />
        <source>Log file</source>
        <translation>Log file</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="214" />
        <source>Knowledge bases</source>
        <translation>Knowledge bases</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="214" />
        <source>Chats</source>
        <translation>Chats</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="225" />
        <source>Delete all data</source>
        <translation>Delete all data</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="226" />
        <source>Delete every knowledge base, chat, cached model and the log in {home}? Your document files are not touched. This cannot be undone.</source>
        <translation>Delete every knowledge base, chat, cached model and the log in {home}? Your document files are not touched. This cannot be undone.</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="236" />
        <source>Wait for indexing and answers to finish before deleting data.</source>
        <translation>Wait for indexing and answers to finish before deleting data.</translation>
    </message>
    <message>
        <location filename="../settings_controller.py" line="252" />
        <source>All data deleted.</source>
        <translation>All data deleted.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../dialogs.py" line="38" />
        <source>Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="42" />
        <source>A .gguf file, or the bundled model</source>
        <translation>A .gguf file, or the bundled model</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="43" />
        <source>Choose GGUF…</source>
        <translation>Choose GGUF…</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="45" />
        <source>Bundled</source>
        <translation>Bundled</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="46" />
        <source>Use the small model that ships with RAG Desk</source>
        <translation>Use the small model that ships with RAG Desk</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="56" />
        <source>The bundled model, or a sentence-transformers model folder on disk</source>
        <translation>The bundled model, or a sentence-transformers model folder on disk</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="63" />
        <source>Off</source>
        <translation>Off</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="64" />
        <source>The local LLM (several seconds per question)</source>
        <translation>The local LLM (several seconds per question)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="70" />
        <source>Re-read the best passages before answering: off, the local LLM, a .gguf file or a cross-encoder model folder</source>
        <translation>Re-read the best passages before answering: off, the local LLM, a .gguf file or a cross-encoder model folder</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="83" />
        <source>Layers of the LLM to put on the GPU: auto, all, or a number (0 = CPU only)</source>
        <translation>Layers of the LLM to put on the GPU: auto, all, or a number (0 = CPU only)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="85" />
        <source>automatic</source>
        <translation>automatic</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87" />
        <source>System</source>
        <translation>System</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87" />
        <source>Light</source>
        <translation>Light</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87" />
        <source>Dark</source>
        <translation>Dark</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="91" />
        <source>System language</source>
        <translation>System language</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="94" />
        <source>Takes effect when RAG Desk starts again</source>
        <translation>Takes effect when RAG Desk starts again</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="97" />
        <source>On this computer (llama.cpp)</source>
        <translation>On this computer (llama.cpp)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="98" />
        <source>OpenAI-compatible server</source>
        <translation>OpenAI-compatible server</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="105" />
        <source>Chat (instruct models)</source>
        <translation>Chat (instruct models)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="106" />
        <source>Completion (base models)</source>
        <translation>Completion (base models)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="109" />
        <source>empty = on this computer; or http://host:8000</source>
        <translation>empty = on this computer; or http://host:8000</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="114" />
        <source>Serve the knowledge bases to other programs on this computer</source>
        <translation>Serve the knowledge bases to other programs on this computer</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="116" />
        <source>An OpenAI-compatible API on 127.0.0.1 (model = knowledge base name) while RAG Desk runs, as `rag-cli serve` gives</source>
        <translation>An OpenAI-compatible API on 127.0.0.1 (model = knowledge base name) while RAG Desk runs, as `rag-cli serve` gives</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="119" />
        <source>any free port</source>
        <translation>any free port</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="122" />
        <source>optional: clients then send 'Authorization: Bearer TOKEN'</source>
        <translation>optional: clients then send 'Authorization: Bearer TOKEN'</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="127" />
        <source>Answers from</source>
        <translation>Answers from</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="128" />
        <source>LLM server URL</source>
        <translation>LLM server URL</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="129" />
        <source>LLM server API key</source>
        <translation>LLM server API key</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="130" />
        <source>LLM server API</source>
        <translation>LLM server API</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="131" />
        <source>LLM model file</source>
        <translation>LLM model file</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="132" />
        <source>Embedding model</source>
        <translation>Embedding model</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="133" />
        <source>Chunk size (tokens)</source>
        <translation>Chunk size (tokens)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="134" />
        <source>Chunk overlap (tokens)</source>
        <translation>Chunk overlap (tokens)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="135" />
        <source>Passages per answer (top-k)</source>
        <translation>Passages per answer (top-k)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="136" />
        <source>Re-ranking</source>
        <translation>Re-ranking</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="137" />
        <source>Temperature</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="138" />
        <source>Longest answer (tokens)</source>
        <translation>Longest answer (tokens)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="139" />
        <source>Context size (tokens)</source>
        <translation>Context size (tokens)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="140" />
        <source>GPU layers</source>
        <translation>GPU layers</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="141" />
        <source>CPU threads</source>
        <translation>CPU threads</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="142" />
        <source>Theme</source>
        <translation>Theme</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="143" />
        <source>Language</source>
        <translation>Language</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="144" />
        <source>Vector store server</source>
        <translation>Vector store server</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="145" />
        <source>Vector store token</source>
        <translation>Vector store token</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="146" />
        <source>Local API</source>
        <translation>Local API</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="147" />
        <source>Local API port</source>
        <translation>Local API port</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="148" />
        <source>Local API token</source>
        <translation>Local API token</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="149" />
        <source>Changing the embedding model or the chunking needs the knowledge base to be indexed again; you will be offered to do it.</source>
        <translation>Changing the embedding model or the chunking needs the knowledge base to be indexed again; you will be offered to do it.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="191" />
        <source>Choose a GGUF model</source>
        <translation>Choose a GGUF model</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="192" />
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF models (*.gguf);;All files (*)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="229" />
        <source>{path}: no such model file; choose a .gguf file or the bundled model</source>
        <translation>{path}: no such model file; choose a .gguf file or the bundled model</translation>
    </message>
</context>
<context>
    <name>SourcesPane</name>
    <message>
        <location filename="../sources_pane.py" line="49" />
        <source>Select a source to read its passage and open its page.</source>
        <translation>Select a source to read its passage and open its page.</translation>
    </message>
    <message>
        <location filename="../sources_pane.py" line="59" />
        <source>Sources</source>
        <translation>Sources</translation>
    </message>
    <message>
        <location filename="../sources_pane.py" line="92" />
        <source>quoted in the answer</source>
        <translation>quoted in the answer</translation>
    </message>
    <message>
        <location filename="../sources_pane.py" line="95" />
        <location filename="../sources_pane.py" line="96" />
        <location filename="../sources_pane.py" line="128" />
        <source>«{quote}»</source>
        <translation>«{quote}»</translation>
    </message>
</context>
<context>
    <name>Transcript</name>
    <message>
        <location filename="../widgets.py" line="59" />
        <source>Ask a question about your documents. Answers cite their sources as [1], [2]…</source>
        <translation>Ask a question about your documents. Answers cite their sources as [1], [2]…</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="107" />
        <source>You</source>
        <translation>You</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="132" />
        <source>Assistant</source>
        <translation>Assistant</translation>
    </message>
</context>
</TS>