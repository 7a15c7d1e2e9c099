"""The ``srcrm`` sub-commands, one module each (the table of them is :data:`srcrm.cli.COMMANDS`).

A command module exposes ``register(subparsers)``, which adds its parser and sets ``func``. It
imports nothing heavy at module level, so ``srcrm CMD --help`` and format-only commands start
without torch; the work's imports sit inside the function that runs it.
"""
