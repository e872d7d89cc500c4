"""Pure data models: state, resources, diffs."""
