"""Model providers: the clients that speak to AI models, what coderev knows of them (the
registry of providers and models, their sealed API keys, their health), and the catalog the
router chooses from.

- `sdk/`: `ModelProvider` adapters on the official SDKs (openai, anthropic, huggingface_hub)
  and `build_provider`, which picks one by kind.
- `wire`: a local server speaking those providers' wire formats, scripted with replies and
  faults; tests and `coderev model-server` use it (a development tool, not in the Lambda layer).
- `model`: ProviderRecord, ModelSpec, NewProvider, SealedKey (a record never holds a key).
- `repository`: the ProviderRepository port; `sql_repository` its SQLAlchemy implementation
  (the `providers` schema, `tables`), not imported here (no SQLAlchemy import at cold start).
- `registry`: the use cases the `providers` API and CLI call (create, update, disable,
  rotate a key, re-wrap every key under the current master key).
- `catalog`: `RegistryCatalog`, the ProviderCatalog port on the registry (else the SDKs'
  environment variables, with `default_models.toml`), building clients through `build_provider`.
- `health`: probing every enabled provider and recording the outcome (`provider_health`).

Keys are sealed by a SecretBox (`coderev.adapters.embedded.secret_box`: AES-GCM under a local
master key; `coderev.adapters.kms`: AWS KMS data keys), chosen in `coderev.bootstrap`.
Importing this package imports no SDK: each is imported when a provider of its kind is built.
"""
