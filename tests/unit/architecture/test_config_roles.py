"""[tool.coderev.roles] and [tool.coderev] gate_roles: read in the order written, checked."""

from __future__ import annotations

import pytest

from coderev.architecture.config import load_project_config
from coderev.domain.errors import ConfigError
from coderev.domain.roles import FileRole, RoleGlobs


def config(toml: str):  # type: ignore[no-untyped-def]
    return load_project_config({"pyproject.toml": toml.encode()})


def test_roles_and_gate_roles_are_read_in_the_order_written() -> None:
    read = config(
        """
        [tool.coderev]
        gate_roles = ["source", "test", "source"]

        [tool.coderev.roles]
        test = ["qa/**", "src/shop/testing_utils.py"]
        source = "tests/app"
        generated = []
        """.replace("        ", "")
    )
    assert read.roles == (
        RoleGlobs(FileRole.TEST, ("qa/**", "src/shop/testing_utils.py")),
        RoleGlobs(FileRole.SOURCE, ("tests/app",)),
        RoleGlobs(FileRole.GENERATED, ()),
    )
    assert read.gate_roles == (FileRole.SOURCE, FileRole.TEST)


def test_defaults_gate_on_source_with_no_configured_roles() -> None:
    for read in (config(""), config("[tool.coderev]\nroot_packages = ['shop']\n")):
        assert read.roles == ()
        assert read.gate_roles == (FileRole.SOURCE,)


def test_a_coderev_toml_sets_them_too() -> None:
    read = load_project_config(
        {".coderev.toml": b'gate_roles = ["test"]\n[roles]\nexample = ["notebooks"]\n'}
    )
    assert read.gate_roles == (FileRole.TEST,)
    assert read.roles == (RoleGlobs(FileRole.EXAMPLE, ("notebooks",)),)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.coderev.roles]\nfixtures = ['x']\n", "unknown role 'fixtures'"),
        ("[tool.coderev]\nroles = ['tests']\n", "roles: must be a table"),
        ("[tool.coderev.roles]\ntest = [1]\n", "test must be a list of strings"),
        ("[tool.coderev]\ngate_roles = []\n", "gate_roles must name at least one role"),
        ("[tool.coderev]\ngate_roles = ['tests']\n", "gate_roles: unknown role 'tests'"),
        ("[tool.coderev]\ngate_roles = 3\n", "gate_roles must be a list of strings"),
    ],
)
def test_bad_role_configuration_says_what_is_wrong(toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        config(toml)
    assert "pyproject.toml [tool.coderev]" in str(raised.value)
