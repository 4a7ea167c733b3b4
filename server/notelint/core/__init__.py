"""The pure analysis: a note's text, the knowledge base and the settings in, a report out.

Parse (``note``), match evidence (``match``, ``context``, ``prefix``), decide findings
(``decide``, ``episodes``, with the checks of :mod:`notelint.checks`), run by
``analysis.analyze``; what one note teaches the next is kept in an ``engine.Engine`` that the
caller owns. Nothing here imports the readers (:mod:`notelint.inputs`), the formats
(:mod:`notelint.present`) or a front end.
"""
