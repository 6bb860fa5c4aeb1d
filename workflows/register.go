package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
)

// Register adds every workflow and the activities' methods to a worker.
// The worker binary and the end-to-end tests use exactly this registration.
func Register(r worker.Registry, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(Ping, workflow.RegisterOptions{Name: PingWorkflowName})
	r.RegisterWorkflowWithOptions(EmployeeEntity, workflow.RegisterOptions{Name: EmployeeWorkflowName})
	r.RegisterWorkflowWithOptions(Hire, workflow.RegisterOptions{Name: HireWorkflowName})
	r.RegisterWorkflowWithOptions(Activate, workflow.RegisterOptions{Name: ActivateWorkflowName})
	r.RegisterWorkflowWithOptions(Move, workflow.RegisterOptions{Name: MoveWorkflowName})
	r.RegisterWorkflowWithOptions(Rename, workflow.RegisterOptions{Name: RenameWorkflowName})
	r.RegisterWorkflowWithOptions(Replace, workflow.RegisterOptions{Name: ReplaceWorkflowName})
	r.RegisterWorkflowWithOptions(Exit, workflow.RegisterOptions{Name: ExitWorkflowName})
	r.RegisterWorkflowWithOptions(Delete, workflow.RegisterOptions{Name: DeleteWorkflowName})
	r.RegisterWorkflowWithOptions(PolicyRollout, workflow.RegisterOptions{Name: PolicyRolloutWorkflowName})
	r.RegisterWorkflowWithOptions(LifecycleGuard, workflow.RegisterOptions{Name: GuardWorkflowName})
	registerReconcile(r)
	r.RegisterActivity(acts)
}
