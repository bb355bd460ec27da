"""The local rehearsal world: stand-ins for the outside systems CloudPhoenix talks to.

Nothing here is imported by ``bot``, ``handlers`` or ``engine``; the import direction is
``sandbox -> bot -> handlers -> engine``.
"""
