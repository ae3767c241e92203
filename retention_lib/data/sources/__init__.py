"""Built-in data sources. Each writes canonical files that the normal loader then validates."""
from __future__ import annotations

from retention_lib.core.config import Config


def ensure_source_files(config: Config) -> None:
    """Generate the files of a built-in source when they are missing (first use)."""
    missing = [t.path for t in config.tables.values() if not t.path.exists()]
    if not missing or config.source == "files":
        return
    directory = missing[0].parent
    if config.source == "demo":
        from retention_lib.data.sources.demo import write_demo

        write_demo(directory, **config.source_options)
    elif config.source == "completejourney":
        from retention_lib.data.sources.completejourney import write_canonical

        write_canonical(directory)
