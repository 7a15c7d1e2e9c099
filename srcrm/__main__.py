import sys

from srcrm.cli import main

sys.exit(main())
