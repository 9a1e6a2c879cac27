"""The rule catalogue: what every rule coderev can emit means, and how severe it is.

Rule knowledge is data (ruff_rules.json generated from the pinned ruff, vetted/*.toml and
coderev.toml written by hand), read on first use; the severity policy (policy) turns a
rule and the role of the file it was found in into the severity a report shows. Reports,
review comments and SARIF all read the catalogue; nothing matches rules by prefix.
"""

from __future__ import annotations

from coderev.rules.catalogue import Catalogue, default_catalogue, rule
from coderev.rules.entry import Origin, Precision, RuleEntry

__all__ = ["Catalogue", "Origin", "Precision", "RuleEntry", "default_catalogue", "rule"]
