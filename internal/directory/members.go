package directory

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// DefaultGroupAddWindow is how long the first addition to a group waits for
// others to the same group before they go to Graph together (Config.GroupAddWindow).
const DefaultGroupAddWindow = 50 * time.Millisecond

// busyGroupAddWindow is the window of every group while the directory is
// busy: some batch carried more than one addition less than busyGroupFor ago,
// which happens when hires run side by side (a wave). A wave's pace is set by
// the identity write quota, not by the seconds an addition waits, so its
// additions then fold across hires even into a department's group; a lone
// hire, whose batches carry one addition each, keeps the short window.
const (
	busyGroupAddWindow = 4 * time.Second
	busyGroupFor       = 10 * time.Second
)

// maxBindPerPatch is how many members one PATCH /groups/{id} with
// members@odata.bind may add: "When using the API to add multiple members in
// one request, you can add up to only 20 members"
// (https://learn.microsoft.com/graph/api/group-post-members, example 2 uses
// PATCH /groups/{id} with members@odata.bind).
const maxBindPerPatch = 20

// memberBatcher folds concurrent additions of members to the same group into
// one PATCH /groups/{id} with members@odata.bind (one write instead of one
// POST members/$ref each). The first addition to a group opens a batch that
// is sent after the window or as soon as it holds 20 members; every caller
// gets its own result. Graph refuses the whole PATCH with 400 when any of the
// members is one already (or one it cannot see yet); the batch then falls
// back to one $ref POST per member through $batch, where "already a member"
// is success, so each caller learns its own outcome.
type memberBatcher struct {
	c      *Client
	window time.Duration

	mu      sync.Mutex
	pending map[string]*memberBatch // open batch by group id
	busy    time.Time               // when the last batch of several additions went out
	now     func() time.Time
}

type memberBatch struct {
	group   string
	adds    []*memberAdd
	timer   *time.Timer
	flushed bool
}

type memberAdd struct {
	user string
	done chan error // buffered: the flush never blocks on a caller that left
}

func newMemberBatcher(c *Client, window time.Duration) *memberBatcher {
	return &memberBatcher{c: c, window: window, pending: map[string]*memberBatch{}, now: time.Now}
}

// add adds user to group, together with whatever other additions to the group
// arrive within the window. A caller whose context ends before its batch is
// sent is taken out of it; once sent, the addition happens whether or not the
// caller still waits (adding a member is idempotent, so its retry is success).
func (m *memberBatcher) add(ctx context.Context, group, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a := &memberAdd{user: user, done: make(chan error, 1)}
	m.mu.Lock()
	b := m.pending[group]
	if b == nil {
		b = &memberBatch{group: group}
		m.pending[group] = b
		b.timer = time.AfterFunc(m.windowFor(), func() { m.flush(b) })
	}
	b.adds = append(b.adds, a)
	full := len(b.adds) >= maxBindPerPatch
	if full {
		// Closed to later additions at once: they open the next batch.
		delete(m.pending, group)
	}
	m.mu.Unlock()
	if full {
		b.timer.Stop()
		go m.flush(b)
	}
	select {
	case err := <-a.done:
		return err
	case <-ctx.Done():
		m.mu.Lock()
		if !b.flushed {
			for i, x := range b.adds {
				if x == a {
					b.adds = append(b.adds[:i], b.adds[i+1:]...)
					break
				}
			}
		}
		m.mu.Unlock()
		return ctx.Err()
	}
}

// windowFor is how long a new batch stays open: the configured window, or
// busyGroupAddWindow (when longer) while the directory is busy. Called with
// m.mu held.
func (m *memberBatcher) windowFor() time.Duration {
	if m.busy.IsZero() || m.now().Sub(m.busy) >= busyGroupFor {
		return m.window
	}
	return max(m.window, busyGroupAddWindow)
}

// flush sends a batch once and hands every caller its result.
func (m *memberBatcher) flush(b *memberBatch) {
	m.mu.Lock()
	if b.flushed {
		m.mu.Unlock()
		return
	}
	b.flushed = true
	if m.pending[b.group] == b {
		delete(m.pending, b.group)
	}
	adds := b.adds
	if len(adds) > 1 {
		m.busy = m.now()
	}
	m.mu.Unlock()
	if len(adds) == 0 {
		return
	}
	// The request belongs to every caller of the batch, so no single caller's
	// cancellation may abort it; the client's HTTP timeout bounds it.
	ctx := context.Background()
	var users []string
	seen := map[string]bool{}
	for _, a := range adds {
		if !seen[a.user] {
			seen[a.user] = true
			users = append(users, a.user)
		}
	}
	results := m.c.addMembers(ctx, b.group, users)
	for _, a := range adds {
		a.done <- results[a.user]
	}
}

