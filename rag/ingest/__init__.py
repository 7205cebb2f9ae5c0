"""Ingestion: files in, chunks out (see `jobs` for batches and `pipeline` for one file).

`discover` expands folders and checks files; `sniff` tells what a file really is; `readers`
open PDFs (PDFium or pypdf) and text/Markdown page by page into `page.Page`s; `quality`
judges a PDF's text layer; `edges` blanks running headers and footers; `ocr` reads scanned
pages; `textclean` normalises text keeping raw offsets; `chunking` cuts token-aware,
page-exact chunks; `worker` runs the readers in a child process with limits."""
