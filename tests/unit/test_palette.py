"""The maps' colours can be told apart, also by people with a colour-vision deficiency.

Each colour is simulated for protanopia, deuteranopia and tritanopia with the
matrices of Machado, Oliveira and Fernandes (2009, severity 1.0), applied to linear
sRGB, and compared in CIELAB (D65, ΔE*ab). Every pair of colours that can appear on
one map (:func:`mutualaid.maps.palette.symbol_colors`: severities, resource types,
flows, held units, the unmet ring) must differ by at least
:data:`mutualaid.maps.palette.MIN_DELTA_E` for normal vision and each simulation,
and every colour from the land and the sea it is drawn on.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mutualaid.maps import palette

#: Machado et al. (2009), Table 1, severity 1.0; rows give linear R, G, B.
MACHADO: dict[str, np.ndarray] = {
    "normal vision": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
#: Linear sRGB to CIE XYZ (D65).
SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
D65_WHITE = SRGB_TO_XYZ @ np.ones(3)
#: What the symbols are drawn on.
GROUNDS = {"land": palette.LAND_FILL, "sea": palette.SEA_COLOR}
#: Smallest distance of a symbol from the ground under it.
MIN_GROUND_DELTA_E = 10.0


def linear(color: str) -> np.ndarray:
    """``#rrggbb`` as linear sRGB (the sRGB transfer function undone)."""
    encoded = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


def lab(color: str, vision: str) -> np.ndarray:
    """The colour as a person with that vision sees it, in CIELAB."""
    rgb = np.clip(MACHADO[vision] @ linear(color), 0.0, 1.0)
    xyz = SRGB_TO_XYZ @ rgb / D65_WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str) -> float:
    return float(np.linalg.norm(lab(a, vision) - lab(b, vision)))


def closest_pairs(colors: dict[str, str], vision: str) -> list[tuple[float, str, str]]:
    return sorted(
        (delta_e(colors[a], colors[b], vision), a, b) for a, b in itertools.combinations(colors, 2)
    )


# --- the simulation itself ----------------------------------------------------------------


def test_the_simulation_matches_known_values():
    # White stays white and black black in every simulation (rows sum to 1).
    for vision in MACHADO:
        assert np.allclose(lab("#ffffff", vision), [100, 0, 0], atol=0.05)
        assert np.allclose(lab("#000000", vision), [0, 0, 0], atol=0.05)
    # sRGB red in CIELAB (a textbook value) for normal vision.
    assert np.allclose(lab("#ff0000", "normal vision"), [53.24, 80.09, 67.20], atol=0.05)
    # The classic confusions: red and green collapse for protanopes and deuteranopes,
    # blue and green for tritanopes, while normal vision tells them far apart.
    assert delta_e("#d62728", "#2ca02c", "normal vision") > 80
    assert delta_e("#e31a1c", "#6a8a00", "deuteranopia") < 25
    assert delta_e("#1f77b4", "#2ca02c", "tritanopia") < delta_e(
        "#1f77b4", "#2ca02c", "normal vision"
    )


def test_the_check_catches_the_old_palette():
    # Issue 13's complaints, with the colours the maps had before: fire-engine red
    # against the severity reds, and the flows' grey against the unknown severity's.
    # (Helicopter purple against cross-border purple, 19 to 26 apart, is a matter of
    # hue family: the next test keeps flows grey and purples for the types.)
    old = {"fire engine": "#d62728", "severity 3": "#f03b20"}
    old |= {"local flow": "#7a7a7a", "unknown severity": "#7f7f7f"}
    failing = {
        (a, b)
        for vision in MACHADO
        for distance, a, b in closest_pairs(old, vision)
        if distance < palette.MIN_DELTA_E
    }
    assert ("fire engine", "severity 3") in failing
    assert ("local flow", "unknown severity") in failing


# --- the maps' palette --------------------------------------------------------------------


@pytest.mark.parametrize("vision", list(MACHADO))
def test_every_two_colours_of_one_map_are_told_apart(vision):
    colors = palette.symbol_colors()
    assert len(colors) == len(set(colors.values())) == 27
    closest = closest_pairs(colors, vision)
    too_close = [pair for pair in closest if pair[0] < palette.MIN_DELTA_E]
    assert not too_close, f"{vision}: {too_close}"


@pytest.mark.parametrize("vision", list(MACHADO))
def test_every_colour_stands_out_from_the_land_and_the_sea(vision):
    for name, color in palette.symbol_colors().items():
        for ground, under in GROUNDS.items():
            assert delta_e(color, under, vision) >= MIN_GROUND_DELTA_E, (vision, name, ground)


def test_severity_is_the_only_warm_family_and_flows_the_only_greys():
    def hue_chroma(color: str) -> tuple[float, float]:
        _, a, b = lab(color, "normal vision")
        return float(np.degrees(np.arctan2(b, a)) % 360), float(np.hypot(a, b))

    for color in palette.SEVERITY_COLORS.values():
        hue, chroma = hue_chroma(color)
        assert 20 <= hue <= 100 and chroma > 40, color
    others = [*palette.RESOURCE_TYPE_COLORS.values(), *palette.EXTRA_TYPE_COLORS]
    others += [*palette.HELD_COLORS.values(), palette.UNMET_COLOR]
    for color in others:
        hue, chroma = hue_chroma(color)
        assert chroma > 20, color  # no grey but the flows and the unknown severity
        # Warm and strong would read as a severity; the olive ones are muted.
        assert not (15 <= hue <= 75 and chroma > 30), color
    for color in palette.FLOW_COLORS.values():
        assert hue_chroma(color)[1] < 1, color
    # Severity grows darker with each level, so its order reads without hue too.
    lightness = [lab(palette.SEVERITY_COLORS[level], "normal vision")[0] for level in range(1, 6)]
    assert lightness == sorted(lightness, reverse=True)