// addMembers adds users (at most 20) to group and returns each user's error
// (nil on success or when already a member). One user goes as a $ref POST;
// more go as one PATCH with members@odata.bind, and when Graph refuses that
// for a reason that is about one of the members (400: already a member, an
// object it cannot see yet), one $ref POST per member through $batch.
func (c *Client) addMembers(ctx context.Context, group string, users []string) map[string]error {
	out := make(map[string]error, len(users))
	if len(users) == 1 {
		out[users[0]] = c.addGroupMemberRef(ctx, group, users[0])
		return out
	}
	err := c.patchMembers(ctx, group, users)
	var e *Error
	if err == nil || !errors.As(err, &e) || !memberSpecific(e) {
		for _, u := range users {
			out[u] = err
		}
		if err == nil {
			c.log.Debug("members added in one request", "group", group, "members", len(users))
		}
		return out
	}
	c.log.Debug("adding members together refused; adding one by one", "group", group, "members", len(users), "error", err)
	steps, serr := c.addMemberSteps(ctx, group, users)
	if serr != nil {
		for _, u := range users {
			out[u] = serr
		}
		return out
	}
	errs := c.runBatch(ctx, steps)
	for i, u := range users {
		out[u] = errs[i]
	}
	return out
}

// memberSpecific reports a refusal of a PATCH members@odata.bind that may be
// about a single member and not the group: Graph answers 400 for the whole
// request when one member already is one ("One or more added object
// references already exist", https://learn.microsoft.com/graph/api/group-post-members#response)
// and 400 or 404 when a referenced object does not exist (yet: replication).
func memberSpecific(e *Error) bool {
	return e.Status == http.StatusBadRequest || e.Status == http.StatusNotFound
}

// patchMembers sends PATCH /groups/{id} with members@odata.bind for users
// (https://learn.microsoft.com/graph/api/group-update, "members@odata.bind").
func (c *Client) patchMembers(ctx context.Context, group string, users []string) error {
	o := op{"add " + strconv.Itoa(len(users)) + " members to group " + group, permGroupMember}
	refs := make([]string, len(users))
	for i, u := range users {
		refs[i] = c.baseURL + "/directoryObjects/" + u
	}
	body := models.NewGroup()
	body.SetAdditionalData(map[string]any{"members@odata.bind": refs})
	_, err := c.graph.Groups().ByGroupId(group).Patch(ctx, body, nil)
	return classify(o, err)
}

// addGroupMemberRef is POST /groups/{id}/members/$ref for one member; already
// a member is success.
func (c *Client) addGroupMemberRef(ctx context.Context, groupID, userID string) error {
	o := addMemberOp(groupID, userID)
	err := classify(o, c.graph.Groups().ByGroupId(groupID).Members().Ref().Post(ctx, c.memberRef(userID), nil))
	if e, ok := err.(*Error); ok && alreadyMember(e) {
		return nil
	}
	return err
}

// addMemberSteps builds one $ref POST per user to group.
func (c *Client) addMemberSteps(ctx context.Context, group string, users []string) ([]batchStep, error) {
	steps := make([]batchStep, 0, len(users))
	for _, u := range users {
		o := addMemberOp(group, u)
		info, err := c.graph.Groups().ByGroupId(group).Members().Ref().ToPostRequestInformation(ctx, c.memberRef(u), nil)
		if err != nil {
			return nil, newError(o, KindUnexpected, "build request", err)
		}
		steps = append(steps, batchStep{info: info, op: o, done: alreadyMember})
	}
	return steps, nil
}

// addToGroupsFolded adds user to every group through the batcher, all groups
// at once, and returns the first permanent error (else the retryable one with
// the longest Retry-After), like firstError.
func (c *Client) addToGroupsFolded(ctx context.Context, user string, groups []string) error {
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.members.add(ctx, g, user)
		}()
	}
	wg.Wait()
	return firstError(errs)
}
