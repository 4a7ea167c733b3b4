from __future__ import annotations

import pytest
from pytest_lsp import LspSpecificationWarning


@pytest.fixture(autouse=True)
def no_specification_warnings(recwarn: pytest.WarningsRecorder) -> object:
    """pytest-lsp warns when the server sends what the client's capabilities rule out."""
    yield
    broken = [str(w.message) for w in recwarn if issubclass(w.category, LspSpecificationWarning)]
    assert not broken
