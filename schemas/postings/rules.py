from typing import Any


def extract_postings(text: str) -> list[dict[str, Any]]:
    return []
