from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notelint.kb import KnowledgeBase, load_knowledge_base


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()
