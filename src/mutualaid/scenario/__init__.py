"""A scenario: the layers of one operation read together and checked against each other.

:mod:`~mutualaid.scenario.loading` reads a scenario folder, :mod:`~mutualaid.scenario.merging`
adds a planner's uploaded layers to it (replace or merge by id), and
:mod:`~mutualaid.scenario.catalogue` finds the folders the app offers and fingerprints them.
"""
