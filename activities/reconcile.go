package activities

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/entityaddr"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/reconcile"
)

// entraLister is what reading the tenant in bulk needs: one paged listing of
// the users and one of each group's members (*directory.Client has both).
type entraLister interface {
	ListUsers(ctx context.Context, fn func(directory.User) error) error
	ListGroupMembers(ctx context.Context, groupID string, fn func(directory.User) error) error
}

// licensedUserLister, when the directory offers it, reads every user's
// licences (User.Licenses, skuPartNumbers) within the paged user listing
// itself ($select=...,assignedLicenses): licences then cost no read of their
// own. Without it licences are read per account.
type licensedUserLister interface {
	ListUsersWithLicenses(ctx context.Context, fn func(directory.User) error) error
}

// appAssignmentLister, when the directory offers it, lists one application's
// assignments in one paged listing (GET
// /servicePrincipals/{id}/appRoleAssignedTo), by the service principal's id
// as ResolveAppRoles gives it. Without it app roles are read per account.
type appAssignmentLister interface {
	ListAppRoleAssignedTo(ctx context.Context, spID string, fn func(principalID string, a directory.AppRoleAssignment) error) error
}

// ReadEntra reads every user that carries an employeeId together with the
// managed entitlements it holds, as cheaply as the directory allows: one
// paged user listing (with the licences in it when licences are managed),
// one paged member listing per managed group and one assignment listing per
// managed application, besides the name lookups. Nothing is written.
func (a *Activities) ReadEntra(ctx context.Context, p *policy.Policy) ([]reconcile.EntraAccount, error) {
	d, err := a.dir()
	if err != nil {
		return nil, err
	}
	lister, ok := d.(entraLister)
	if !ok {
		return nil, permanent("read Entra accounts", ErrTypeInvalidInput, errors.New("the directory cannot list users and group members"))
	}
	groups, licenses, roles := split(p.Managed())
	listUsers := lister.ListUsers
	licensesListed := false
	if ll, ok := d.(licensedUserLister); ok && len(licenses) > 0 {
		listUsers, licensesListed = ll.ListUsersWithLicenses, true
	}
	var accounts []reconcile.EntraAccount
	index := map[string]int{}
	err = listUsers(ctx, func(u directory.User) error {
		if u.EmployeeID == "" {
			return nil
		}
		index[u.ID] = len(accounts)
		accounts = append(accounts, reconcile.EntraAccount{User: u})
		return nil
	})
	if err != nil {
		return nil, graphError("list users", err)
	}
	hold := func(userID string, e policy.Entitlement) {
		if i, ok := index[userID]; ok {
			accounts[i].Held = append(accounts[i].Held, e)
		}
	}
	if len(groups) > 0 {
		ids, err := d.ResolveGroups(ctx, groups)
		if err != nil {
			return nil, graphError("resolve managed groups", err)
		}
		for _, name := range groups {
			err := lister.ListGroupMembers(ctx, ids[name], func(u directory.User) error {
				hold(u.ID, policy.Group(name))
				return nil
			})
			if err != nil {
				return nil, graphError("list members of group "+name, err)
			}
		}
	}
	if len(licenses) > 0 {
		if err := a.readLicenses(ctx, d, accounts, licenses, licensesListed, hold); err != nil {
			return nil, err
		}
	}
	if len(roles) > 0 {
		if err := a.readAppRoles(ctx, d, accounts, roles, hold); err != nil {
			return nil, err
		}
	}
	for i := range accounts {
		accounts[i].Held = policy.Distinct(grantsOf(accounts[i].Held))
		accounts[i].User.Licenses, accounts[i].User.InheritedLicenses = nil, nil // folded into Held and Inherited
	}
	return accounts, nil
}

func grantsOf(es []policy.Entitlement) []policy.Grant {
	out := make([]policy.Grant, len(es))
	for i, e := range es {
		out[i] = policy.Grant{Entitlement: e}
	}
	return out
}

