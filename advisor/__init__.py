"""advisor: a career advisor that answers only with sentences quoted from its profiles.

Nothing heavy is imported here: the model and the index load in `Advisor.load()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError
from advisor.models import Answer, Citation, Passage
from advisor.settings import Settings

if TYPE_CHECKING:
    from advisor.engine import Advisor

__all__ = ["Advisor", "AdvisorError", "Answer", "Citation", "Passage", "Settings"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Advisor":
        from advisor.engine import Advisor

        return Advisor
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
