import sys

from jamel.cli import main

sys.exit(main())
