"""notelint: lints procedure notes and radiology reports for image-guidance coding."""

from notelint.analysis import analyze
from notelint.findings import Finding, Report
from notelint.kb import KnowledgeBase, load_knowledge_base

__all__ = ["Finding", "KnowledgeBase", "Report", "analyze", "load_knowledge_base"]
__version__ = "0.1.0"
