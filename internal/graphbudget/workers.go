package graphbudget

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// WorkerCounter tells how many worker processes share the tenant's write budget.
type WorkerCounter interface {
	Workers(ctx context.Context) (int, error)
}

// Fixed is a WorkerCounter with a constant answer (benchmarks, a single process).
type Fixed int

// Workers returns n.
func (n Fixed) Workers(context.Context) (int, error) { return int(n), nil }

// DefaultLiveWindow is how recently a poller must have polled to count as a live worker.
// A long poll lasts up to a minute (the server's matching.longPollExpirationInterval), and
// the server records a poller's access when a poll starts and when it ends, so a live
// worker's last access is at most about a minute old; temporalio/cli
// docs/task-queue/describe.md: "Poll requests can last up to a minute, so a LastAccessTime
// under a minute is normal". The margin keeps a worker counted across one slow poll. A
// worker that stops keeps being listed for its activity polls (server v1.32.1), so it stops
// counting only once its last poll is older than the window; a worker whose activity slots
// are all busy stops polling and may drop out too (it then writes at its larger share until
// it polls again; a 429 pauses everyone meanwhile).
const DefaultLiveWindow = 90 * time.Second

// DefaultPartitions is the number of partitions of a task queue on a default Temporal
// server (matching.numTaskqueueReadPartitions, 4). A worker's polls are spread over them,
// and the server lists a poller only on the partitions it polled.
const DefaultPartitions = 4

// TaskQueueDescriber is the part of the Temporal client Pollers needs
// (go.temporal.io/sdk/client.Client has it).
type TaskQueueDescriber interface {
	DescribeTaskQueue(ctx context.Context, taskQueue string, taskQueueType enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error)
}

// Pollers counts the workers polling a Temporal task queue for activity tasks: the distinct
// poller identities DescribeTaskQueue lists with an access within Window, over every
// partition of the queue. This process (Self) always counts, polling or not yet.
type Pollers struct {
	// Client describes the task queue. It may be set after the Budget is built, before
	// Budget.Run starts.
	Client TaskQueueDescriber
	// TaskQueue is the queue every worker of the engine polls.
	TaskQueue string
	// Self is this worker's identity (worker.Options.Identity).
	Self string
	// Window is how recent a poll counts as live; 0 means DefaultLiveWindow.
	Window time.Duration
	// Partitions is the number of task queue partitions to describe; 0 means
	// DefaultPartitions. Describing a partition the server does not use lists nobody.
	Partitions int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Workers counts the live workers, at least 1.
func (p *Pollers) Workers(ctx context.Context) (int, error) {
	if p.Client == nil {
		return 0, errors.New("no Temporal client to describe the task queue with")
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	parts := p.Partitions
	if parts <= 0 {
		parts = DefaultPartitions
	}
	var all []*taskqueuepb.PollerInfo
	for i := range parts {
		resp, err := p.Client.DescribeTaskQueue(ctx, PartitionName(p.TaskQueue, i), enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err != nil {
			if i == 0 {
				return 0, fmt.Errorf("describe task queue %s: %w", p.TaskQueue, err)
			}
			// A server that refuses partition names (or has fewer partitions) still
			// answered for the root partition, where most polls end up.
			continue
		}
		all = append(all, resp.GetPollers()...)
	}
	window := p.Window
	if window <= 0 {
		window = DefaultLiveWindow
	}
	return LiveWorkers(all, p.Self, now(), window), nil
}

// PartitionName is the name of partition i of a task queue as the server spells it
// (go.temporal.io/server common/tqid: "/_sys/<name>/<i>"; partition 0 is the name itself).
func PartitionName(taskQueue string, i int) string {
	if i == 0 {
		return taskQueue
	}
	return "/_sys/" + taskQueue + "/" + strconv.Itoa(i)
}

// LiveWorkers counts the distinct identities among pollers that polled within window of
// now (a poller without an access time counts), plus self when it is not among them; at
// least 1.
func LiveWorkers(pollers []*taskqueuepb.PollerInfo, self string, now time.Time, window time.Duration) int {
	seen := map[string]bool{}
	for _, p := range pollers {
		if t := p.GetLastAccessTime(); t != nil && now.Sub(t.AsTime()) > window {
			continue
		}
		seen[p.GetIdentity()] = true
	}
	if self != "" {
		seen[self] = true
	}
	return max(len(seen), 1)
}
