"""The core's bounded Content-Encoding decoder (``sigv4kit.decoding``), where the transport
has always imported it from."""

from ..decoding import ACCEPT_ENCODING, MAX_LAYERS, DecodingError, codings, decoded

__all__ = ["ACCEPT_ENCODING", "MAX_LAYERS", "DecodingError", "codings", "decoded"]
