"""Resource ids, checksums and metadata: the seed's testing requirements and the real-DSS-name corrections."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dataiku_iac.exceptions import InvalidResourceIdError, StateFormatError
from dataiku_iac.models.state import (
    Resource,
    ResourceMetadata,
    make_resource_id,
    parse_resource_id,
)

REAL_IDS = [
    "recipe.GIT_INTEGRATION_DEMO.compute_Orders_enriched",
    "managed_folder.RAMENMEITEN.FXMfF0DU",
    "recipe.P.recipe from notebook TwitterScraper",
    "recipe.CUSTOMER_ANALYTICS.prep_customers",
    "dataset.P.2021_sales",
    "saved_model.P.7rt2bhU5",
    "recipe.P.compute_47b3iOAq.CustomCode_nlp-visualization-wordcloud",
    "scenario.RAMENMEITEN.GETBESTRAMEN",
    "project.RAMENMEITEN",
    "dataset.P.名前",
]


class TestResourceIds:
    @pytest.mark.parametrize("resource_id", REAL_IDS)
    def test_real_dss_names_are_valid(self, resource_id):
        address = parse_resource_id(resource_id)
        resource = Resource(address.resource_type, resource_id, {})
        assert resource.resource_id == resource_id

    def test_name_is_everything_after_the_second_dot(self):
        resource = Resource("recipe", "recipe.P.compute_x.CustomCode_plugin.v2", {})
        assert resource.project_key == "P"
        assert resource.resource_name == "compute_x.CustomCode_plugin.v2"

    def test_project_key_and_name_extraction(self):
        assert Resource("project", "project.SALES", {}).resource_name == ""
        assert Resource("project", "project.SALES", {}).project_key == "SALES"
        assert Resource("dataset", "dataset.SALES.orders", {}).resource_name == "orders"

    @pytest.mark.parametrize(
        "bad_id",
        [
            "dataset",
            "dataset.",
            "dataset.sales.orders",  # project keys are upper case
            "Dataset.SALES.orders",
            "dataset.SALES.",
            "dataset.SALES",  # a dataset needs a name
            "project.SALES.extra",  # a project has none
            "model.SALES.churn",  # unknown type
            "",
        ],
    )
    def test_invalid_ids_raise_value_error_with_expected_format(self, bad_id):
        with pytest.raises(ValueError) as caught:
            parse_resource_id(bad_id)
        assert isinstance(caught.value, InvalidResourceIdError)
        assert "PROJECT_KEY" in str(caught.value) or "expected" in str(caught.value)

    def test_type_prefix_must_match_resource_type(self):
        with pytest.raises(InvalidResourceIdError, match="resource type is 'recipe'"):
            Resource("recipe", "dataset.P.x", {})

    def test_make_resource_id(self):
        assert make_resource_id("project", "CUSTOMER_ANALYTICS") == "project.CUSTOMER_ANALYTICS"
        assert make_resource_id("dataset", "CA", "RAW_CUSTOMERS") == "dataset.CA.RAW_CUSTOMERS"
        assert make_resource_id("recipe", "P", "a b.c") == "recipe.P.a b.c"
        with pytest.raises(InvalidResourceIdError):
            make_resource_id("dataset", "lower", "x")
        with pytest.raises(InvalidResourceIdError):
            make_resource_id("dataset", "P", "")


class TestChecksum:
    def test_deterministic_and_key_order_independent(self):
        a = Resource("dataset", "dataset.P.x", {"b": 1, "a": {"y": [1, 2], "x": None}})
        b = Resource("dataset", "dataset.P.x", {"a": {"x": None, "y": [1, 2]}, "b": 1})
        assert a.metadata.checksum == b.metadata.checksum == a.compute_checksum()
        assert len(a.metadata.checksum) == 64

    @pytest.mark.parametrize(("left", "right"), [(1, 1.0), (1, True), (0, False), (0.0, False), ("1", 1)])
    def test_type_strict(self, left, right):
        a = Resource("dataset", "dataset.P.x", {"v": left})
        b = Resource("dataset", "dataset.P.x", {"v": right})
        assert a.metadata.checksum != b.metadata.checksum
        assert a.has_changed(b)

    def test_nan_refused(self):
        with pytest.raises(StateFormatError, match="JSON"):
            Resource("dataset", "dataset.P.x", {"v": float("nan")})

    def test_non_json_value_refused(self):
        with pytest.raises(StateFormatError, match="not a JSON value"):
            Resource("dataset", "dataset.P.x", {"v": {1, 2}})

    def test_attributes_must_be_a_dict(self):
        with pytest.raises(StateFormatError, match="attributes"):
            Resource("dataset", "dataset.P.x", ["not", "a", "dict"])  # type: ignore[arg-type]

    def test_has_changed_detects_attribute_differences(self):
        a = Resource("dataset", "dataset.P.x", {"params": {"path": "a"}})
        b = Resource("dataset", "dataset.P.x", {"params": {"path": "b"}})
        c = Resource("dataset", "dataset.P.x", {"params": {"path": "a"}})
        assert a.has_changed(b)
        assert not a.has_changed(c)

    def test_has_changed_refuses_different_resources(self):
        with pytest.raises(ValueError, match="different resources"):
            Resource("dataset", "dataset.P.x", {}).has_changed(Resource("dataset", "dataset.P.y", {}))

    def test_refresh_checksum_after_in_place_edit(self):
        resource = Resource("dataset", "dataset.P.x", {"v": 1})
        before = resource.metadata.checksum
        resource.attributes["v"] = 2
        resource.refresh_checksum()
        assert resource.metadata.checksum != before
        assert resource.metadata.checksum == resource.compute_checksum()


class TestResourceRoundTrip:
    def test_round_trip_preserves_everything(self):
        modified = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
        resource = Resource(
            "scenario",
            "scenario.P.DAILY",
            {"active": True, "triggers": []},
            ResourceMetadata(deployed_by="ci", dataiku_internal_id="DAILY", last_modified_by="alice",
                             last_modified_at=modified),
        )
        data = resource.to_dict()
        assert data["metadata"]["last_modified_at"] == "2024-05-01T10:00:00Z"
        assert Resource.from_dict(data) == resource

    def test_metadata_from_dict_errors_name_field(self):
        with pytest.raises(StateFormatError, match="deployed_at"):
            ResourceMetadata.from_dict({"deployed_by": "x"})
        with pytest.raises(StateFormatError, match="deployed_at"):
            ResourceMetadata.from_dict({"deployed_at": "yesterday", "deployed_by": "x"})
        with pytest.raises(StateFormatError, match="dataiku_internal_id"):
            ResourceMetadata.from_dict({"deployed_at": "2025-01-01T00:00:00Z", "deployed_by": "x",
                                        "dataiku_internal_id": 3})
