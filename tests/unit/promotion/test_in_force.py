"""What reviews a live analysis outside any experiment: the configuration production holds for
its project, else its tenant's, as the experiments room has it; nothing before a promotion."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.analyses.sql_repository import database_url
from coderev.auth.principal import Principal
from coderev.experiments import ConfigurationNotFoundError, ConfigurationSpec
from coderev.experiments.service import Experiments
from coderev.experiments.sql_repository import SqlExperimentRepository
from coderev.migrations import open_repository
from coderev.promotion import ReviewConfig
from coderev.promotion.from_experiments import ConfigurationInForce
from coderev.promotion.sql_repository import SqlPromotionRepository

ADMIN = Principal("u-1", "acme", frozenset({"admin"}), "user")


def test_the_project_s_production_else_the_tenant_s(tmp_path: Path) -> None:
    url = database_url(None, tmp_path)
    experiments = Experiments(open_repository(SqlExperimentRepository, url))
    production = open_repository(SqlPromotionRepository, url)
    in_force = ConfigurationInForce(production, experiments)
    assert in_force("acme", "shop") is None

    default = experiments.create_configuration(ADMIN, "default", ConfigurationSpec())
    strict = experiments.create_configuration(
        ADMIN, "strict", ConfigurationSpec(severity_policy={"min_severity": "medium"}))  # fmt: skip
    production.publish("acme", None, ReviewConfig("default", 1), expected_version=0,
                       kind="promote", actor="u-1")  # fmt: skip
    production.publish("acme", "shop", ReviewConfig("strict", 1), expected_version=0,
                       kind="promote", actor="u-1")  # fmt: skip
    assert in_force("acme", "shop") == strict
    assert in_force("acme", "web") == default
    assert in_force("acme", None) == default
    assert in_force("globex", "shop") is None

    production.publish("globex", None, ReviewConfig("gone", 3), expected_version=0,
                       kind="promote", actor="u-1")  # fmt: skip
    with pytest.raises(ConfigurationNotFoundError):
        in_force("globex", None)
