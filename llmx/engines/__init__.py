"""Where ``llmx extract`` runs: ``local`` (this process, the default) or ``ray`` (a cluster).

The local engine is ``llmx.commands.extract`` itself (one JSONL file). The ray engine
(``llmx.engines.ray_engine``; ``pip install 'llmx[ray]'``) runs the same pipeline per input
block on Ray workers and writes a folder of shards with a manifest, exactly once:

- ``plan``: inputs -> numbered blocks, fixed for the output's life
- ``block_input``: one block's documents, on the worker
- ``block_worker``: the pipeline over a block, then its shard
- ``budget``: requests in flight shared by every worker (a Ray actor)
- ``shards``: the shard/manifest commit protocol and the reader ``llmx eval``/``review`` use
"""

ENGINES = ("local", "ray")
