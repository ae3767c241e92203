import sys

from retention_lib.app.cli import main

sys.exit(main())
