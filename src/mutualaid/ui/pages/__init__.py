"""One module per screen: what each page under ``pages/`` shows and does. The files under
``pages/`` stay thin and call these."""
