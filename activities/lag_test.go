package activities

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/directory"
)

// A 404 on an object the engine knows exists is replication lag for a
// bounded time (attempts and elapsed time), then permanent and named.
func TestLagErrorRetriesKnownObjectsForABoundedTime(t *testing.T) {
	notFound := &directory.Error{Kind: directory.KindNotFound, Status: 404, Code: "Request_ResourceNotFound"}
	invisible := &directory.Error{Kind: directory.KindNotYetVisible}
	denied := &directory.Error{Kind: directory.KindPermissionDenied, Status: 403}
	tests := []struct {
		name      string
		err       error
		attempt   int32
		elapsed   time.Duration
		wantType  string
		wantRetry bool
	}{
		{"first 404", notFound, 1, 0, ErrTypeReplicationLag, true},
		{"404 at 90 s", notFound, 6, 90 * time.Second, ErrTypeReplicationLag, true},
		{"404 past the window", notFound, 5, 2*time.Minute + time.Second, "GraphNotFound", false},
		{"404 past the attempts", notFound, replicationLagAttempts, 10 * time.Second, "GraphNotFound", false},
		{"holder not visible yet", invisible, 2, 3 * time.Second, ErrTypeReplicationLag, true},
		{"holder never visible: choose another name", invisible, 9, 3 * time.Minute, "GraphConflict", false},
		{"403 is not lag", denied, 1, 0, "GraphPermissionDenied", false},
	}
	a := &Activities{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.lagError("set manager of u-1", "account u-1", tt.err, tt.attempt, tt.elapsed)
			var app *temporal.ApplicationError
			if !errors.As(err, &app) {
				t.Fatalf("not an application error: %v", err)
			}
			if app.Type() != tt.wantType || app.NonRetryable() == tt.wantRetry {
				t.Fatalf("type %s retryable %v, want %s %v (%v)", app.Type(), !app.NonRetryable(), tt.wantType, tt.wantRetry, err)
			}
			if tt.err != denied && !strings.Contains(err.Error(), "account u-1") {
				t.Errorf("message does not name the object: %v", err)
			}
		})
	}
}

// A shorter configured window ends the retries sooner.
func TestLagWindowIsConfigurable(t *testing.T) {
	a := &Activities{ReplicationLagWindow: 10 * time.Second}
	err := a.lagError("x", "account u-1", &directory.Error{Kind: directory.KindNotFound}, 2, 11*time.Second)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() {
		t.Fatalf("got %v, want permanent after the 10 s window", err)
	}
}
