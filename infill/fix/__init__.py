"""The fix bot: failing tests in, a test-verified patch out (``infill fix``).

- ``search``: the search (``fix``), its settings and report, the verifier, ``apply``;
- ``proposer``: candidates per gap from the model (``ModelProposer``);
- ``templates``: the Python bug-repair templates the model's small edits are ranked with;
- ``gaps``: where a failing test points, and which regions of that code to regenerate;
- ``localize``: spectrum-based fault localization (Ochiai) from one traced test run;
- ``testrun``: one pytest run in the sandbox, read back from its JUnit report;
- ``pytest_plugins``: the line tracer ``localize`` loads into that run.

It reaches the model only through ``infill.complete``, ``infill.editing`` and the backend's
declared capabilities; it never writes the repository except through ``apply``.
"""

from .proposer import MAX_CANDIDATES, ModelProposer
from .search import FixReport, FixSettings, apply, check_clean, check_python_repo, fix

__all__ = ["MAX_CANDIDATES", "FixReport", "FixSettings", "ModelProposer", "apply", "check_clean",
           "check_python_repo", "fix"]
