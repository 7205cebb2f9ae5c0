"""RAG Desk benchmarks: ratios measured side by side in one run (`./desk bench`)."""
