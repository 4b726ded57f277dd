"""``llmx task new NAME``: write a new task that passes ``llmx task check`` as it stands.

The scaffold is a small, working task -- one record kind (``mentions``: a named thing, how
many, the quote) -- to be edited into the real one: the schema with a docstring per field
(the prompt shows them to the model), prompt templates, an empty few-shot list, a scoring
spec, guidelines, and one annotated example document with its gold file.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

SCHEMA = Template('''\
"""Task ``$name``: edit the models below, then the prompts in prompts/$name/.

The contract with llmx (see ``llmx/tasks.py``): RESPONSE_MODEL is what the model fills per
chunk, each list field a record kind; RECORDS says how each kind is grounded and linked;
SCORING how the scorer compares records; VERSION changes when a field's meaning does.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

VERSION = "1"


class Mention(BaseModel):
    """一处被提及的事物及其数量。"""

    name: str = Field(description="被提及的事物，原文写法，如 医生")
    count: float | None = Field(default=None, description="数量（阿拉伯数字）；没有则为 null")
    evidence: str = Field(description="包含该事物的原文句子，逐字摘录")


class ${model}Extraction(BaseModel):
    """从一段文本中抽取的全部提及；没有则返回空列表。"""

    mentions: list[Mention] = Field(default_factory=list)


RESPONSE_MODEL = ${model}Extraction

RECORDS = {
    "mentions": {"quote": "evidence", "anchor": "name", "anchor_required": True},
}

SCORING = {
    "mentions": {
        "location": 0.4,
        "admit": {"location": "any"},
        "fields": {
            "name": {"compare": "text", "key": True, "weight": 0.4},
            "count": {"compare": "number", "key": True, "weight": 0.2},
        },
    },
}


def summarize(kind: str, record: dict) -> str:
    """One line per record in ``llmx review`` and reports."""
    count = record.get("count")
    return f"{record.get('name')} ×{count:g}" if count is not None else str(record.get("name"))
''')

SYSTEM = """\
你是信息抽取助手，从中文文本中抽取被提及的事物，并以 JSON 输出。

## 字段说明
{% for kind, fields in field_docs.items() %}
{{ kind }}:
{% for name, doc in fields.items() %}- {{ name }}：{{ doc }}
{% endfor %}{% endfor %}
## 规则
- evidence 必须从原文逐字复制，不得改写。
- 没有可抽取的内容时返回空列表。
{% if examples %}
## 示例
{% for ex in examples %}
输入：{{ ex.text }}
输出：{{ ex.output | tojson }}
{% endfor %}{% endif %}"""

USER = """\
{% if context %}【上文（仅供参考，不要从中抽取）】
{{ context }}

{% endif %}【正文】
{{ text }}
"""

GUIDELINES = Template("""\
# Annotation guidelines for `$name`

Say here what counts as a record, what does not, and how each field is filled, with a worked
example for every hard case. A second annotator should be able to label a document from this
page alone; measure that (two annotations, `llmx eval --predictions`) and fix this page where
they disagree.

## What is a mention
...
""")

EXAMPLE_TEXT = "2024年5月，广州市选派12名医生赴黔南州开展义诊。\n"

EXAMPLE_SOURCE = Template("""\
# Hand annotation of the example document. Quotes only: `llmx task annotate $name` computes
# the spans and writes gold/example.json.
doc_id = "example"
source = "evals/$name/docs/example.txt"
annotator = "llmx task new (example)"
notes = ["An example: replace with real documents."]

[[mentions]]
name = "医生"
count = 12
evidence = "广州市选派12名医生赴黔南州开展义诊。"
""")


class ScaffoldError(Exception):
    """The task cannot be created (bad name, or files already there)."""


def create_task(name: str, root: Path) -> list[Path]:
    """Write the files of a new task ``name`` under ``root``; return them.

    Raises:
        ScaffoldError: ``name`` is not a lower-case identifier, or the task exists there.
    """
    if not NAME_RE.match(name):
        raise ScaffoldError(f"task name {name!r}: use lower-case letters, digits and _")
    model = "".join(part.capitalize() for part in name.split("_"))
    files = {
        root / "schemas" / f"{name}.py": SCHEMA.substitute(name=name, model=model),
        root / "prompts" / name / "system.j2": SYSTEM,
        root / "prompts" / name / "user.j2": USER,
        root / "prompts" / name / "examples.json": "[]\n",
        root / "evals" / name / "GUIDELINES.md": GUIDELINES.substitute(name=name),
        root / "evals" / name / "docs" / "example.txt": EXAMPLE_TEXT,
        root / "evals" / name / "src" / "example.toml": EXAMPLE_SOURCE.substitute(name=name),
    }
    clash = [p for p in (root / "schemas" / f"{name}.py", root / "prompts" / name) if p.exists()]
    if clash:
        raise ScaffoldError(f"task {name!r} already exists: {clash[0]}")
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    (root / "evals" / name / "gold").mkdir(parents=True, exist_ok=True)
    return list(files)
