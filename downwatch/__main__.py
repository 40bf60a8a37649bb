from downwatch.cli import main

raise SystemExit(main())
