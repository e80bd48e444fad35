from payer_app.cli import main

raise SystemExit(main())
