"""The few helpers that touch Streamlit: cached loaders, session state, map display, panels."""
