"""The SPID test IdP fixture, shared with tests/spid (the contract tests build their messages through it)."""

from tests.spid.conftest import idp  # noqa: F401 - a fixture, used by name
