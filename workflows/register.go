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
	r.RegisterActivity(acts)
}
