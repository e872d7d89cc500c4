"""Problems found in a config, and the errors that carry them.

Every problem names its place as ``file:line:column`` (1-based), so an editor can jump to it. Loading and
validation collect problems rather than stop at the first, so ``validate`` reports them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional

from ..exceptions import ConfigError

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """A place in a config file; ``line``/``column`` are 1-based, 0 when unknown (a whole file)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (``error``) or suspicious (``warning``) in a config, at a location."""

    location: Location
    message: str
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        """True for an error (warnings become errors only under ``--strict``)."""
        return self.severity == ERROR

    def __str__(self) -> str:
        prefix = "" if self.is_error else "warning: "
        return f"{self.location}: {prefix}{self.message}"


class ConfigFileError(ConfigError):
    """One problem that stops a config file from being read at all (bad YAML, bad encoding, too big)."""

    def __init__(self, location: Location, message: str) -> None:
        self.problem = Problem(location, message)
        super().__init__(str(self.problem))


class ConfigValidationError(ConfigError):
    """A config holds errors; ``problems`` lists every one found (and the warnings), in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: List[Problem] = list(problems)
        errors = [p for p in self.problems if p.is_error]
        shown = "; ".join(str(p) for p in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"The config has {len(errors)} error(s): {shown}{more}. "
                         "Run 'dataiku-iac validate --config DIR' for the full list.")


def first_error(problems: Iterable[Problem]) -> Optional[Problem]:
    """The first error among ``problems`` (None when there are only warnings)."""
    return next((p for p in problems if p.is_error), None)
