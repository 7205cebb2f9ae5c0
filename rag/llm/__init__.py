"""Text generation, used by answers, rephrasings, follow-up rewrites and the LLM reranker:
`llama` (llama.cpp in process, owned by one thread) and `openai` (any OpenAI-compatible
server); `base` holds the prompt they take and the completion format's stop strings."""
