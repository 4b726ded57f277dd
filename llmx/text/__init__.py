"""The text layer: load -> clean -> (script view) -> split sentences -> chunk."""
