"""Helpers shared by the integration tests: the running server's handle and measured timings."""

from __future__ import annotations

from dataclasses import dataclass

# Two short documents in the genre: simplified Chinese with the quantities llmx must handle.
DOC_A = (
    "2024年广州市高层次人才赴黔南州智力帮扶活动圆满结束。"
    "专家先后深入项目基地15个，通过讲座、专题培训等培训320余人次，现场解决问题32个。\n"
)
DOC_B = "东西部协作：广州市援建贞丰县产业园，吸纳就业约1.2万人，带动增收近3000万元。\n"

# Measured figures, printed at the end of the run (the CI log is where they are read).
TIMINGS: dict[str, list[float]] = {}


def record_timing(name: str, seconds: float) -> None:
    """Remember one measured duration under ``name`` for the terminal summary."""
    TIMINGS.setdefault(name, []).append(seconds)


@dataclass(frozen=True, slots=True)
class LlamaServer:
    """A running server: root URL, model id, and seconds it took to become healthy."""

    root_url: str
    model: str
    load_s: float | None  # None when an already running server was reused

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``.../v1``)."""
        return f"{self.root_url}/v1"