// readLicenses adds the managed licences each account holds: from the user
// listing when listed is true, else with one read per account.
func (a *Activities) readLicenses(ctx context.Context, d Directory, accounts []reconcile.EntraAccount, managed []string, listed bool, hold func(string, policy.Entitlement)) error {
	want := map[string]string{}
	for _, l := range managed {
		want[strings.ToLower(l)] = l
	}
	keep := func(userID string, skus []string) {
		for _, s := range skus {
			if name, ok := want[strings.ToLower(s)]; ok {
				hold(userID, policy.License(name))
			}
		}
	}
	if listed {
		for i := range accounts {
			keep(accounts[i].User.ID, accounts[i].User.Licenses)
			for _, l := range accounts[i].User.InheritedLicenses {
				if name, ok := want[strings.ToLower(l)]; ok {
					accounts[i].Inherited = append(accounts[i].Inherited, policy.License(name))
				}
			}
		}
		return nil
	}
	a.log().Warn("the directory lists no licences in bulk: reading them per account", "accounts", len(accounts))
	for i := range accounts {
		skus, err := d.Licenses(ctx, accounts[i].User.ID)
		if err != nil {
			return graphError("read licences of "+accounts[i].User.ID, err)
		}
		keep(accounts[i].User.ID, skus)
	}
	return nil
}

// readAppRoles adds the managed app roles each account holds. The policy's
// roles are resolved to ids first (a policy may name a role by its display
// name, "Standard User", or its value, "standard"; assignments carry only
// ids), then matched by id: one assignment listing per managed application
// when the directory offers it, else one read per account.
func (a *Activities) readAppRoles(ctx context.Context, d Directory, accounts []reconcile.EntraAccount, managed []directory.AppRole, hold func(string, policy.Entitlement)) error {
	resolved, err := d.ResolveAppRoles(ctx, managed)
	if err != nil {
		return graphError("resolve managed app roles", err)
	}
	byID := map[string]directory.AppRole{}
	var apps []string
	for r, res := range resolved {
		byID[strings.ToLower(res.ResourceID+"/"+res.AppRoleID)] = r
		if !slices.Contains(apps, res.ResourceID) {
			apps = append(apps, res.ResourceID)
		}
	}
	match := func(userID, resourceID, appRoleID string) {
		if r, ok := byID[strings.ToLower(resourceID+"/"+appRoleID)]; ok {
			hold(userID, policy.AppRoleOf(r.App, r.Role))
		}
	}
	if al, ok := d.(appAssignmentLister); ok {
		slices.Sort(apps)
		for _, sp := range apps {
			err := al.ListAppRoleAssignedTo(ctx, sp, func(principalID string, as directory.AppRoleAssignment) error {
				match(principalID, sp, as.AppRoleID)
				return nil
			})
			if err != nil {
				return graphError("list assignments of application "+sp, err)
			}
		}
		return nil
	}
	a.log().Warn("the directory lists no application assignments in bulk: reading them per account", "accounts", len(accounts))
	for i := range accounts {
		held, err := d.AppRoleAssignments(ctx, accounts[i].User.ID)
		if err != nil {
			return graphError("read app roles of "+accounts[i].User.ID, err)
		}
		for _, h := range held {
			match(accounts[i].User.ID, h.ResourceID, h.AppRoleID)
		}
	}
	return nil
}

// ReconcilePageInput asks for one page of a reconciliation plan.
type ReconcilePageInput struct {
	// PlanKey names the run's plan in the worker's cache (the workflow id
	// and first run id); empty disables the cache.
	PlanKey string `json:"planKey,omitempty"`
	// At is the moment HR is viewed at; the same for every page of a run.
	At time.Time `json:"at"`
	// After is the employee id the previous page ended with; "" for the
	// first page, which also carries the summary.
	After string `json:"after,omitempty"`
	// Limit is the page size (default 500).
	Limit int `json:"limit,omitempty"`
	// PreviousEmployees is the HR snapshot size a previous run saw (the
	// outage rule); zero when unknown.
	PreviousEmployees int `json:"previousEmployees,omitempty"`
	// Entity is the run's way to the entity workflows, whose state tells a
	// hand edit from an HR change (reconcile.SettleMoves); without a
	// StateQuery every attribute difference stays a move.
	Entity entityaddr.Target `json:"entity,omitzero"`
}

