package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/directory"
)

// Error type names of failures that are not directory errors.
const (
	// ErrTypeHRRejected marks an HR record that fails validation.
	ErrTypeHRRejected = "HRRecordRejected"
	// ErrTypeInvalidInput marks an activity input that cannot be acted on.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeNoUsableName marks a person whose name yields no UPN.
	ErrTypeNoUsableName = "NoUsableName"
)

// Error type names of directory failures that workflows act on; they are the
// stable names the directory port gives its error kinds
// (directory.KindConflict, directory.KindNotFound).
const (
	// ErrTypeConflict marks a write refused because the value (a UPN, a
	// mail nickname) is taken, or the holder of an address is not visible
	// yet after the replication-lag window.
	ErrTypeConflict = "GraphConflict"
	// ErrTypeNotFound marks an object the directory does not have.
	ErrTypeNotFound = "GraphNotFound"
)

// graphError is the one place directory failures become Temporal errors. A
// retryable failure (throttling, Graph unavailable, network) is an
// application error whose next retry waits as long as Graph asked
// (Retry-After); a permanent one is non-retryable and carries the directory
// error's stable type name (e.g. GraphPermissionDenied), so workflows and
// the UI can tell them apart. Errors that are not directory errors are
// wrapped and stay retryable, except a cancelled context.
func graphError(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var de *directory.Error
	if errors.As(err, &de) {
		msg := fmt.Sprintf("%s: %s", what, de.Error())
		if de.Retryable() {
			return temporal.NewApplicationErrorWithOptions(msg, de.Type(), temporal.ApplicationErrorOptions{
				NextRetryDelay: directory.RetryAfter(err),
			})
		}
		return temporal.NewApplicationErrorWithOptions(msg, de.Type(), temporal.ApplicationErrorOptions{NonRetryable: true})
	}
	return fmt.Errorf("%s: %w", what, err)
}

// permanent is a non-retryable application error of the given type.
func permanent(what, errType string, err error) error {
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s: %v", what, err), errType, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// Replication lag. Entra ID is eventually consistent: a user created seconds
// ago, or a membership just added, can answer 404 Request_ResourceNotFound on
// a read by id and as the target of a reference write (manager, group member,
// licence) for a while. Microsoft's guidance for such 404s on recently
// written objects is to back off and retry
// (https://learn.microsoft.com/answers/questions/936575, and the Graph best
// practices on replication delays). A 404 on an object the engine knows
// exists (the object id in the entity's state, a user it just created, a
// manager it just found) is therefore retried for a bounded time, and only
// then reported as permanent.
const (
	// DefaultReplicationLagWindow is how long after an activity was first
	// scheduled a 404 on a known object is still taken for replication lag.
	DefaultReplicationLagWindow = 2 * time.Minute
	// replicationLagAttempts bounds the attempts spent on replication lag,
	// whatever the clocks say: with the engine's retry policies (1 s, doubling)
	// eight attempts span about two minutes.
	replicationLagAttempts = 8
	// ErrTypeReplicationLag marks a 404 on a known object while it may still
	// be replication lag: retryable.
	ErrTypeReplicationLag = "GraphReplicationLag"
)

// lagVerdict says whether a failure on a known object may still be
// replication lag: attempt is the activity attempt (from 1), elapsed the time
// since the activity was first scheduled.
func lagVerdict(attempt int32, elapsed, window time.Duration) bool {
	if window <= 0 {
		window = DefaultReplicationLagWindow
	}
	return attempt < replicationLagAttempts && elapsed < window
}

// lagClock reads the attempt and the time since the activity was first
// scheduled. Outside an activity (a direct call in a test) it is the first
// attempt at once.
func lagClock(ctx context.Context) (int32, time.Duration) {
	if !activity.IsActivity(ctx) {
		return 1, 0
	}
	info := activity.GetInfo(ctx)
	elapsed := time.Duration(0)
	if !info.ScheduledTime.IsZero() && info.StartedTime.After(info.ScheduledTime) {
		elapsed = info.StartedTime.Sub(info.ScheduledTime)
	}
	return info.Attempt, elapsed
}

// graphErrorOn is graphError for an operation on object, an object the
// engine knows exists. A 404 (GraphNotFound), or an address whose holder is
// not visible yet (GraphNotYetVisible), is retryable while it may be
// replication lag (see lagVerdict), with Temporal's backoff between attempts;
// after that a 404 is a permanent GraphNotFound naming the object, and an
// invisible holder a permanent GraphConflict, so that a hire chooses another
// name.
func (a *Activities) graphErrorOn(ctx context.Context, what, object string, err error) error {
	attempt, elapsed := lagClock(ctx)
	return a.lagError(what, object, err, attempt, elapsed)
}

// lagError is graphErrorOn's verdict for a given attempt and time since the
// first one.
func (a *Activities) lagError(what, object string, err error, attempt int32, elapsed time.Duration) error {
	kind := directory.KindOf(err)
	if kind != directory.KindNotFound && kind != directory.KindNotYetVisible {
		return graphError(what, err)
	}
	window := a.ReplicationLagWindow
	if window <= 0 {
		window = DefaultReplicationLagWindow
	}
	if lagVerdict(attempt, elapsed, window) {
		a.log().Info("object not visible yet; retrying (replication lag)", "object", object, "attempt", attempt, "elapsed", elapsed, "error", err)
		return temporal.NewApplicationError(fmt.Sprintf("%s: %s not visible yet (attempt %d, %s after the first; Entra replication lag): %v",
			what, object, attempt, elapsed.Round(time.Second), err), ErrTypeReplicationLag)
	}
	errType := ErrTypeNotFound
	if kind == directory.KindNotYetVisible {
		errType = ErrTypeConflict
	}
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s: %s still not visible after %d attempts over %s, so it is not replication lag: %v",
		what, object, attempt, elapsed.Round(time.Second), err), errType, temporal.ApplicationErrorOptions{NonRetryable: true})
}
