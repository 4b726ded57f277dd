"""``llmx report``: one self-contained HTML page for a run (and optionally its eval report).

Computing and drawing are kept apart: :mod:`llmx.text.lookup` finds each document's text
again (the run stores only offsets), :mod:`.segments` cuts a text into pieces at every span
boundary, :mod:`.model` builds the page's plain data (documents, records, the task's
``edges``, the eval pairs), :mod:`.chart` lays out the edge chart, and :mod:`.render` fills
the Jinja templates shipped in ``templates/`` (CSS and JS inlined: the page needs no network).
"""
