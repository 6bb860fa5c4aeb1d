package graphbudget

import (
	"context"
	"errors"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func poller(identity string, at time.Time) *taskqueuepb.PollerInfo {
	p := &taskqueuepb.PollerInfo{Identity: identity}
	if !at.IsZero() {
		p.LastAccessTime = timestamppb.New(at)
	}
	return p
}

func TestLiveWorkers(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	w := DefaultLiveWindow
	for _, tc := range []struct {
		name    string
		pollers []*taskqueuepb.PollerInfo
		self    string
		want    int
	}{
		{"nobody yet: this worker", nil, "me", 1},
		{"no self, nobody", nil, "", 1},
		{"self listed", []*taskqueuepb.PollerInfo{poller("me", now)}, "me", 1},
		{"self not yet listed", []*taskqueuepb.PollerInfo{poller("a", now)}, "me", 2},
		{"one identity on several partitions", []*taskqueuepb.PollerInfo{poller("a", now), poller("a", now.Add(-time.Second)), poller("me", now)}, "me", 2},
		{"stale poller left out", []*taskqueuepb.PollerInfo{poller("a", now.Add(-w-time.Second)), poller("b", now.Add(-w+time.Second))}, "me", 2},
		{"no access time counts", []*taskqueuepb.PollerInfo{poller("a", time.Time{})}, "me", 2},
		{"three live", []*taskqueuepb.PollerInfo{poller("a", now), poller("b", now), poller("c", now)}, "a", 3},
	} {
		if got := LiveWorkers(tc.pollers, tc.self, now, w); got != tc.want {
			t.Errorf("%s: %d workers, want %d", tc.name, got, tc.want)
		}
	}
}

// describer answers DescribeTaskQueue from a map of partition name to pollers.
type describer struct {
	pollers map[string][]*taskqueuepb.PollerInfo
	fail    map[string]error
	asked   []string
	types   []enumspb.TaskQueueType
}

func (d *describer) DescribeTaskQueue(_ context.Context, name string, typ enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error) {
	d.asked = append(d.asked, name)
	d.types = append(d.types, typ)
	if err := d.fail[name]; err != nil {
		return nil, err
	}
	return &workflowservice.DescribeTaskQueueResponse{Pollers: d.pollers[name]}, nil
}

// Pollers unions the activity pollers of every partition; a partition the server refuses is
// skipped, the root partition's failure is an error.
func TestPollersDescribesEveryPartition(t *testing.T) {
	now := time.Now()
	d := &describer{
		pollers: map[string][]*taskqueuepb.PollerInfo{
			"lifecycle":           {poller("w1", now)},
			"/_sys/lifecycle/2":   {poller("w2", now), poller("w1", now)},
			"/_sys/lifecycle/3":   {poller("w3", now.Add(-10*time.Minute))},
			"/_sys/lifecycle/100": {poller("never asked", now)},
		},
		fail: map[string]error{"/_sys/lifecycle/1": errors.New("invalid task queue name")},
	}
	p := &Pollers{Client: d, TaskQueue: "lifecycle", Self: "w1"}
	n, err := p.Workers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d workers, want 2 (w1, w2; w3 is stale)", n)
	}
	if want := []string{"lifecycle", "/_sys/lifecycle/1", "/_sys/lifecycle/2", "/_sys/lifecycle/3"}; len(d.asked) != len(want) {
		t.Errorf("asked %v, want %v", d.asked, want)
	}
	for _, typ := range d.types {
		if typ != enumspb.TASK_QUEUE_TYPE_ACTIVITY {
			t.Errorf("described the %v queue, want the activity queue", typ)
		}
	}

	d.fail["lifecycle"] = errors.New("unavailable")
	if _, err := p.Workers(context.Background()); err == nil {
		t.Error("a failed root partition gave no error")
	}
	if _, err := (&Pollers{TaskQueue: "lifecycle"}).Workers(context.Background()); err == nil {
		t.Error("no client gave no error")
	}
}
