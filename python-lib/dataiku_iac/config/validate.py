"""Validation of a whole config: every problem at once, for one environment or for all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from .desired import DesiredState, DesiredStateBuilder, variable_references
from .errors import ConfigFileError, Location, Problem
from .loader import load_config
from .model import Config, Environment
from .variables import undefined_variable_message

#: Stands for the environment when the config defines none (its ${var:} references are not checked then).
NO_ENVIRONMENT = Environment("", "", "", "", {}, {}, Location(""))


@dataclass
class ValidationResult:
    """What ``validate`` found: the problems (errors and warnings, in file order), and the desired state of the
    environment checked in full (the one asked for, else the first by name)."""

    config: Optional[Config]
    problems: List[Problem] = field(default_factory=list)
    desired: Dict[str, DesiredState] = field(default_factory=dict)

    @property
    def errors(self) -> List[Problem]:
        """The errors."""
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> List[Problem]:
        """The warnings."""
        return [problem for problem in self.problems if not problem.is_error]

    def ok(self, strict: bool = False) -> bool:
        """True when there is no error (and, with ``strict``, no warning)."""
        return not (self.problems if strict else self.errors)


def validate_config(root: Path, environment: Optional[str] = None,
                    environ: Optional[Mapping[str, str]] = None) -> ValidationResult:
    """Load ``root`` and check it: YAML, schema, references, flow, variables.

    With ``environment``, ``${var:}`` and ``${env:}`` are resolved for it (``environ``: the process
    environment); without, ``${var:}`` references are checked in every environment and ``${env:}`` ones are
    left for plan time (the machine that validates need not hold the secrets).
    """
    try:
        config, problems = load_config(Path(root))
    except ConfigFileError as exc:
        return ValidationResult(None, [exc.problem])
    result = ValidationResult(config, list(problems))
    if environment is not None:
        names = [environment]
        if environment not in config.environments:
            known = ", ".join(sorted(config.environments)) or "none"
            where = config.environments_document.file if config.environments_document else str(root)
            result.problems.append(Problem(Location(where), f"environment {environment!r} is not defined "
                                                            f"(known: {known})"))
            return result
    else:
        names = sorted(config.environments)
    if not names:  # no usable environment (reported): still check what does not depend on one
        builder = DesiredStateBuilder(config, NO_ENVIRONMENT, None, {}, check_variables=False)
        builder.build()
        result.problems.extend(builder.problems)
    # The first environment gets the whole desired state (references, flow, identities, its variables);
    # the others differ only by their variables, so only their ${var:} references are checked.
    seen = set(result.problems)
    first, others = names[0] if names else None, names[1:]
    if first is not None:
        builder = DesiredStateBuilder(config, config.environments[first],
                                      (environ or {}) if environment is not None else None, {})
        result.desired[first] = builder.build()
        for problem in builder.problems:
            if problem not in seen:
                seen.add(problem)
                result.problems.append(problem)
    if others:
        used = variable_references(config)
        for name in others:
            defined = {**config.variables, **config.environments[name].variables}
            for location, variable in used:
                if variable not in defined:
                    result.problems.append(Problem(location, undefined_variable_message(variable, name)))
    result.problems.sort(key=lambda p: (p.location.file, p.location.line, p.location.column, not p.is_error))
    return result
