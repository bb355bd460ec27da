"""Azure through its SDKs: Azure SQL, Traffic Manager, Blob Storage, Key Vault; azure-core errors
mapped to ours."""