// ReconcilePage is one page of a plan: actions in employee id order.
type ReconcilePage struct {
	// Summary counts the whole plan (first page only).
	Summary *reconcile.PlanSummary `json:"summary,omitempty"`
	Actions []reconcile.PlanAction `json:"actions,omitempty"`
	// Next is the cursor of the following page; "" after the last.
	Next string `json:"next,omitempty"`
}

// DefaultReconcilePageSize is the number of actions per plan page.
const DefaultReconcilePageSize = 500

// planCacheTTL bounds how long a computed plan is kept for its later pages.
const planCacheTTL = time.Hour

type cachedPlan struct {
	plan reconcile.Plan
	at   time.Time
}

// planCache keeps each run's plan on this worker so that later pages do not
// read HR and Entra again. A page asked of another worker (or after a
// restart) recomputes the plan; pages are cut by employee id, not offset, so
// a recomputed plan continues exactly after the last delivered employee. The
// zero value is ready to use.
type planCache struct {
	mu sync.Mutex
	m  map[string]cachedPlan
}

func (a *Activities) cachedPlan(key string) (reconcile.Plan, bool) {
	if key == "" {
		return reconcile.Plan{}, false
	}
	a.plans.mu.Lock()
	defer a.plans.mu.Unlock()
	c, ok := a.plans.m[key]
	if !ok || a.now().Sub(c.at) > planCacheTTL {
		return reconcile.Plan{}, false
	}
	return c.plan, true
}

func (a *Activities) storePlan(key string, p reconcile.Plan) {
	if key == "" {
		return
	}
	a.plans.mu.Lock()
	defer a.plans.mu.Unlock()
	now := a.now()
	for k, c := range a.plans.m {
		if now.Sub(c.at) > planCacheTTL {
			delete(a.plans.m, k)
		}
	}
	if a.plans.m == nil {
		a.plans.m = map[string]cachedPlan{}
	}
	a.plans.m[key] = cachedPlan{plan: p, at: now}
}

// ComputeReconcilePlan reads the HR snapshot, the policy and the Entra state
// and computes the plan. It writes nothing.
func (a *Activities) ComputeReconcilePlan(ctx context.Context, at time.Time, previous int) (reconcile.Plan, error) {
	if a.HR == nil {
		return reconcile.Plan{}, permanent("plan reconciliation", ErrTypeInvalidInput, errors.New("HR source "+errNotConfigured.Error()))
	}
	ps, err := a.LoadPolicy(ctx)
	if err != nil {
		return reconcile.Plan{}, err
	}
	p := &ps.Policy
	snap, err := a.readSnapshot(ctx)
	if err != nil {
		return reconcile.Plan{}, fmt.Errorf("read HR snapshot: %w", err)
	}
	accounts, err := a.ReadEntra(ctx, p)
	if err != nil {
		return reconcile.Plan{}, err
	}
	plan := reconcile.ComputePlan(reconcile.PlanInput{Snapshot: snap, Policy: p, At: at, Accounts: accounts, PreviousEmployees: previous})
	a.observePlan(plan)
	a.log().Info("reconciliation planned", "employees", plan.Summary.Employees, "accounts", plan.Summary.Accounts,
		"actions", plan.Summary.Actionable(), "orphans", plan.Summary.Orphan, "guardTripped", plan.Summary.Guard.Tripped,
		"outage", plan.Summary.Outage != "")
	return plan, nil
}

// PlanReconcilePage returns one page of the run's plan. The first page
// computes the plan (and keeps it for the run's later pages) and carries
// its summary. It writes nothing.
func (a *Activities) PlanReconcilePage(ctx context.Context, in ReconcilePageInput) (ReconcilePage, error) {
	plan, ok := a.cachedPlan(in.PlanKey)
	if !ok {
		var err error
		if plan, err = a.ComputeReconcilePlan(ctx, in.At, in.PreviousEmployees); err != nil {
			return ReconcilePage{}, err
		}
		if in.Entity.StateQuery != "" && activity.IsActivity(ctx) {
			if c := temporalClient(ctx); c != nil {
				a.settleMoves(ctx, &plan, c, in.Entity)
			}
		}
		a.storePlan(in.PlanKey, plan)
	}
	limit := in.Limit
	if limit <= 0 {
		limit = DefaultReconcilePageSize
	}
	start, _ := slices.BinarySearchFunc(plan.Actions, in.After, func(x reconcile.PlanAction, id string) int { return strings.Compare(x.EmployeeID, id) })
	for start < len(plan.Actions) && in.After != "" && plan.Actions[start].EmployeeID <= in.After {
		start++
	}
	end := min(start+limit, len(plan.Actions))
	out := ReconcilePage{Actions: slices.Clone(plan.Actions[start:end])}
	if end < len(plan.Actions) && end > start {
		out.Next = plan.Actions[end-1].EmployeeID
	}
	if in.After == "" {
		s := plan.Summary
		out.Summary = &s
	}
	return out, nil
}

