"""Embeddings: `embedder` (the model, its tokenizer for chunking, query/passage markers, backend
choice) and `runtimes` (the exported graph run by ONNX Runtime or OpenVINO, torch-free)."""
