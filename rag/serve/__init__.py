"""RAG Desk for other programs: the local API server (`rag-cli serve`, OpenAI-compatible, in
`rag.serve.api`) and the MCP server (`rag-cli mcp`, stdio, in `rag.serve.mcp_server`).

A face of the engine like the CLI and the app: it uses only `rag`'s public API, and every
request reaches the engine through the one thread that owns it (`rag.serve.owner`).
"""
