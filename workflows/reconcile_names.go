package workflows

// Names of the reconciliation: workflow, query, schedule and statuses.
const (
	// ReconcileWorkflowName is the registered name of the reconciliation workflow.
	ReconcileWorkflowName = "Reconcile"
	// ReconcileWorkflowIDPrefix starts the id of an on-demand reconciliation
	// ("reconcile/<unix nanoseconds>").
	ReconcileWorkflowIDPrefix = "reconcile/"
	// ReconcileScheduleID is the id of the Temporal Schedule that starts the
	// periodic reconciliation.
	ReconcileScheduleID = "lifecycle-reconcile"
	// QueryReconcileProgress answers a reconciliation's progress
	// (ReconcileProgress).
	QueryReconcileProgress = "progress"
	// ReasonReconcile is the hr-changed reason of work a reconciliation
	// delivers to an entity.
	ReasonReconcile = "reconcile"
)

// Reconciliation phases (ReconcileProgress.Phase).
const (
	PhasePlanning         = "planning"
	PhaseApplying         = "applying"
	PhaseAwaitingApproval = "awaiting-approval"
	PhaseApplyingRemovals = "applying-removals"
	PhaseDone             = "done"
	PhaseRejected         = "rejected"
)

// Approval decisions (ReconcileProgress.Decision).
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)
