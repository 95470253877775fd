"""The library's version: the one source the wheel, the sdist and the HCL module's tag share.

`make release VERSION=x.y.z` builds from a copy of the committed tree with this line set to
x.y.z; in the repository it stays the development version below.
"""

__version__ = "0.1.0"
