#!/usr/bin/env python3
"""Runs pyx12's validator over X12 files and prints PASS or FAIL for each, with the errors found.

Usage: x12_check.py FILE...   (run through scripts/x12-validate, which provides pyx12)
Exit status: 0 when every file passes, 1 when any fails, 2 when a file cannot be validated at all
(pyx12 has no map for it, or the file cannot be read).
"""
import io
import json
import logging
import sys

import pyx12
import pyx12.errors
import pyx12.params
import pyx12.x12n_document


class Collect(logging.Handler):
    """Keeps the error lines pyx12 logs while it walks the file."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def tree_errors(node):
    """Every error message in pyx12's JSON error document, however deep."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors" and isinstance(value, list):
                for err in value:
                    if isinstance(err, dict) and "err_str" in err:
                        yield f"[{err.get('err_cde', '?')}] {err['err_str']}"
            else:
                yield from tree_errors(value)
    elif isinstance(node, list):
        for item in node:
            yield from tree_errors(item)


def check(path):
    try:
        data = open(path, "rb").read()
    except OSError as err:
        print(f"UNREADABLE {path}: {err}")
        return 2
    if any(b > 0x7F for b in data):
        print(f"FAIL {path}: contains bytes outside ASCII")
        return 1
    log = logging.getLogger("pyx12")
    log.setLevel(logging.ERROR)
    log.propagate = False
    handler = Collect()
    log.addHandler(handler)
    tree = io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=path, fd_997=io.StringIO(), fd_html=None, fd_xmldoc=None, fd_json=tree
        )
    except pyx12.errors.EngineError as err:
        print(f"UNSUPPORTED {path}: {err}")
        return 2
    except Exception as err:  # pyx12 itself failing on the input counts against the file
        print(f"FAIL {path}: pyx12 raised {type(err).__name__}: {err}")
        return 1
    finally:
        log.removeHandler(handler)
    # Lines about pyx12 failing to write its own acknowledgement are not findings about the file.
    errors = [line for line in handler.lines if not line.startswith("Failed to ")]
    try:
        document = json.loads(tree.getvalue() or "{}")
    except ValueError:
        document = {}
    # The JSON document holds some errors the log does not (and the log some the document does not).
    for err in tree_errors(document):
        if not any(err.split("] ", 1)[-1] in line for line in errors):
            errors.append(err)
    if ok and not errors:
        print(f"PASS {path} (pyx12 {pyx12.__version__})")
        return 0
    print(f"FAIL {path} (pyx12 {pyx12.__version__}): {len(errors)} error(s)")
    for line in errors or ["pyx12 reported the file invalid without a message"]:
        print(f"  - {line}")
    return 1


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    return max(check(p) for p in paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
