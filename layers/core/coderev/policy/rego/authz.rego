# Access to coderev's HTTP API: role-based access control within a tenant, and tenant isolation.
#
# Query data.coderev.authz.decision with input
#   {"principal": {"subject", "tenant", "roles": [...], "kind": "user"|"api_key"|"local",
#                  "scopes": [...]},
#    "action": "analyses:read"                      (or "request" below: the route's action)
#    "request": {"method": "GET", "resource": "/analyses/{id}"},
#    "resource": {"tenant": "acme"}}                (the target's tenant, when known)
# and get {"allow": bool, "action": string, "reasons": [string, ...]} (reasons sorted).
# The same file is evaluated in-process by regopy and by an OPA server (OPA_URL).
package coderev.authz

import data.coderev.routes

default decision := {"allow": false, "action": "", "reasons": ["no_action"]}

decision := {"allow": count(denials) == 0, "action": action, "reasons": reasons} if {
	action
}

# The action asked about: given, else the route's (an unlisted route: <collection>:<verb>).
action := input.action if {
	is_string(input.action)
	input.action != ""
} else := listed if {
	listed := routes.actions[concat(" ", [upper(input.request.method), input.request.resource])]
} else := concat(":", [collection, verb]) if {
	is_string(input.request.resource)
}

collection := split(trim_prefix(input.request.resource, "/"), "/")[0]

verb := "read" if {
	upper(input.request.method) in {"GET", "HEAD", "OPTIONS"}
} else := "write"

principal := object.get(input, "principal", {})

subject := object.get(principal, "subject", "")

tenant := object.get(principal, "tenant", "")

roles := {role | some role in object.get(principal, "roles", [])}

# Every action a role may take, within its own tenant.
grants contains [role, action] if {
	some role in roles
	action in data.coderev.roles.permissions[role]
}

grants contains [role, action] if {
	some role in roles
	"*" in data.coderev.roles.permissions[role]
}

denials contains "unauthenticated" if not valid_name(subject)

denials contains "no_tenant" if not valid_name(tenant)

valid_name(value) if {
	is_string(value)
	value != ""
}

denials contains concat(":", ["no_role_grants", action]) if {
	count(grants) == 0
}

# Tenant isolation: nothing of another tenant, whatever the role.
denials contains "tenant_mismatch" if {
	target := object.get(object.get(input, "resource", {}), "tenant", null)
	target != null
	target != tenant
}

# An API key does only what its scopes name ("analyses:create", "analyses:*" or "*"),
# within what its owner's roles grant.
denials contains concat(":", ["scope_missing", action]) if {
	object.get(principal, "kind", "") == "api_key"
	not scoped
}

scopes := {scope | some scope in object.get(principal, "scopes", [])}

scoped if action in scopes

scoped if concat(":", [split(action, ":")[0], "*"]) in scopes

scoped if "*" in scopes

allow_reasons contains concat(":", ["granted_by_role", role]) if {
	some [role, _] in grants
}

reasons := sort(denials) if {
	count(denials) > 0
} else := sort(allow_reasons)
