"""Who acts and what they may see: the actor (account, role, jurisdiction), sharing levels,
and the mapping of an organisation's sign-in claims (OpenID Connect) to an actor.

Imports the domain below it (layers, scenario, allocation's travel model) and the base
modules (errors, settings, text); never the store, the maps or the web app.
"""
