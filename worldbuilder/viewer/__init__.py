"""`worldbuilder serve`: a local, read-only web viewer for computers, runs and fleets.

It only reads files under the roots it was given (never imports agent_harness) and resolves every
served path inside them (see :mod:`worldbuilder.viewer.safepath`).
"""
