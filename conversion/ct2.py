"""Reader of CTranslate2 ``model.bin`` files: the runtime's (:mod:`edge_sdk.convert.ct2`)."""

from edge_sdk.convert.ct2 import Ct2Model, read_ct2

__all__ = ["Ct2Model", "read_ct2"]
