"""One module per CLI command; ``llmx.cli`` wires them into the ``llmx`` app.

Commands import their heavy dependencies lazily so ``llmx --help`` stays fast.
"""
