"""Why was a signature rejected? The debugger: explain a signed request, diff against a server.

``explain_request`` reads what a request's signature claims and warns about what will fail;
``parse_server_error`` reads a server's error document and ``diff_report`` compares its
canonical request with ours and names the likely causes. Pure, like the core: no network, no
clock unless none is given, no HTTP library.
"""

from __future__ import annotations

from .causes import Cause
from .diff import Diagnosis, diff_report
from .explain import ExplainWarning, Explanation, explain_request
from .render import render_text, to_dict
from .server_error import MAX_INPUT_BYTES, DiagnoseError, ServerReport, parse_server_error
from .textdiff import FirstDifference, PartDiff

__all__ = [
    "MAX_INPUT_BYTES",
    "Cause",
    "DiagnoseError",
    "Diagnosis",
    "ExplainWarning",
    "Explanation",
    "FirstDifference",
    "PartDiff",
    "ServerReport",
    "diff_report",
    "explain_request",
    "parse_server_error",
    "render_text",
    "to_dict",
]
