"""The report layer: wording (text), findings, sections, charts and the HTML export.

Importing it registers report.text as the renderer of core's Messages, so a reason stored as a
key with its values reads as a sentence wherever it is shown."""
from retention_lib.report import text  # noqa: F401  (registers the renderer)
