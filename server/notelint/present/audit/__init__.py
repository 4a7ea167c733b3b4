"""``notelint report``'s audit page in three steps, each usable alone:

- :mod:`~notelint.present.audit.read`: JSON Lines result files to :class:`NoteRecord` s
  (JSON v1 with per-code ``checklists``, or older results without them);
- :mod:`~notelint.present.audit.aggregate`: records to an :class:`Audit` of counts and tables;
- :mod:`~notelint.present.audit.page`: an Audit to one HTML page, built from
  :mod:`~notelint.present.audit.template` templates that escape every value.

The command line (``notelint report``) is :mod:`notelint.audit`.
"""
