"""Tracker connectors: one module per tracker kind behind the Protocol in ``connectors.base``.

Connectors import nothing else of trainyard; they are found through the ``trainyard.connectors``
entry-point group, exactly as a third-party connector would be.
"""
