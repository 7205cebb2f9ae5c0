"""Everything kept on disk about knowledge bases.

`manifest` (the SQLite catalog: knowledge bases, files and their states), `vectors` (chromadb,
embedded or a server), `chunks` (vectors in the vector store, chunk texts in the catalog),
`bm25` (the lexical index, FTS5), `lock` (one writer per data folder), `chats` (saved
conversations), `library` (knowledge bases and files as the stages use them), `recovery`
(crash roll-back and index migration) and `doctor` (integrity checks and repair)."""
