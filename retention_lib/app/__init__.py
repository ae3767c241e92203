"""The monthly pipeline and the `retention` command."""
import sys

# jsonschema (nbformat's validator) imports rfc3987_syntax when it is installed, as JupyterLab's
# jupyter-events has it, and that compiles 38 Lark grammars: 1.3 CPU-seconds of every `retention`
# command's start. Notebooks use no IRI format, so the module counts as absent unless already loaded.
sys.modules.setdefault("rfc3987_syntax", None)
