"""Entry point of the packaged app: `RAG Desk` opens the window; `RAG Desk cli ...` is rag-cli.

freeze_support() must run first: the PDF reader runs in a spawned child process, which in a
frozen app re-executes this binary.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    if len(sys.argv) > 1 and sys.argv[1] == "cli":
        from rag.cli import main as cli_main

        sys.argv = [sys.argv[0] + " cli", *sys.argv[2:]]
        cli_main()
    from app.main import main

    sys.exit(main())
