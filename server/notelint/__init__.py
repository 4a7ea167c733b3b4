"""notelint: lints procedure notes and radiology reports for image-guidance coding."""

from notelint import _compiled

_compiled.install()  # before the hot path is imported: see _compiled.py

from notelint.core.analysis import analyze  # noqa: E402
from notelint.core.findings import Finding, Report  # noqa: E402
from notelint.kb import KnowledgeBase, load_knowledge_base  # noqa: E402

__all__ = ["Finding", "KnowledgeBase", "Report", "analyze", "load_knowledge_base"]
__version__ = "0.1.0"
