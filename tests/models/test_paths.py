"""Paths into attribute trees: keys, and list indexes as ints or digit strings."""

from __future__ import annotations

from dataiku_iac.models.paths import get_at, list_index, set_at


def test_list_indexes_as_ints_or_digit_strings_in_range_only():
    items = ["a", "b"]
    assert list_index(items, 1) == list_index(items, "1") == 1
    assert list_index(items, 2) is None and list_index(items, "-1") is None and list_index(items, -1) is None
    assert list_index(items, True) is None and list_index({"1": 0}, "1") is None


def test_get_at_walks_keys_and_indexes_and_says_when_a_step_is_missing():
    tree = {"inputs": {"main": {"items": [{"ref": "a"}, {"ref": "b"}]}}}
    assert get_at(tree, ("inputs", "main", "items", 1, "ref")) == (True, "b")
    assert get_at(tree, ["inputs", "main", "items", "0", "ref"]) == (True, "a")
    assert get_at(tree, ("inputs", "main", "items", 2, "ref")) == (False, None)
    assert get_at(tree, ("outputs",)) == (False, None)
    assert get_at(tree, ()) == (True, tree)


def test_set_at_writes_only_where_the_parent_exists():
    tree = {"params": {"path": "/a"}, "items": ["x"]}
    set_at(tree, ("params", "path"), "/b")
    set_at(tree, ("params", "new"), 1)  # a new key of an existing mapping
    set_at(tree, ("items", "0"), "y")
    set_at(tree, ("items", 1), "z")  # out of range: nothing
    set_at(tree, ("missing", "key"), 2)  # no parent: nothing
    set_at(tree, (), "ignored")
    assert tree == {"params": {"path": "/b", "new": 1}, "items": ["y"]}
