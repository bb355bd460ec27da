"""Object-store synchronisation (S3 -> Blob and back), written against the ``ObjectStore`` port:
one sync (``incremental``: what to copy, from listings or as given) and the continuous passes
that keep the DR side warm between incidents (``continuous``, with ``notices``: what a change
feed's notices ask of a pass)."""
