package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/hr"
)

// deliverAll keeps at most limit sends in flight, sends every entry once,
// keeps one id's entries in order, and reports each failure while the rest
// go on.
func TestDeliverAll(t *testing.T) {
	cases := []struct {
		name    string
		ids     []string
		limit   int
		fail    map[string]bool
		wantN   int
		wantErr []string
	}{
		{name: "empty", ids: nil, limit: 8, wantN: 0},
		{name: "one at a time", ids: []string{"1", "2", "3"}, limit: 1, wantN: 3},
		{name: "many", ids: seq(200), limit: 16, wantN: 200},
		{name: "failures reported, rest delivered", ids: seq(50), limit: 8, fail: map[string]bool{"e7": true, "e31": true},
			wantN: 48, wantErr: []string{"employee e7", "employee e31"}},
		{name: "repeated id kept in order", ids: []string{"a", "b", "a", "c", "a"}, limit: 4, wantN: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var inFlight, most atomic.Int32
			var mu sync.Mutex
			seen := map[string][]int{}
			calls := map[string]int{}
			busy := map[string]bool{}
			overlap := false
			n, err := deliverAll(context.Background(), tc.ids, tc.limit, func(_ context.Context, i int) error {
				id := tc.ids[i]
				cur := inFlight.Add(1)
				defer inFlight.Add(-1)
				for {
					m := most.Load()
					if cur <= m || most.CompareAndSwap(m, cur) {
						break
					}
				}
				mu.Lock()
				overlap = overlap || busy[id]
				busy[id] = true
				calls[id]++
				seen[id] = append(seen[id], i)
				mu.Unlock()
				defer func() { mu.Lock(); busy[id] = false; mu.Unlock() }()
				if tc.fail[id] {
					return errors.New("refused")
				}
				return nil
			})
			if n != tc.wantN {
				t.Errorf("delivered %d, want %d", n, tc.wantN)
			}
			if int(most.Load()) > max(1, tc.limit) {
				t.Errorf("%d sends in flight, limit %d", most.Load(), tc.limit)
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not name %q", err, w)
				}
			}
			if len(tc.wantErr) == 0 && err != nil {
				t.Errorf("unexpected error %v", err)
			}
			if overlap {
				t.Error("two sends to one employee overlapped")
			}
			total := 0
			for id, order := range seen {
				total += len(order)
				if !slices.IsSorted(order) {
					t.Errorf("sends to %s out of order: %v", id, order)
				}
			}
			if total != len(tc.ids) {
				t.Errorf("%d sends, want %d", total, len(tc.ids))
			}
		})
	}
}

// A cancelled context stops the sends not yet begun and is reported.
func TestDeliverAllStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var sent atomic.Int32
	n, err := deliverAll(ctx, seq(1000), 4, func(context.Context, int) error {
		if sent.Add(1) == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n >= 1000 || n < 10 {
		t.Errorf("delivered %d after cancelling at the 10th", n)
	}
}

func seq(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("e%d", i)
	}
	return out
}

// signalRecorder is a Temporal client that records SignalWithStartWorkflow.
type signalRecorder struct {
	client.Client
	mu   sync.Mutex
	got  map[string]entityaddr.HRChanged
	fail string
}

func (r *signalRecorder) SignalWithStartWorkflow(_ context.Context, id, _ string, arg any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id == entityaddr.WorkflowID(r.fail) {
		return nil, errors.New("refused")
	}
	r.got[id] = arg.(entityaddr.HRChanged)
	return nil, nil
}

// SyncAll signals every employee of the snapshot with the record the
// snapshot holds, reports a failed employee and delivers the rest.
func TestSyncAllSendsTheSnapshotRecords(t *testing.T) {
	var snap hr.Snapshot
	for i := range 60 {
		snap.Employees = append(snap.Employees, hr.Employee{EmployeeID: itoa(1000 + i), GivenName: "G" + itoa(i)})
	}
	rec := &signalRecorder{got: map[string]entityaddr.HRChanged{}, fail: "1007"}
	n, err := Dispatcher{Client: rec, TaskQueue: "q"}.SyncAll(context.Background(), snap, "dev-start")
	if n != 59 || err == nil || !strings.Contains(err.Error(), "employee 1007") {
		t.Fatalf("SyncAll = %d, %v; want 59 and the failure of 1007", n, err)
	}
	for _, e := range snap.Employees {
		if e.EmployeeID == "1007" {
			continue
		}
		s, ok := rec.got[entityaddr.WorkflowID(e.EmployeeID)]
		if !ok || s.Reason != "dev-start" || s.Employee == nil || s.Employee.EmployeeID != e.EmployeeID || s.Employee.GivenName != e.GivenName {
			t.Errorf("signal to %s = %+v, want the snapshot's record", e.EmployeeID, s)
		}
	}
}

func itoa(n int) string { return fmt.Sprint(n) }
