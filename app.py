"""Mutual Aid: the app's entry point. A router only: page set-up and navigation.

The file plays two roles. ``streamlit run app.py`` imports it as a module (named
``app``) and serves the ASGI application ``app`` it finds here: Streamlit's own, behind
the app's web guards (:mod:`mutualaid.ui.web`: downloads for signed-in browsers only, no
metrics), on the same server and port. Each browser session then runs this file as its
script (``__main__``, as AppTest does too), which is the router.
"""

import streamlit as st

from mutualaid.logs import configure_logging

# Once per process in effect: the server imports this file (``app``) before any session
# runs it (``__main__``), and the set-up changes nothing when called again.
configure_logging()

if __name__ == "__main__":
    from mutualaid.ui.router import run_app

    run_app()
else:
    from mutualaid.ui.web import middleware

    app = st.App(__file__, middleware=middleware())
