from __future__ import annotations

import sys
from pathlib import Path

# The raw JSON-RPC client and the language server's test notes.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lsp"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))
