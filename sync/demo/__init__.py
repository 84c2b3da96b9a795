"""``trainyard demo``: the bundled train on a loopback sandbox, synced by the real connectors.

``train``/``filler`` hold the train as data (``spec``), ``world`` turns it into tracker state on
the sandbox's fakes (``sync.sandbox``), ``known`` states the answers the reports must give, and
``run`` drives sync → reports → digest → a simulated week → sync → digest.
"""
