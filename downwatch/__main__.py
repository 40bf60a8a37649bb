from downwatch.runtime.cli import main

raise SystemExit(main())
