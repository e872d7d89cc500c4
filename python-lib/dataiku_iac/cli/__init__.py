"""The ``dataiku-iac`` command line: one module per command, each ``main``-style function returns an exit code."""
