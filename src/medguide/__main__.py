"""`python -m medguide` runs the command line."""

from medguide.cli import main

main()
