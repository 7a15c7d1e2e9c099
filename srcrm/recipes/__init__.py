"""Studies run on top of the engine, each a script with ``python -m srcrm.recipes.NAME``: the
SRM/CRM ablation, the speed benchmark behind ``srcrm bench``, and choosing a release's prior
correction."""
