"""`python -m liaison.cli`: the same command as `liaison`."""

from liaison.cli import main

main()
