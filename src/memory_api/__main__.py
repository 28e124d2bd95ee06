from memory_api.cli import main

raise SystemExit(main())
