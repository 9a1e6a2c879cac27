# What each role may do within its tenant. Roles nest: each has everything of the one before.
# An action is "<collection>:<verb>"; "*" is every action (admins).
package coderev.roles

viewer := {
	"analyses:read", "reports:read", "drift:read", "projects:read", "docs:read",
	"self:read", "self:write", "experiments:read", "feedback:read",
}

reviewer := viewer | {"analyses:create", "analyses:rerun", "feedback:write"}

maintainer := reviewer | {
	"projects:create", "projects:update", "projects:baseline", "projects:members",
	"projects:settings", "versions:write", "api_keys:manage", "routes:preview",
	"comparisons:run",
	"experiments:write",
}

# Approvers decide promotions of review configurations (the promotion policy asks for this
# role or admin); they read experiments and production like a viewer.
approver := viewer | {
	"promotions:create", "promotions:read", "production:read", "production:rollback",
}

admin := {"*"}

permissions := {
	"viewer": viewer,
	"reviewer": reviewer,
	"maintainer": maintainer,
	"approver": approver,
	"admin": admin,
}
