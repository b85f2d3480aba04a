"""`python -m eksdoctor` is the same as the `eksdoctor` command."""
from .cli import main

main()
