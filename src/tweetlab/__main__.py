"""``python -m tweetlab`` runs the command-line tool (the same as ``tweetlab``)."""

from .cli import main

raise SystemExit(main())
