"""Azure through its SDKs: Azure SQL databases and failover groups (``sql``, a change of service
objective followed in ``sql_change``), Traffic Manager (``traffic``), Blob Storage containers as
object stores (``blob``, listed by ``blob_listing``), Key Vault (``keyvault``) and the bot's
identity (``identity``). Long-running operations (``lro``), where resources are and how clients
are made (``arm``); azure-core's errors become ours (``errors``)."""