// temporalClient is the worker's client inside an activity; nil where there
// is none (a test environment holds a typed nil).
func temporalClient(ctx context.Context) client.Client {
	c := activity.GetClient(ctx)
	if v := reflect.ValueOf(c); !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return nil
	}
	return c
}

// stateQuerier is what reading an entity's state needs of a Temporal client.
type stateQuerier interface {
	QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error)
}

// maxSettleQueries bounds the entity queries of one plan: a mass of moves is
// an HR reorganisation, which the entities apply themselves.
const maxSettleQueries = 500

// settleMoves asks the entities of the plan's moves what they last applied
// (see reconcile.SettleMoves).
func (a *Activities) settleMoves(ctx context.Context, plan *reconcile.Plan, q stateQuerier, t entityaddr.Target) {
	if q == nil || plan.Summary.Move == 0 || plan.Summary.Move > maxSettleQueries {
		return
	}
	reconcile.SettleMoves(plan, func(employeeID string) (orgattr.Attributes, bool) {
		v, err := q.QueryWorkflow(ctx, entityaddr.WorkflowID(employeeID), "", t.StateQuery)
		if err != nil {
			return orgattr.Attributes{}, false
		}
		var st struct {
			AppliedView *hr.View `json:"appliedView"`
		}
		if err := v.Get(&st); err != nil || st.AppliedView == nil {
			a.log().Warn("entity state unreadable; the difference stays a move", "employeeId", employeeID, "error", err)
			return orgattr.Attributes{}, false
		}
		return orgattr.Of(*st.AppliedView), true
	})
}

// ApplyReconcileInput is one page of actions to apply.
type ApplyReconcileInput struct {
	Actions []reconcile.PlanAction `json:"actions"`
	Entity  entityaddr.Target      `json:"entity"`
}

// ApplyReconcileResult counts what a page applied.
type ApplyReconcileResult struct {
	Applied int `json:"applied"`
	Failed  int `json:"failed"`
	// Waiting counts the exits an entity holds for approval by the
	// mass-change guard.
	Waiting int `json:"waiting,omitempty"`
	// Failures are the first failures, one line each.
	Failures []string `json:"failures,omitempty"`
}

// maxReportedFailures bounds ApplyReconcileResult.Failures.
const maxReportedFailures = 20

// deliverParallelism is how many entities a page waits on at once. A wave of
// hires runs this many side by side: enough that the tenant's Graph write
// budget, not the wait for each entity, sets the pace, and that concurrent
// hires fold their group additions into shared PATCHes.
const deliverParallelism = 64

// entityPassTimeout bounds the wait for one entity's pass; an entity that
// takes longer (a Graph outage it retries through) goes on by itself, and
// the action is counted as failed with that reason.
var entityPassTimeout = 10 * time.Minute

// heartbeatEvery is how often a page waiting on entities reports progress.
var heartbeatEvery = 20 * time.Second

// actionResult is one action's fate.
type actionResult struct {
	err     error
	waiting string
}

