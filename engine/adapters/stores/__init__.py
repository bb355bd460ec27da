"""The ``Store`` adapters: SQLite (``sqlite_store``: embedded, one replica) and Redis
(``redis_store``, its compound operations atomic in Lua, ``redis_scripts``: several replicas),
with one encoding of stored values (``codec``) and the checks both make before they write
object sync's state (``object_sync``)."""
