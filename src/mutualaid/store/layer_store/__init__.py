"""Scenarios and their layers in the store, with versions: who loaded what, when, from
which file (issue 5). Three modules, by what they do:

- :mod:`~mutualaid.store.layer_store.rows`: a canonical frame to rows and back, and what a
  stored version is;
- :mod:`~mutualaid.store.layer_store.rights`: who may store which change (issue 6);
- :mod:`~mutualaid.store.layer_store.versioning`: saving and reading scenarios and layer
  versions, each write one transaction with its audit row;
- :mod:`~mutualaid.store.layer_store.edits`: one incident or resource changed in the app,
  a small change over its layer's version (issue 12).

The names below are the package's interface (``from mutualaid.store import layer_store``).
"""

from mutualaid.errors import LayerDenied, StaleLayer, UnitsInUse, UnknownFeature, UnknownScenario
from mutualaid.store.layer_store.edits import (
    EDITABLE_FIELDS,
    FeatureEdit,
    describe,
    edit_feature,
    editable,
)
from mutualaid.store.layer_store.rows import (
    GEO_KINDS,
    KINDS,
    LayerVersion,
    StoredScenario,
    layer_levels,
    serialise,
)
from mutualaid.store.layer_store.versioning import (
    current_versions,
    files_fingerprint,
    jurisdictions_by_scenario,
    layer_history,
    load_stored_scenario,
    save_layer,
    save_scenario,
    scenario_names,
    set_layer_sharing,
    stored_jurisdictions,
    version_numbers,
)

__all__ = [
    "EDITABLE_FIELDS",
    "GEO_KINDS",
    "KINDS",
    "FeatureEdit",
    "LayerDenied",
    "LayerVersion",
    "StaleLayer",
    "StoredScenario",
    "UnitsInUse",
    "UnknownFeature",
    "UnknownScenario",
    "current_versions",
    "describe",
    "edit_feature",
    "editable",
    "files_fingerprint",
    "jurisdictions_by_scenario",
    "layer_history",
    "layer_levels",
    "load_stored_scenario",
    "save_layer",
    "save_scenario",
    "scenario_names",
    "serialise",
    "set_layer_sharing",
    "stored_jurisdictions",
    "version_numbers",
]
