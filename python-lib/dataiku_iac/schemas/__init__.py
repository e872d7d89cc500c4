"""JSON Schemas shipped with the library (package data)."""
