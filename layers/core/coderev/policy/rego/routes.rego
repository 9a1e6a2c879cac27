# The action of every route of template.yaml ("METHOD /resource" as API Gateway names it).
# A route not listed here gets "<first path segment>:read" (GET, HEAD) or ":write" (any other
# method), which only admins hold; tests/unit/policy checks every template route is listed.
package coderev.routes

actions := {
	# analyses
	"POST /analyses": "analyses:create",
	"POST /analyses/uploads": "analyses:create",
	"GET /analyses/{id}": "analyses:read",
	"GET /analyses/{id}/report/{format}": "reports:read",
	"POST /analyses/{id}/rerun": "analyses:rerun",
	# projects and a project's analyses (the data layer checks the role on the project too)
	"POST /projects": "projects:create",
	"GET /projects": "projects:read",
	"GET /projects/{project}": "projects:read",
	"PATCH /projects/{project}": "projects:update",
	"DELETE /projects/{project}": "projects:delete",
	"PUT /projects/{project}/settings": "projects:settings",
	"PUT /projects/{project}/baseline": "projects:baseline",
	"GET /projects/{project}/members": "projects:read",
	"PUT /projects/{project}/members/{subject}": "projects:members",
	"DELETE /projects/{project}/members/{subject}": "projects:members",
	"GET /projects/openapi.json": "docs:read",
	"POST /projects/{project}/analyses": "analyses:create",
	"POST /projects/{project}/analyses/uploads": "analyses:create",
	"GET /projects/{project}/analyses": "analyses:read",
	"GET /projects/{project}/analyses/{id}": "analyses:read",
	"GET /projects/{project}/analyses/{id}/report/{format}": "reports:read",
	"GET /projects/{project}/analyses/{id}/drift": "drift:read",
	"POST /projects/{project}/analyses/{id}/rerun": "analyses:rerun",
	# the audit trail: admins only (no role but admin holds audits:read)
	"GET /audits": "audits:read",
	"GET /openapi.json": "docs:read",
	"GET /swagger": "docs:read",
	# routing, quotas, providers: platform administration
	"POST /routes/preview": "routes:preview",
	"POST /quotas/check": "quotas:check",
	# experiments: comparisons compute only (they store nothing)
	"POST /comparisons": "comparisons:run",
	"GET /providers": "providers:read",
	"POST /providers": "providers:write",
	"GET /providers/{name}": "providers:read",
	"PATCH /providers/{name}": "providers:write",
	"POST /providers/{name}/disable": "providers:write",
	"PUT /providers/{name}/key": "providers:write",
	"GET /providers/openapi.json": "docs:read",
	# auth: the caller's own session; members and API keys of the caller's organization
	"POST /auth/logout": "self:write",
	"GET /auth/whoami": "self:read",
	"GET /auth/members": "members:read",
	"POST /auth/members": "members:manage",
	"GET /auth/api-keys": "api_keys:manage",
	"POST /auth/api-keys": "api_keys:manage",
	"DELETE /auth/api-keys/{key_id}": "api_keys:manage",
	# experiments: review configurations and experiments (promotion is the state machine's)
	"GET /configurations": "experiments:read",
	"POST /configurations": "experiments:write",
	"GET /configurations/{ref}": "experiments:read",
	"GET /experiments": "experiments:read",
	"POST /experiments": "experiments:write",
	"GET /experiments/{id}": "experiments:read",
	"POST /experiments/{id}/start": "experiments:write",
	"POST /experiments/{id}/evaluate": "experiments:write",
	"POST /experiments/{id}/archive": "experiments:write",
	"GET /experiments/{id}/observations": "experiments:read",
	"POST /experiments/{id}/observations": "experiments:observe",
	"GET /experiments/openapi.json": "docs:read",
	# promotion: approvers (and admins) promote through the policy and roll back
	"POST /promotions": "promotions:create",
	"GET /promotions/{id}": "promotions:read",
	"GET /promotions/openapi.json": "docs:read",
	"GET /production": "production:read",
	"POST /production/rollback": "production:rollback",
	"POST /feedback": "feedback:write",
	"GET /feedback/acceptance": "feedback:read",
	"GET /feedback/new": "feedback:read",
	"POST /feedback/new": "feedback:write",
}
