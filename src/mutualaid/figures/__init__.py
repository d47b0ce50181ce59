"""Tables and key figures read off a scenario and its plan: the plan's figures
(:mod:`~mutualaid.figures.plan`), the operations picture's filters and headline
(:mod:`~mutualaid.figures.overview`), and the agreements matrix
(:mod:`~mutualaid.figures.agreements`). Pure pandas; no maps, no store, no Streamlit.
"""
