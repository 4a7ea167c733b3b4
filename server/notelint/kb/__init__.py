"""The knowledge base: rules as data, validated on load."""

from notelint.kb.loader import (
    KnowledgeBase,
    KnowledgeBaseError,
    RuleFileError,
    build_knowledge_base,
    builtin_rules_dir,
    load_knowledge_base,
)

__all__ = [
    "KnowledgeBase",
    "KnowledgeBaseError",
    "RuleFileError",
    "build_knowledge_base",
    "builtin_rules_dir",
    "load_knowledge_base",
]
