"""Learn-as-you-go mode (issue 25): after every K images marked done, the model in use learns
from them in the background and pre-labels the untouched images again when it got better.

* :mod:`~app.learning.staging`: what an update works on, in the engine's layout (no Qt);
* :mod:`~app.learning.child`: ``python -m srcrm learn`` as a child process, run by a job (no Qt);
* :mod:`~app.learning.flow`: :class:`LearnFlow`, the controller (Model > Learn as You Go).

The engine's side is :mod:`srcrm.train.learning`; kept models go to :mod:`app.document.model_versions`.
"""
