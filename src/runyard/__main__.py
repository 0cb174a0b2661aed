"""``python -m runyard`` is the ``runyard`` command."""

from .cli import main

main(prog_name="runyard")