// ApplyReconcilePage applies one page of a plan. Hires, rehires, moves and
// exits go to the employee's entity workflow, which does the real work: as
// an Update-With-Start (entityaddr.UpdateWithStart) whose answer is the
// entity's own verdict after its pass, so an action is counted as
// applied only when the entity confirms it, as failed with the entity's
// reason otherwise, and as waiting when the mass-change guard holds it;
// several entities are waited on at once. A repair is applied here with the
// minimal writes: one per group membership added or removed, one per
// licence change, one per app role. Orphans and held actions are never
// applied. A failure of one employee is counted and reported, and does not
// stop the others; a retryable failure fails the activity, whose retry
// resumes after the last group of employees done (heartbeat details).
// Long on purpose: one resumable loop whose heartbeat progress and retry semantics read best in one place.
func (a *Activities) ApplyReconcilePage(ctx context.Context, in ApplyReconcileInput) (ApplyReconcileResult, error) {
	type progress struct {
		Done   int
		Result ApplyReconcileResult
	}
	var pr progress
	if activity.HasHeartbeatDetails(ctx) {
		var prev progress
		if err := activity.GetHeartbeatDetails(ctx, &prev); err == nil {
			pr = prev
		}
	}
	var c entityaddr.Updater
	if tc := temporalClient(ctx); tc != nil {
		c = tc
	}
	beat := func() {}
	var mu sync.Mutex // guards pr between the loop and the heartbeat ticker
	if activity.IsActivity(ctx) {
		beat = func() {
			mu.Lock()
			defer mu.Unlock()
			activity.RecordHeartbeat(ctx, pr)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(heartbeatEvery)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					beat()
				}
			}
		}()
	}
	// Up to deliverParallelism entities are waited on at once, a new one started as soon as
	// any finishes (a slow entity does not hold the others back). Results are counted in
	// page order: Done is the length of the finished prefix, so a retried page resumes
	// there and re-delivers at most what was in flight (Update-With-Start is idempotent).
	start := pr.Done
	results := make([]actionResult, len(in.Actions))
	finished := make([]bool, len(in.Actions))
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	jobs := make(chan int)
	doneCh := make(chan int)
	var wg sync.WaitGroup
	for range min(deliverParallelism, len(in.Actions)-start) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				act := in.Actions[i]
				switch {
				case act.Held != "" || act.Action == reconcile.ActionOrphan:
					results[i].err = errSkipped
				case act.Action == reconcile.ActionRepair:
					results[i].err = a.applyRepair(dctx, act)
				default:
					results[i] = a.deliver(dctx, c, in.Entity, act)
				}
				select {
				case doneCh <- i:
				case <-dctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := start; i < len(in.Actions); i++ {
			select {
			case jobs <- i:
			case <-dctx.Done():
				return
			}
		}
	}()
	fail := func(err error) (ApplyReconcileResult, error) {
		stop()
		wg.Wait()
		return pr.Result, err
	}
	for pr.Done < len(in.Actions) {
		var i int
		select {
		case i = <-doneCh:
		case <-ctx.Done():
			return fail(ctx.Err())
		}
		finished[i] = true
		advanced := false
		for pr.Done < len(in.Actions) && finished[pr.Done] {
			act, r := in.Actions[pr.Done], results[pr.Done]
			res := pr.Result
			switch {
			case errors.Is(r.err, errSkipped):
			case r.err != nil:
				if failsPage(ctx, r.err) {
					return fail(r.err)
				}
				res.Failed++
				if len(res.Failures) < maxReportedFailures {
					res.Failures = append(res.Failures, fmt.Sprintf("%s %s: %v", act.Action, act.EmployeeID, r.err))
				}
				a.log().Warn("reconciliation action failed", "employeeId", act.EmployeeID, "action", act.Action, "error", r.err)
			case r.waiting != "":
				res.Waiting++
				if len(res.Failures) < maxReportedFailures {
					res.Failures = append(res.Failures, fmt.Sprintf("%s %s: waiting: %s", act.Action, act.EmployeeID, r.waiting))
				}
			default:
				res.Applied++
			}
			mu.Lock()
			pr = progress{Done: pr.Done + 1, Result: res}
			mu.Unlock()
			advanced = true
		}
		if advanced {
			beat()
		}
	}
	stop()
	wg.Wait()
	return pr.Result, nil
}

// errSkipped marks an action a page does not apply (held, orphan).
var errSkipped = errors.New("skipped")

// failsPage reports whether an action's failure should fail (and so retry)
// the page: a cancelled activity and every retryable failure do; a permanent
// failure is the employee's alone.
func failsPage(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	return !errors.Is(err, errPermanentDelivery) && !isNonRetryable(err)
}

