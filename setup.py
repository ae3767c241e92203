"""Compiles the gettext catalogues (.po -> .mo, with Babel) into every build; the rest is pyproject.toml."""
import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    def run(self):
        super().run()
        # language.py needs only Babel and the standard library, so it loads here without the package.
        spec = importlib.util.spec_from_file_location("language", "retention_lib/report/language.py")
        language = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(language)
        language.compile_catalogues(Path(self.build_lib) / "retention_lib" / "report" / "locale")


setup(cmdclass={"build_py": BuildWithCatalogues})
