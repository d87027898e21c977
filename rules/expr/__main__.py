"""``python -m rules.expr`` is ``jimu eval``."""
import sys

from .eval_cli import main

sys.exit(main(sys.argv[1:]))
