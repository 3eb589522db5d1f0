from hubforce.cli import main

raise SystemExit(main())
