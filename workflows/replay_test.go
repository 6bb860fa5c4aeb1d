package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-rpc/sdk-go/nexus"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
)

// The histories under testdata were recorded from the engine running end to
// end (embedded Temporal server, real worker and activities, Graph
// simulator): go test ./e2e -run TestRecordHistories -record. Replaying them
// against the current workflow code catches a change that would break
// running workflows (a non-deterministic change of the commands a workflow
// issues) before it is deployed
// (https://docs.temporal.io/develop/go/versioning#replay-testing).

// replayRegistry lets Register fill a replayer: workflow registrations go to
// the replayer under the names Register gives them, activity and Nexus
// registrations are not needed to replay and are dropped.
type replayRegistry struct {
	worker.WorkflowReplayer
}

func (replayRegistry) RegisterActivity(any)                                         {}
func (replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions)    {}
func (replayRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}
func (replayRegistry) RegisterNexusService(*nexus.Service)                          {}

var _ worker.Registry = replayRegistry{}

// TestReplayRecordedHistories replays every recorded history with the
// workflows registered exactly as the worker registers them.
func TestReplayRecordedHistories(t *testing.T) {
	// testdata/*.json are the histories of the current code; testdata/earlier/
	// keeps those of earlier releases, so workflows still running from then
	// keep replaying too (unprefixed: the first release; "2-": before the
	// entity's local reads and the rollout's removal approvals).
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	earlier, err := filepath.Glob(filepath.Join("testdata", "earlier", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, earlier...)
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata; record them with: go test ./e2e -run TestRecordHistories -record")
	}
	replayer := worker.NewWorkflowReplayer()
	Register(replayRegistry{replayer}, &activities.Activities{})

	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if filepath.Base(filepath.Dir(f)) == "earlier" {
			name = "earlier-" + name
		}
		t.Run(name, func(t *testing.T) {
			typ := historyWorkflowType(t, f)
			seen[typ] = true
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(testLogger{}, f); err != nil {
				t.Fatalf("replay of %s (%s) failed: %v", f, typ, err)
			}
		})
	}
	// Every lifecycle workflow has a recorded history.
	for _, name := range []string{EmployeeWorkflowName, HireWorkflowName, ActivateWorkflowName, MoveWorkflowName,
		RenameWorkflowName, ReplaceWorkflowName, ExitWorkflowName, DeleteWorkflowName, PolicyRolloutWorkflowName} {
		if !seen[name] {
			t.Errorf("no recorded history of workflow %s in testdata", name)
		}
	}
}

// historyWorkflowType reads a recorded history and returns the workflow type
// its first event started.
func historyWorkflowType(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	evs := hist.GetEvents()
	if len(evs) == 0 || evs[0].GetWorkflowExecutionStartedEventAttributes() == nil {
		t.Fatalf("%s does not start with WorkflowExecutionStarted", path)
	}
	typ := evs[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
	// Only histories that carry real work are worth keeping.
	if len(evs) < 4 {
		t.Fatalf("%s (%s) holds only %d events", path, typ, len(evs))
	}
	return typ
}

// A history replayed against different workflow code fails: the replay
// check above is not vacuous.
func TestReplayDetectsChangedWorkflow(t *testing.T) {
	replayer := worker.NewWorkflowReplayer()
	// Move issues other commands than the Hire that was recorded.
	replayer.RegisterWorkflowWithOptions(Move, workflow.RegisterOptions{Name: HireWorkflowName})
	err := replayer.ReplayWorkflowHistoryFromJSONFile(testLogger{}, filepath.Join("testdata", "earlier", "Hire.json"))
	if err == nil {
		t.Fatal("replaying the Hire history with other workflow code succeeded")
	}
	// TMPRL1100 is the SDK's non-determinism error code.
	if !strings.Contains(err.Error(), "TMPRL1100") {
		t.Errorf("replay failed, but not for non-determinism: %v", err)
	}
}
