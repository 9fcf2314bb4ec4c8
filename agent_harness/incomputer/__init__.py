"""Scripts the harness installs INSIDE the computer (stdlib-only ``msg``; ``mkdoc`` uses the image's
python-docx/openpyxl/python-pptx). They are uploaded as files, never imported by the harness."""

from importlib import resources


def script(name: str) -> bytes:
    """Bytes of an in-computer script (``msg.py`` or ``mkdoc.py``)."""
    return resources.files(__name__).joinpath(name).read_bytes()