func isNonRetryable(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.NonRetryable()
}

// errPermanentDelivery marks a delivery that cannot succeed on retry.
var errPermanentDelivery = errors.New("cannot deliver to the entity")

// deliver hands one action to the employee's entity with Update-With-Start
// (starting the entity when it does not run) and waits for the entity's
// verdict: an action the entity could not apply is a permanent failure of
// this employee with the entity's reason.
func (a *Activities) deliver(ctx context.Context, c entityaddr.Updater, t entityaddr.Target, act reconcile.PlanAction) actionResult {
	if c == nil {
		return actionResult{err: fmt.Errorf("%w: no Temporal client on this worker", errPermanentDelivery)}
	}
	wctx, cancel := context.WithTimeout(ctx, entityPassTimeout)
	defer cancel()
	out, err := entityaddr.UpdateWithStart(wctx, c, t, act.EmployeeID,
		entityaddr.ReconcileRequest{Action: act.Action, Source: t.Source, Approved: t.Approved})
	switch {
	case err != nil && ctx.Err() == nil && wctx.Err() != nil:
		return actionResult{err: fmt.Errorf("%w: %s did not finish its pass within %s; it goes on by itself",
			errPermanentDelivery, entityaddr.WorkflowID(act.EmployeeID), entityPassTimeout)}
	case err != nil:
		return actionResult{err: err}
	case out.Waiting:
		return actionResult{waiting: out.Reason}
	case !out.Applied:
		return actionResult{err: fmt.Errorf("%w: %s", errPermanentDelivery, out.Reason)}
	}
	if out.AccountNote != "" {
		a.log().Info("entity brought its account back", "employeeId", act.EmployeeID, "note", out.AccountNote)
	}
	return actionResult{}
}

// applyRepair brings one account's managed entitlements in line with the
// minimal writes.
func (a *Activities) applyRepair(ctx context.Context, act reconcile.PlanAction) error {
	d, err := a.dir()
	if err != nil {
		return err
	}
	if act.ObjectID == "" {
		return permanent("repair "+act.EmployeeID, ErrTypeInvalidInput, errors.New("no account object id"))
	}
	if act.Org != nil && len(act.OrgFields) > 0 {
		if err := d.PatchUser(ctx, act.ObjectID, orgattr.Patch(*act.Org, act.OrgFields)); err != nil {
			return graphError("restore attributes of "+act.ObjectID, err)
		}
	}
	addG, addL, addR := split(act.Add)
	remG, remL, remR := split(act.Remove)
	if len(addG)+len(remG) > 0 {
		ids, err := d.ResolveGroups(ctx, append(slices.Clone(addG), remG...))
		if err != nil {
			return graphError("resolve groups", err)
		}
		for _, g := range addG {
			if err := d.AddGroupMember(ctx, ids[g], act.ObjectID); err != nil {
				return graphError("add "+act.ObjectID+" to group "+g, err)
			}
		}
		for _, g := range remG {
			if err := d.RemoveGroupMember(ctx, ids[g], act.ObjectID); err != nil {
				return graphError("remove "+act.ObjectID+" from group "+g, err)
			}
		}
	}
	if len(addL) > 0 {
		if err := d.AssignLicenses(ctx, act.ObjectID, addL); err != nil {
			return graphError("assign licences to "+act.ObjectID, err)
		}
	}
	if len(remL) > 0 {
		if err := d.RemoveLicenses(ctx, act.ObjectID, remL); err != nil {
			return graphError("remove licences of "+act.ObjectID, err)
		}
	}
	for _, r := range addR {
		if err := d.AssignAppRole(ctx, act.ObjectID, r); err != nil {
			return graphError("assign app role to "+act.ObjectID, err)
		}
	}
	for _, r := range remR {
		if err := d.RemoveAppRole(ctx, act.ObjectID, r); err != nil {
			return graphError("remove app role of "+act.ObjectID, err)
		}
	}
	a.log().Info("drift repaired", "employeeId", act.EmployeeID, "id", act.ObjectID, "added", len(act.Add), "removed", len(act.Remove))
	return nil
}
