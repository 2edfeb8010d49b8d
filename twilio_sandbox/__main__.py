from twilio_sandbox.cli import main

raise SystemExit(main())
