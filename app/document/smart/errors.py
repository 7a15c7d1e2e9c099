"""The one error a smart tool raises for input it cannot act on; the editor shows its text."""


class SmartToolError(ValueError):
    """Bad input for a smart tool (outside the image, zero area, one class only...): the
    message is a sentence for a notice, and nothing was changed."""
