"""Model providers: the clients that speak to AI models, and what coderev knows of them.

- `sdk/`: `ModelProvider` adapters on the official SDKs (openai, anthropic, huggingface_hub)
  and `build_provider`, which picks one by kind.
- `wire`: a local server speaking those providers' wire formats, scripted with replies and
  faults; tests and `coderev model-server` use it (a development tool, not in the Lambda layer).

Importing this package imports no SDK: each is imported when a provider of its kind is built.
"""
