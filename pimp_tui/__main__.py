from pimp_tui.cli import main

raise SystemExit(main())
