"""Start SRCRM Studio: ``python main.py [IMAGE_OR_FOLDER]``."""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
