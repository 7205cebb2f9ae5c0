#!/usr/bin/env bash
# Build the Linux app folder dist/rag-desk/ with PyInstaller, then prove it works headlessly.
#   packaging/build.sh            (uses the repo's .venv; run ./desk setup first)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
.venv/bin/uv pip install --python "$PY" -q "pyinstaller>=6.10"
BUILD=build/packaging
mkdir -p "$BUILD"
# Export the bundled embedder to ONNX here (needs torch, which the app folder then leaves out).
ONNX=$("$PY" - <<'PY'
from pathlib import Path
from models.bundled import embedder_dir
from rag.embed.runtimes import export
target = Path("build/packaging/onnx/model.onnx")
if not target.exists():
    export(embedder_dir(), target)
print(target.resolve())
PY
)
RAG_DESK_ONNX="$ONNX" "$PY" -m PyInstaller --noconfirm --clean --distpath dist --workpath "$BUILD/work" \
  packaging/rag-desk.spec
cp packaging/rag-desk.desktop packaging/rag-desk.svg dist/rag-desk/
echo ">> built dist/rag-desk ($(du -sh dist/rag-desk | cut -f1)); self-test:" >&2
QT_QPA_PLATFORM=offscreen dist/rag-desk/rag-desk --self-test
