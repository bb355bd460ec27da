"""Object-store synchronisation (S3 -> Blob and back), written against the ``ObjectStore`` port."""
