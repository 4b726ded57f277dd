"""Read back what ``llmx report`` wrote, with the standard library's HTML parser: per document
the text pane's text and each record's highlighted pieces (independent of the page's own JS)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class ParsedDoc:
    dom_id: str
    text: str | None = None  # None: no text pane
    length: int | None = None
    anchors: dict[str, str] = field(default_factory=dict)  # record key -> joined pieces
    evidence: dict[str, str] = field(default_factory=dict)
    records: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> li attributes
    notes: list[str] = field(default_factory=list)


class ReportParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.docs: dict[str, ParsedDoc] = {}
        self.scripts = 0  # executable ones
        self.data: list[Any] = []  # the JSON blobs (record fields), parsed
        self._json: list[str] | None = None
        self.external: list[str] = []  # src/href that would reach the network
        self._doc: ParsedDoc | None = None
        self._in_text = False
        self._mark: dict[str, str] | None = None
        self._pieces: list[str] = []
        self._depth = 0  # open <div>s inside the text pane (none expected)
        self._note = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("type") == "application/json":
            self._json = []
        elif tag == "script":
            self.scripts += 1
            if a.get("src"):
                self.external.append(a["src"])
        if tag == "link" and a.get("href"):
            self.external.append(a["href"])
        if tag in ("img", "iframe") and a.get("src"):
            self.external.append(a["src"])
        if tag == "article" and "doc" in a.get("class", "").split():
            self._doc = self.docs.setdefault(a["id"], ParsedDoc(a["id"]))
        elif self._doc is not None and tag == "div" and "data-len" in a:
            self._in_text, self._pieces = True, []
            self._doc.length = int(a["data-len"])
        elif self._in_text and tag == "mark":
            self._mark = a
        elif self._in_text:
            raise AssertionError(f"unexpected <{tag}> inside a text pane")
        elif self._doc is not None and tag == "li" and "data-key" in a:
            self._doc.records[a["data-key"]] = a
        elif self._doc is not None and tag == "p" and "textnote" in a.get("class", ""):
            self._note = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._json is not None:
            self.data.append(json.loads("".join(self._json)))
            self._json = None
        elif self._in_text and tag == "div":
            assert self._doc is not None
            self._doc.text = "".join(self._pieces)
            self._in_text = False
        elif tag == "mark":
            self._mark = None
        elif tag == "article":
            self._doc = None
        elif tag == "p":
            self._note = False

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self._json.append(data)
            return
        if self._note and self._doc is not None:
            self._doc.notes.append(data)
        if not self._in_text:
            return
        self._pieces.append(data)
        if self._mark is not None and self._doc is not None:
            for key in self._mark.get("data-a", "").split():
                self._doc.anchors[key] = self._doc.anchors.get(key, "") + data
            for key in self._mark.get("data-e", "").split():
                self._doc.evidence[key] = self._doc.evidence.get(key, "") + data


def parse_report(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    parser.close()
    return parser
