# May this experiment's candidate configuration be promoted to production?
#
# Query data.coderev.promotion.decision with input
#   {"requester": {"subject", "tenant", "roles": [...]},
#    "experiment": {"id", "tenant", "plan": {"primary", "guards": [...], "guard_margins": {},
#                   "min_samples", "cost_metric", "cost_ceiling"}},  (cost_ceiling: null = none)
#    "comparison": the comparison's result (coderev.comparison/v1: "n_pairs", "metrics":
#                  {name: {"n", "candidate", "ci", "higher_is_better", "margin", "significant",
#                          "direction"}}),
#    "now_ns": the decision's time in ns since the epoch,
#    "freeze_windows": [{"name", "start_ns", "end_ns"}, ...]}
# and get {"allow": bool, "action": "promotions:promote", "reasons": [string, ...]}: when
# refused, every rule that refused (sorted codes); when allowed, every rule that passed.
# Times are numbers in the input, not parsed here, so a recorded decision re-evaluates the same.
# The same file is evaluated in-process by regopy and by an OPA server (OPA_URL).
package coderev.promotion

# The version of these rules, recorded with every decision (with the bundle's hash).
version := "promotion/1"

default decision := {"allow": false, "action": "promotions:promote", "reasons": ["no_input"]}

decision := {"allow": count(denials) == 0, "action": "promotions:promote", "reasons": reasons} if {
	is_object(input.comparison)
}

plan := object.get(object.get(input, "experiment", {}), "plan", {})

metrics := object.get(input.comparison, "metrics", {})

requester := object.get(input, "requester", {})

# 1. Minimum samples: the comparison's pairs, and the primary metric's own n.
denials contains "min_samples_not_reached" if {
	not samples_reached
}

samples_reached if {
	minimum := object.get(plan, "min_samples", 0)
	is_number(minimum)
	object.get(input.comparison, "n_pairs", 0) >= minimum
	object.get(object.get(metrics, plan.primary, {}), "n", 0) >= minimum
}

# 2. The primary metric is significantly better (a promotion must be an improvement).
denials contains concat(":", ["primary_not_better", object.get(plan, "primary", "")]) if {
	not primary_better
}

primary_better if {
	found := metrics[plan.primary]
	found.significant == true
	found.direction == "better"
}

# 3. On every guard metric the confidence interval excludes a regression beyond the guard's
# margin (non-inferiority): the CI's worse end, in "better" units, is >= -margin. The margin is
# the plan's (guard_margins) else the comparison's; with 0, an interval touching zero passes
# and any interval reaching the worse side does not.
denials contains concat(":", ["guard_regression_not_excluded", guard]) if {
	some guard in object.get(plan, "guards", [])
	not excludes_regression(guard)
}

excludes_regression(guard) if {
	found := metrics[guard]
	is_number(found.ci[0])
	is_number(found.ci[1])
	worst := min({better(found) * found.ci[0], better(found) * found.ci[1]})
	worst >= 0 - guard_margin(guard)
}

better(found) := 1 if {
	found.higher_is_better == true
} else := -1

guard_margin(guard) := margin if {
	margin := object.get(object.get(plan, "guard_margins", {}), guard, null)
	is_number(margin)
} else := object.get(metrics[guard], "margin", 0)

# 4. Cost ceiling: the candidate's mean cost per task (the cost metric) within the ceiling.
denials contains "cost_ceiling_exceeded" if {
	ceiling := object.get(plan, "cost_ceiling", null)
	is_number(ceiling)
	cost := metrics[cost_metric].candidate
	is_number(cost)
	cost > ceiling
}

denials contains "cost_unknown" if {
	is_number(object.get(plan, "cost_ceiling", null))
	not is_number(object.get(object.get(metrics, cost_metric, {}), "candidate", null))
}

cost_metric := object.get(plan, "cost_metric", "cost_usd")

# 5. The requester holds the approver role (or admin), in the experiment's tenant.
denials contains "requester_not_approver" if {
	roles := {role | some role in object.get(requester, "roles", [])}
	count(roles & {"admin", "approver"}) == 0
}

denials contains "tenant_mismatch" if {
	object.get(requester, "tenant", "") != object.get(object.get(input, "experiment", {}), "tenant", null)
}

# 6. No promotion during a freeze window.
denials contains concat(":", ["freeze_window", object.get(window, "name", "unnamed")]) if {
	some window in object.get(input, "freeze_windows", [])
	window.start_ns <= input.now_ns
	input.now_ns < window.end_ns
}

denials contains "no_time" if not is_number(object.get(input, "now_ns", null))

passed := {
	"min_samples_reached", "primary_better", "guards_exclude_regression",
	"cost_within_ceiling", "requester_is_approver", "outside_freeze_windows",
}

reasons := sort(denials) if {
	count(denials) > 0
} else := sort(passed)
