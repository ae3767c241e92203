"""retention_lib: the logic behind the monthly customer-retention report."""
from .config import Config, load_config
from .run import Run, open_run

__all__ = ["Config", "Run", "load_config", "open_run"]
__version__ = "0.1.0"
