"""llmx: grounded, schema-constrained information extraction from Chinese news.

Public API::

    from llmx import extract
    results = extract(["seeds/"])                  # list[DocResult]
"""

from llmx._version import __version__
from llmx.api import aextract, extract
from llmx.core.documents import Document
from llmx.core.results import DocResult

__all__ = ["DocResult", "Document", "__version__", "aextract", "extract"]
