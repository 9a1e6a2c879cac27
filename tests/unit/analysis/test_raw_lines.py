"""The raw-line scan against the tokenizer's count: the same figures, or an honest "unsure".

`count_raw_lines` scans a file's characters and tokenizes only where the scan cannot be sure
(coderev.analysis.raw_lines). radon's own agreement is test_python_radon_agreement's; here
the scan must equal the token count wherever it answers, and answer for most real files.
"""

from __future__ import annotations

import ast
import sysconfig
import warnings
from pathlib import Path

import pytest

from coderev.analysis import raw_lines
from coderev.analysis.raw_lines import count_raw_lines

SAME = {
    "walrus": "if (n := len(x)) > 3:\n    y = n\n",
    "colon last and not last": "if x: return\nif y:\n    pass\nd = {1: 2}\nz = a[1:]\n",
    "annotations": "def f(a: int, *, b: str = 'x') -> dict[str, int]:\n    c: int = 1\n",
    "lambda and slices over rows": "f = (lambda a:\n     a[::2])\n",
    "a prefixed docstring": 'def f():\n    r"""Doc\n\n    more\n    """\n    return 1\n',
    "bytes and raw bytes": "a = b'x'\nb'lone'\nc = rb'\\d'\nBR'''x\ny'''\n",
    "concatenated strings": "'a' 'b'\nx = ('a'\n     'b')\n",
    "a keyword before a quote": 'if"a" in x:\n    pass\nelif"b":\n    pass\n',
    "escaped quotes": "s = 'it\\'s'\nt = \"say \\\"hi\\\"\"\nu = '''a ''' + ''' '' '''\n",
    "a backslash row join": "x = 1 + \\\n    2\nif a and \\\n   b:\n    pass\n",
    "a string row join": "s = 'abc\\\ndef'\n",
    "comments holding quotes": "# it's \"quoted\"\nx = 1  # don't\n    # indented\n",
    "comments in brackets": "x = [\n    # first\n    1,\n\n    2,  # two\n]\n",
    "blank rows everywhere": "\n\n\nx = 1\n\n   \n\ny = 2\n\n",
    "a multi-row lone string": "'''one\n\n\nfour'''\nx = 1\n",
    "a lone string and a comment": "'x'  # note\n",
    "f-strings": 'a = f"{x:>10} {y!r} {{z}}"\nb = f"{x}"\nf"lone"\nc = rf"{x}\\d"\n',
    "an f-string colon then a header colon": 'if f"{x:3}" == y:\n    pass\n',
    "nested f-string spec": 'a = f"{x:{width}}"\nb = F"""{\n  x\n}"""\n',
    "windows line ends": "x = 1\r\nif y:\r\n    z = [\r\n        1,\r\n    ]\r\n",
    "decorators and classes": "@dec(a=1)\nclass A(B, metaclass=M):\n    '''Doc.'''\n    x: int\n",
    "an empty file": "",
    "only comments": "# a\n# b\n",
    "match statements": "match p:\n    case {'k': v}:\n        x\n    case [1, *_]:\n        y\n",
}

UNSURE = {
    "a semicolon": "x = 1; y = 2\n",
    "a form feed": "x = 1\n\x0c\ny = 2\n",
    "an f-string field holding quotes": 'a = f"{d["k"]:>3}"\n',
    "an f-string field holding a comment sign": 'a = f"{x:#x}"\n',
    "no newline at the end": "x = 1",
}


@pytest.mark.parametrize("source", SAME.values(), ids=SAME.keys())
def test_the_scan_counts_as_the_tokenizer_does(source: str) -> None:
    ast.parse(source)
    assert raw_lines._scan(source, None) == raw_lines._from_tokens(source)


@pytest.mark.parametrize("source", UNSURE.values(), ids=UNSURE.keys())
def test_where_a_scan_cannot_be_sure_the_tokenizer_counts(source: str) -> None:
    ast.parse(source)
    with pytest.raises(raw_lines._Unsure):
        raw_lines._scan(source, None)
    assert count_raw_lines(source) == raw_lines._from_tokens(source)


def test_a_lone_string_and_code_are_told_apart() -> None:
    source = '"""Module doc.\n\nMore."""\n\nimport os\n\n\ndef f():\n    return os\n'
    counted = count_raw_lines(source)
    # radon counts a docstring a logical line (lloc) but not a line of code (sloc)
    assert (counted.multi, counted.sloc, counted.blank, counted.lloc) == (2, 3, 4, 4)
    assert counted.code_lines == (5, 8, 9)


def test_the_budget_is_checked_while_scanning() -> None:
    calls: list[int] = []
    count_raw_lines("x = 1\n" * 20_000, lambda: calls.append(1))
    assert len(calls) >= 4


def _stdlib_sources() -> list[tuple[Path, str]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    sources = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)  # a stray escape in a string
                ast.parse(text)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        sources.append((path, text))
    return sources


@pytest.mark.slow
def test_the_scan_equals_the_tokenizer_on_the_whole_stdlib() -> None:
    sources = _stdlib_sources()
    assert len(sources) > 1000
    unsure = 0
    for path, text in sources:
        try:
            scanned = raw_lines._scan(text, None)
        except raw_lines._Unsure:
            unsure += 1
            continue
        assert scanned == raw_lines._from_tokens(text), path
    assert unsure < len(sources) * 0.1, f"the scan gave up on {unsure} of {len(sources)} files"
