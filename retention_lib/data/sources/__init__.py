"""Built-in data sources. Each writes canonical files that the normal loader then validates."""
from __future__ import annotations

from retention_lib.core.config import Config


def ensure_source_files(config: Config) -> None:
    """Generate the files of a built-in source when they are missing (first use); the demo's also
    when they were made with other source_options (a changed seed or data_language), never reused stale."""
    if config.source == "files" or not config.tables:
        return
    paths = [t.path for t in config.tables.values()]
    missing = [p for p in paths if not p.exists()]
    directory = (missing or paths)[0].parent
    if config.source == "demo":
        from retention_lib.data.sources.demo import made_with, write_demo

        if missing or not made_with(directory, config.source_options):
            write_demo(directory, **config.source_options)
    elif missing and config.source == "completejourney":
        from retention_lib.data.sources.completejourney import write_canonical

        write_canonical(directory)
