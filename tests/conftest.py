from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The knowledge-base cache of this test run (and of the processes it starts), not the user's.
os.environ["NOTELINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="notelint-test-cache-")

from notelint.kb import KnowledgeBase, load_knowledge_base

atexit.register(shutil.rmtree, os.environ["NOTELINT_CACHE_DIR"], True)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()
