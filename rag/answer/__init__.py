"""Answers: `question` (a question decided once: language, standalone query), `prompt` (sources
fitted to the context window), `stream` (search, abstain, generate, clean up), `cleanup` (what
a small model writes: labels, made-up turns, loops), and the generators `llama` (llama.cpp in
process, one owning thread) and `openai` (any OpenAI-compatible server)."""
