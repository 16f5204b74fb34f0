"""``python -m qms``: the same as the ``qms`` command."""

from qms.launch import main

main()
