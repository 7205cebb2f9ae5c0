#!/usr/bin/env python3
"""Fetch real third-party PDFs reproducibly from Debian's documentation packages.

    python scripts/fetch_pdfs.py [DEST]      (default: tests/data/downloaded)

Each package is downloaded with `apt-get download` (pinned version first, then whatever
the archive has), unpacked with `dpkg-deb -x`, and the named PDFs are copied to DEST.
Already-present files are kept. Prints one line per PDF: name, pages-free size, sha256.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# package -> (pinned version, {pdf path inside the package: saved name})
PACKAGES = {
    "asymptote-doc": ("2.85+ds-1", {
        "usr/share/doc/asymptote/CAD.pdf": "asymptote-CAD.pdf",
        "usr/share/doc/asymptote/asy-latex.pdf": "asymptote-asy-latex.pdf",
        "usr/share/doc/asymptote/asyRefCard.pdf": "asymptote-refcard.pdf",
        "usr/share/doc/asymptote/asymptote.pdf": "asymptote.pdf",
    }),
    "gnuplot-doc": ("5.4.4+dfsg1-2", {
        "usr/share/doc/gnuplot/gnuplot.pdf": "gnuplot.pdf",
    }),
    # Chinese documents typeset with TeX (ctex and friends)
    "texlive-lang-chinese": ("2022.20230122-1", {
        "usr/share/doc/texlive-doc/latex/lshort-chinese/lshort-zh-cn.pdf": "lshort-zh-cn.pdf",
        "usr/share/doc/texlive-doc/latex/ctex-faq/ctex-faq.pdf": "ctex-faq.pdf",
        "usr/share/doc/texlive-doc/latex/zhnumber/zhnumber.pdf": "zhnumber.pdf",
        "usr/share/doc/texlive-doc/generic/latex-notes-zh-cn/latex-notes-zh-cn.pdf": "latex-notes-zh-cn.pdf",
    }),
}


def _download(package: str, version: str, workdir: Path) -> Path:
    for spec in (f"{package}={version}", package):
        result = subprocess.run(["apt-get", "download", spec], cwd=workdir, capture_output=True, text=True)
        debs = sorted(workdir.glob(f"{package}_*.deb"))
        if result.returncode == 0 and debs:
            return debs[-1]
    # The package lists may be missing on a fresh machine.
    subprocess.run(["apt-get", "update", "-q"], capture_output=True)
    result = subprocess.run(["apt-get", "download", package], cwd=workdir, capture_output=True, text=True)
    debs = sorted(workdir.glob(f"{package}_*.deb"))
    if result.returncode != 0 or not debs:
        raise RuntimeError(f"apt-get download {package} failed: {result.stderr.strip()}")
    return debs[-1]


def fetch(dest: Path) -> dict[str, Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for package, (version, wanted) in PACKAGES.items():
        if all((dest / name).exists() for name in wanted.values()):
            out.update({name: dest / name for name in wanted.values()})
            continue
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            deb = _download(package, version, work)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True)
            for inner, name in wanted.items():
                src = work / "x" / inner
                if src.is_symlink() or not src.exists():
                    raise RuntimeError(f"{inner} is not in {deb.name}")
                shutil.copyfile(src, dest / f".{name}.part")
                (dest / f".{name}.part").replace(dest / name)
                out[name] = dest / name
    return out


def main() -> int:
    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "tests/data/downloaded"
    try:
        files = fetch(dest)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        print(f"fetch failed: {exc}", file=sys.stderr)
        return 1
    for name, path in sorted(files.items()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{name}\t{path.stat().st_size}\t{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
