"""RAG Desk engine: everything the product does, reachable from Python without Qt."""
