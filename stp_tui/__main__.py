import sys

from stp_tui.app import main

sys.exit(main())
