"""The AI review: routed models review ranked chunks of the code, grounded in the static findings.

- `attention`: which files and functions deserve a model's attention first.
- `tokens`: counting a prompt's tokens offline (quicktok-v1, else a documented estimate).
- `chunks`: chunks within a token budget: numbered code, its findings, architecture facts.
- `prompt` (+ `prompts/*.toml`): the versioned prompt files and the reply's JSON schema.
- `replies`: a reply parsed against the schema, each comment held to its chunk.
- `calls`: one chunk routed to a model (coderev.routing.Router.call), recorded either way.
- `merge`: the models' comments merged with the offline reviewer's; the AI review's record.
- `reviewer`: `AIReviewer` and the reviewer names (`auto`, `openai:MODEL`, ...).
- `scripted`: a reply a scripted model gives to a rendered prompt (demos and tests).

Importing the package imports none of these (nor jsonschema, quicktok or a provider SDK).
"""
