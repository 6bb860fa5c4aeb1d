package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/activities"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/lifecycle"
	"github.com/entralifecycle/engine/internal/policy"
)

// EmployeeInput starts (or continues) an employee's entity workflow.
type EmployeeInput struct {
	EmployeeID string `json:"employeeId"`
	// State is carried by continue-as-new; nil for a new entity.
	State *entityState `json:"state,omitempty"`
	// Pending are signals received but not yet applied when the previous run
	// continued as new.
	Pending []HRChanged `json:"pending,omitempty"`
}

// EmployeeResult is the entity's final state, once the account has been
// deleted and the restore window has passed.
type EmployeeResult struct {
	EmployeeID string       `json:"employeeId"`
	Status     EntityStatus `json:"status"`
	ObjectID   string       `json:"objectId,omitempty"`
	DeletedAt  time.Time    `json:"deletedAt,omitzero"`
}

const (
	// maxPassesPerRun bounds a run's history between continue-as-new.
	maxPassesPerRun = 200
	// maxStepsPerPass bounds the child workflows run for one wake-up.
	maxStepsPerPass = 12
	// restoreWindow is how long Entra keeps a deleted account restorable;
	// the entity stays for it so a rehire can restore the account.
	restoreWindow = 30 * 24 * time.Hour
	// retryDelay is when a failed action is tried again without news.
	retryDelay = 24 * time.Hour
	// managerRetryDelay is when a missing manager is looked for again
	// without a signal from the manager's entity.
	managerRetryDelay = 24 * time.Hour
)

// changeAdoptLeaver versions the lookup a new entity of a leaver makes (see
// adoptLeaver). An entity that was already waiting in that situation before
// the lookup existed has no command for it in its history: it keeps the old
// behaviour (nothing) until its next continue-as-new, when its new run looks
// the account up; reconciliation re-plans the exit meanwhile.
const changeAdoptLeaver = "adopt-leaver-account"

// entity is one run of the employee entity workflow.
type entity struct {
	st      *entityState
	pol     *policy.Policy
	pending []HRChanged
	reports []string

	// requestSeq counts update requests; handledSeq is the last one whose
	// effects the main loop has applied.
	requestSeq, handledSeq int
	wake                   bool
	passes                 int
	lastSA                 string
	// lookedUp is set once a pass has looked a leaver's account up
	// (adoptLeaver), so that the pass does it once.
	lookedUp bool
	// verify asks the next pass to check the account against the directory
	// (news arrived: the world may differ from the state); verified is set
	// once a pass has done so.
	verify, verified bool
	// guardCh receives the guard's decisions on a held exit or removal;
	// aheadCh an approved rollout's approval of a coming removal.
	guardCh, aheadCh workflow.ReceiveChannel
	// hrNews is set when the pass's signals brought HR news.
	hrNews bool
	// localReads is set for runs from versionEntityLocalReads on: the policy
	// and a new entity's hire lookup are read as local activities.
	localReads bool
}

// EmployeeEntity is the employee entity workflow (ID employee/<employeeId>).
// It serialises everything that happens to one person: on every HR change,
// replacement request and due timer it compares the employee's HR record
// (viewed at the current moment in the policy's time zone) with what the
// account reflects, and runs the matching child workflow — Hire, Activate,
// Move, Rename, Replace, Exit, Delete — one at a time. Future-dated changes
// wait on a durable timer to their moment; a later HR change re-plans them,
// because the plan is always recomputed from the latest record.
func EmployeeEntity(ctx workflow.Context, in EmployeeInput) (EmployeeResult, error) {
	e := &entity{st: in.State, pending: in.Pending}
	if e.st == nil {
		e.st = &entityState{EmployeeID: in.EmployeeID, Status: StatusNew}
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (entityState, error) { return *e.st, nil }); err != nil {
		return EmployeeResult{}, err
	}
	if err := e.registerUpdates(ctx); err != nil {
		return EmployeeResult{}, err
	}
	hrCh := workflow.GetSignalChannel(ctx, SignalHRChanged)
	repCh := workflow.GetSignalChannel(ctx, SignalReportWaiting)
	e.guardCh = workflow.GetSignalChannel(ctx, SignalGuardDecision)
	e.aheadCh = workflow.GetSignalChannel(ctx, SignalRemovalApproval)
	logger := workflow.GetLogger(ctx)

	e.localReads = workflow.GetVersion(ctx, versionEntityLocalReads, workflow.DefaultVersion, 1) == 1
	if err := e.loadPolicy(ctx); err != nil {
		return EmployeeResult{}, err
	}
	for {
		// Requests that arrive while the pass runs (an update handler runs
		// whenever the pass waits on an activity or child) are left for the
		// next pass, which the wake flag then starts at once.
		seq := e.requestSeq
		e.drain(hrCh, repCh)
		if err := e.applySignals(ctx); err != nil {
			return EmployeeResult{}, err
		}
		e.act(ctx)
		e.handledSeq = seq
		e.wake = e.requestSeq > e.handledSeq
		e.passes++
		now := workflow.Now(ctx)
		e.st.Timers = e.timers(now)
		e.upsertSearchAttributes(ctx)

		if e.st.Status == StatusDeleted && e.st.DeletedAt != nil && !now.Before(e.st.DeletedAt.Add(restoreWindow)) &&
			hrCh.Len() == 0 && repCh.Len() == 0 && e.guardCh.Len() == 0 && e.aheadCh.Len() == 0 && e.requestSeq == e.handledSeq {
			logger.Info("employee entity complete", "employeeId", e.st.EmployeeID)
			return EmployeeResult{EmployeeID: e.st.EmployeeID, Status: e.st.Status, ObjectID: e.st.ObjectID, DeletedAt: *e.st.DeletedAt}, nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() || e.passes >= maxPassesPerRun {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return EmployeeResult{}, err
			}
			e.drain(hrCh, repCh)
			for _, r := range e.reports {
				e.addWaitingReport(r)
			}
			return EmployeeResult{}, workflow.NewContinueAsNewError(ctx, EmployeeWorkflowName, EmployeeInput{
				EmployeeID: e.st.EmployeeID, State: e.st, Pending: e.pending,
			})
		}
		cond := func() bool {
			return hrCh.Len() > 0 || repCh.Len() > 0 || e.guardCh.Len() > 0 || e.aheadCh.Len() > 0 || e.wake
		}
		var err error
		if next := nextTimer(e.st.Timers, now); next.IsZero() {
			err = workflow.Await(ctx, cond)
		} else {
			_, err = workflow.AwaitWithTimeout(ctx, next.Sub(now), cond)
		}
		if err != nil {
			return EmployeeResult{}, err
		}
	}
}

// drain moves received signals into the entity.
func (e *entity) drain(hrCh, repCh workflow.ReceiveChannel) {
	for {
		var s HRChanged
		if !hrCh.ReceiveAsync(&s) {
			break
		}
		e.pending = append(e.pending, s)
	}
	for {
		var r ReportWaiting
		if !repCh.ReceiveAsync(&r) {
			break
		}
		e.reports = append(e.reports, r.EmployeeID)
	}
	if e.guardCh == nil {
		return
	}
	for {
		var d GuardDecision
		if !e.guardCh.ReceiveAsync(&d) {
			break
		}
		e.receiveGuardDecision(d)
	}
	for e.aheadCh != nil {
		var d GuardDecision
		if !e.aheadCh.ReceiveAsync(&d) {
			break
		}
		if d.Ahead != nil { // only an approval ahead is taken from this channel
			e.receiveGuardDecision(d)
		}
	}
}

// loadPolicy reads the current policy.
func (e *entity) loadPolicy(ctx workflow.Context) error {
	var snap activities.PolicySnapshot
	f := func() workflow.Future { return workflow.ExecuteActivity(hrReads(ctx), a.LoadPolicy) }
	if e.localReads {
		f = func() workflow.Future { return workflow.ExecuteLocalActivity(localReads(ctx, time.Hour), a.LoadPolicy) }
	}
	if err := f().Get(ctx, &snap); err != nil {
		return fmt.Errorf("load the policy: %w", err)
	}
	e.pol = &snap.Policy
	e.st.PolicyHash = snap.Hash
	return nil
}

// applySignals applies the received HR changes: an inline record replaces
// the known one, a notification re-reads the employee, a policy change
// reloads the policy. Any news lifts a block left by a failure.
func (e *entity) applySignals(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	for _, r := range e.reports {
		e.addWaitingReport(r)
	}
	e.reports = nil
	if e.st.hasAccount() {
		e.notifyWaitingReports(ctx)
	}

	needRead := e.st.Employee == nil
	reloadPolicy := false
	news := false
	for _, s := range e.pending {
		if s.Reason != ReasonPolicyChanged {
			// Any news may mean the directory changed behind the entity's back.
			e.verify = true
		}
		switch {
		case s.Reason == ReasonPolicyChanged:
			reloadPolicy = true
		case s.Reason == ReasonManagerReady:
			if e.st.ManagerPending {
				e.st.ManagerRetryAt = ptrTime(now)
			}
		case s.Employee != nil:
			if s.Employee.EmployeeID != e.st.EmployeeID {
				e.st.HRNote = fmt.Sprintf("ignored a record for employee %q sent to this entity", s.Employee.EmployeeID)
				continue
			}
			emp := s.Employee.Clone()
			e.st.Employee = &emp
			e.st.HRNote = ""
			needRead = false
			news = true
		default:
			needRead = true
			news = true
		}
	}
	e.pending = nil
	if news || reloadPolicy {
		e.st.Blocked, e.st.RetryAt = false, nil
	}
	// A rejected exit stands until HR changes the leave moment
	// (exitPermitted); histories from before that asked again on any news.
	e.hrNews = news
	if reloadPolicy {
		if err := e.loadPolicy(ctx); err != nil {
			return err
		}
	}
	if !needRead {
		return nil
	}
	var rec activities.EmployeeRecord
	read := func() workflow.Future { return workflow.ExecuteActivity(hrReads(ctx), a.ReadEmployee, e.st.EmployeeID) }
	if e.localReads {
		read = func() workflow.Future {
			return workflow.ExecuteLocalActivity(localReads(ctx, time.Hour), a.ReadEmployee, e.st.EmployeeID)
		}
	}
	if err := read().Get(ctx, &rec); err != nil {
		e.st.LastError = reason("read the employee from HR", err)
		return nil
	}
	switch {
	case !rec.Found:
		e.st.HRNote = "the HR source does not know this employee; nothing was changed"
	case rec.Rejected != "":
		e.st.HRNote = "the HR record was rejected: " + rec.Rejected
	default:
		emp := rec.Employee
		e.st.Employee = &emp
		e.st.HRNote = ""
	}
	return nil
}

func (e *entity) addWaitingReport(id string) {
	if id != "" && !slices.Contains(e.st.WaitingReports, id) {
		e.st.WaitingReports = append(e.st.WaitingReports, id)
	}
}

// notifyWaitingReports tells the reports waiting for this account that it
// exists, so they link their manager now.
func (e *entity) notifyWaitingReports(ctx workflow.Context) {
	for _, id := range e.st.WaitingReports {
		f := workflow.SignalExternalWorkflow(ctx, EmployeeWorkflowID(id), "", SignalHRChanged,
			HRChanged{Reason: ReasonManagerReady, Source: EmployeeWorkflowID(e.st.EmployeeID)})
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not tell a report that the manager's account exists", "report", id, "error", err)
		}
	}
	e.st.WaitingReports = nil
}

// announceWaiting tells the manager's entity that this report waits for the
// manager's account. When the manager has no entity yet the daily retry
// finds the account instead.
func (e *entity) announceWaiting(ctx workflow.Context, managerEmployeeID string) {
	f := workflow.SignalExternalWorkflow(ctx, EmployeeWorkflowID(managerEmployeeID), "", SignalReportWaiting,
		ReportWaiting{EmployeeID: e.st.EmployeeID})
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Info("manager has no entity workflow yet; will look again", "manager", managerEmployeeID)
	}
}

// act runs the due actions one at a time until nothing is due.
func (e *entity) act(ctx workflow.Context) {
	e.lookedUp, e.verified = false, false
	defer func() { e.verify = false }()
	for i := 0; i < maxStepsPerPass; i++ {
		if e.st.Employee == nil || e.pol == nil {
			return
		}
		now := workflow.Now(ctx)
		if e.st.Blocked {
			if e.st.RetryAt == nil || now.Before(*e.st.RetryAt) {
				return
			}
			e.st.Blocked, e.st.RetryAt = false, nil
		}
		if e.verify && !e.verified && e.st.hasAccount() {
			e.verify, e.verified = false, true
			if _, err := e.verifyAccount(ctx, now); err != nil {
				if ctx.Err() != nil {
					return
				}
				e.st.LastError = err.Error()
				e.st.Blocked = true
				e.st.RetryAt = ptrTime(now.Add(retryDelay))
				return
			}
		}
		ran, err := e.step(ctx, now)
		if err != nil {
			var canceled *temporal.CanceledError
			if errors.As(err, &canceled) || ctx.Err() != nil {
				return
			}
			// A child that finds the account gone (404 on its object id)
			// makes the entity check the directory and bring it back.
			if objectNotFound(err) && !e.verified && e.st.hasAccount() &&
				workflow.GetVersion(ctx, changeVerifyAccount, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
				e.st.LastError = err.Error()
				e.verify = true
				continue
			}
			e.st.LastError = err.Error()
			e.st.Blocked = true
			e.st.RetryAt = ptrTime(now.Add(retryDelay))
			return
		}
		if !ran {
			return
		}
	}
}

// step decides what is due now and runs it; false when nothing is.
func (e *entity) step(ctx workflow.Context, now time.Time) (bool, error) {
	st, p := e.st, e.pol
	m := momentsOf(st.Employee, p, now)
	if st.Guard != nil && (m.employed || m.upcoming) {
		e.releaseHeldExit(ctx)
	}
	// What is due is the lifecycle rules' answer, the one the
	// reconciliation planner gives too (internal/lifecycle).
	switch st.decide(m, p, now).Action {
	case lifecycle.Forget:
		// A leaver's account that vanished: it is gone, which is what an
		// exit would lead to; nothing to restore.
		st.Status, st.DeletedAt = StatusDeleted, ptrTime(now)
		if st.LeftAt == nil {
			st.LeftAt = ptrTime(now)
		}
		return false, nil
	case lifecycle.HireEnabled, lifecycle.Rehire:
		return true, e.hire(ctx, m, now, true)
	case lifecycle.Activate:
		return true, e.activate(ctx, now)
	case lifecycle.HireDisabled, lifecycle.RehireDisabled:
		return true, e.hire(ctx, m, now, false)
	case lifecycle.Exit:
		if !st.hasAccount() {
			break // a status without an object id: nothing to disable
		}
		if ok, err := e.exitPermitted(ctx, m, now); !ok || err != nil {
			return false, err
		}
		return true, e.exit(ctx, m, now)
	case lifecycle.FindLeaver:
		// Only a new entity looks (a failed hire does not), once a pass.
		if st.Status == StatusNew && !e.lookedUp {
			return e.adoptLeaver(ctx, m, now)
		}
	case lifecycle.Delete:
		return true, e.delete(ctx, now)
	}
	if !st.hasAccount() {
		return false, nil
	}
	for i := range st.Replacements {
		r := &st.Replacements[i]
		ended := !r.End.IsZero() && !now.Before(r.End)
		switch {
		case r.State == ReplacementScheduled && ended:
			r.State = ReplacementEnded
		case r.State == ReplacementScheduled && !now.Before(r.Start):
			return true, e.replaceStart(ctx, r, now)
		case r.State == ReplacementActive && ended:
			return true, e.replaceEnd(ctx, r, now)
		}
	}
	if ran, err := e.maybeRename(ctx, now); ran || err != nil {
		return ran, err
	}
	return e.maybeMove(ctx, m, now)
}

// child runs one child workflow for a lifecycle event.
func (e *entity) child(ctx workflow.Context, name, event string, in, out any) error {
	e.st.Events++
	id := fmt.Sprintf("%s/%s/%d", EmployeeWorkflowID(e.st.EmployeeID), event, e.st.Events)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: id,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			EmployeeIDKey.ValueSet(e.st.EmployeeID), LifecycleEventKey.ValueSet(event)),
	})
	now := workflow.Now(ctx)
	e.st.LastEvent, e.st.LastEventAt = event, &now
	if err := workflow.ExecuteChildWorkflow(cctx, name, in).Get(cctx, out); err != nil {
		return fmt.Errorf("%s (%s): %w", event, id, err)
	}
	e.st.LastError = ""
	return nil
}

// versionHireIsTheCheck marks the change that counts a successful hire as the pass's check
// of the account against the directory (no VerifyAccount right after it).
const versionHireIsTheCheck = "hire-is-the-check"

func (e *entity) hire(ctx workflow.Context, m moments, now time.Time, enable bool) error {
	st, p := e.st, e.pol
	event := EventHire
	missing := st.Status == StatusAccountMissing
	switch {
	case st.Status == StatusLeft || st.Status == StatusDeleted:
		event = EventRehire
	case missing:
		event = EventRecreate
	}
	v := m.view
	roles := roleEntries(p, v)
	in := HireInput{
		EmployeeID: st.EmployeeID, KnownObjectID: st.ObjectID,
		Person: personOf(*st.Employee), Naming: p.Naming, Domain: p.Tenant.Domain,
		Spec: specOf(st.EmployeeID, v, p, m.start), ManagerEmployeeID: v.ManagerEmployeeID,
		Entitlements: distinct(roles), Sources: sourcesOf(roles), Enable: enable, TemporaryAccessPass: enable && p.Lifecycle.TemporaryAccessPass,
	}
	look := e.lookUpForHire(ctx, in)
	res, adopted := adoptedInPlace(in, look)
	if adopted {
		// The account is in line: nothing to write, so no Hire child; the lookup
		// that found it is the check against the directory.
		st.LastEvent, st.LastEventAt, st.LastError = EventAdopt, &now, ""
		workflow.GetLogger(ctx).Info("account already in line: adopted", "employeeId", st.EmployeeID, "objectId", res.Account.ObjectID)
		recordAdoption(ctx, in, res.Account.ObjectID, in.Entitlements, EventAdopt)
	} else {
		in.Looked = look
		if err := e.child(ctx, HireWorkflowName, event, in, &res); err != nil {
			return err
		}
	}
	if res.Account.ObjectID != "" {
		st.ObjectID = res.Account.ObjectID
	}
	if missing && !res.Failed {
		e.recreated(res.Account, now)
	}
	st.Warnings = res.Warnings
	if res.Failed {
		st.Status = StatusFailed
		st.LastError = res.Reason
		st.Blocked, st.RetryAt = true, ptrTime(now.Add(retryDelay))
		return nil
	}
	st.UPN = res.Names.UPN
	st.Names = &res.Names
	st.AddressAdopted = res.AddressAdopted
	st.AppliedView = &v
	st.Entitlements = roles
	st.ManagerEmployeeID, st.ManagerObjectID = v.ManagerEmployeeID, res.ManagerObjectID
	e.managerOutcome(ctx, res.ManagerPending, now)
	st.HiredAt, st.LeftAt, st.DeletedAt = ptrTime(now), nil, nil
	if adopted {
		e.verify, st.VerifiedAt = false, ptrTime(now)
	} else if e.verify && workflow.GetVersion(ctx, versionHireIsTheCheck, workflow.DefaultVersion, 1) == 1 {
		// The hire has just found or made the account by employee id: checking it against
		// the directory again in this pass would read what the hire read.
		e.verify, st.VerifiedAt = false, ptrTime(now)
	}
	if enable {
		st.Status, st.ActivatedAt, st.Pass = StatusActive, ptrTime(now), res.Pass
	} else {
		st.Status, st.ActivatedAt, st.Pass = StatusPreHire, nil, nil
	}
	e.notifyWaitingReports(ctx)
	return nil
}

// managerOutcome records whether the manager link waits for the manager.
func (e *entity) managerOutcome(ctx workflow.Context, pending bool, now time.Time) {
	e.st.ManagerPending = pending
	if !pending {
		e.st.ManagerRetryAt = nil
		return
	}
	e.st.ManagerRetryAt = ptrTime(now.Add(managerRetryDelay))
	e.announceWaiting(ctx, e.st.ManagerEmployeeID)
}

func (e *entity) activate(ctx workflow.Context, now time.Time) error {
	st := e.st
	displayName := ""
	if st.Names != nil {
		displayName = st.Names.DisplayName
	}
	var res ActivateResult
	if err := e.child(ctx, ActivateWorkflowName, EventActivate, ActivateInput{
		EmployeeID: st.EmployeeID, ObjectID: st.ObjectID, DisplayName: displayName, UPN: st.UPN,
		ManagerObjectID: st.ManagerObjectID, TemporaryAccessPass: e.pol.Lifecycle.TemporaryAccessPass,
	}, &res); err != nil {
		return err
	}
	st.Status, st.ActivatedAt, st.Pass = StatusActive, ptrTime(now), res.Pass
	return nil
}

func (e *entity) exit(ctx workflow.Context, m moments, now time.Time) error {
	st, p := e.st, e.pol
	leaveAt := m.leave
	if leaveAt.IsZero() || leaveAt.After(now) {
		leaveAt = now
	}
	in := ExitInput{
		EmployeeID: st.EmployeeID, ObjectID: st.ObjectID, LeaveAt: leaveAt,
		ManagerObjectID: st.ManagerObjectID, Managed: p.Managed(),
	}
	switch names, err := p.Names(personOf(*st.Employee)); {
	case st.Names != nil:
		in.DisplayName = st.Names.DisplayName
	case err == nil:
		in.DisplayName = names.DisplayName // an adopted account (adoptLeaver)
	default:
		in.DisplayName = st.UPN
	}
	if d := p.Lifecycle.DeleteAfterDays; d > 0 {
		in.DeleteAt = now.AddDate(0, 0, d)
	}
	var res ExitResult
	if err := e.child(ctx, ExitWorkflowName, EventExit, in, &res); err != nil {
		return err
	}
	v := m.view
	st.Status, st.LeftAt, st.AppliedView = StatusLeft, ptrTime(now), &v
	st.Entitlements = nil
	st.Guard, st.PreApproved = nil, ""
	e.dropRemovalGuard(ctx)
	st.ManagerPending, st.ManagerRetryAt = false, nil
	for i := range st.Replacements {
		r := &st.Replacements[i]
		if r.State != ReplacementEnded {
			r.State = ReplacementEnded
			if r.End.IsZero() || r.End.After(now) {
				r.End = now
			}
		}
	}
	return nil
}

// adoptLeaver handles a new entity (no account in its state) whose employee
// has already left: the engine was adopted on a tenant that already has
// accounts, or the entity's state was lost, and reconciliation found the
// leaver's account still enabled. It looks the account up by employee id;
// when an enabled one exists the entity adopts it and runs the Exit for it
// (disable, revoke sessions, remove managed access, set
// employeeLeaveDateTime, notify the manager HR names, and delete after the
// retention period). No account, or a disabled one, needs nothing: a
// disabled account is left as it is (the engine did not disable it, so it
// does not schedule its deletion either). The lookup is made once per pass.
func (e *entity) adoptLeaver(ctx workflow.Context, m moments, now time.Time) (bool, error) {
	e.lookedUp = true
	if workflow.GetVersion(ctx, changeAdoptLeaver, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, nil
	}
	st := e.st
	logger := workflow.GetLogger(ctx)
	var acc activities.Account
	if err := workflow.ExecuteActivity(graphReads(ctx), a.FindAccount, activities.FindAccountInput{EmployeeID: st.EmployeeID}).Get(ctx, &acc); err != nil {
		return false, fmt.Errorf("find the account of a leaver: %w", err)
	}
	if !acc.Found || !acc.Enabled {
		logger.Info("leaver without an enabled account: nothing to do", "employeeId", st.EmployeeID, "found", acc.Found, "objectId", acc.ObjectID)
		return false, nil
	}
	if mgr := m.view.ManagerEmployeeID; mgr != "" && mgr != st.EmployeeID {
		var macc activities.Account
		if err := workflow.ExecuteActivity(graphReads(ctx), a.FindAccount, activities.FindAccountInput{EmployeeID: mgr}).Get(ctx, &macc); err != nil {
			logger.Warn("could not look the manager up for the exit notice", "manager", mgr, "error", err)
		} else if macc.Found && macc.Enabled {
			st.ManagerEmployeeID, st.ManagerObjectID = mgr, macc.ObjectID
		}
	}
	logger.Info("adopting the enabled account of a leaver to end its access", "employeeId", st.EmployeeID, "objectId", acc.ObjectID)
	st.ObjectID, st.UPN, st.Status = acc.ObjectID, acc.UPN, StatusActive
	if ok, err := e.exitPermitted(ctx, m, now); !ok || err != nil {
		return false, err
	}
	return true, e.exit(ctx, m, now)
}

func (e *entity) delete(ctx workflow.Context, now time.Time) error {
	if err := e.child(ctx, DeleteWorkflowName, EventDelete, DeleteInput{EmployeeID: e.st.EmployeeID, ObjectID: e.st.ObjectID}, nil); err != nil {
		return err
	}
	e.st.Status, e.st.DeletedAt = StatusDeleted, ptrTime(now)
	return nil
}

func replacementSource(id string) string { return "replacement:" + id }

func (e *entity) replaceStart(ctx workflow.Context, r *ReplacementStatus, now time.Time) error {
	st := e.st
	var roles activities.RoleEntitlementsResult
	if err := workflow.ExecuteActivity(hrReads(ctx), a.RoleEntitlements, activities.RoleEntitlementsInput{
		EmployeeID: r.ReplacedEmployeeID, At: now,
	}).Get(ctx, &roles); err != nil {
		return fmt.Errorf("entitlements of replaced employee %s: %w", r.ReplacedEmployeeID, err)
	}
	if !roles.Found || !roles.Active {
		r.State, r.Error = ReplacementEnded, fmt.Sprintf("employee %s is not active in HR: nothing to take over", r.ReplacedEmployeeID)
		return nil
	}
	var until *time.Time
	if !r.End.IsZero() {
		until = ptrTime(r.End)
	}
	next := slices.Clone(st.Entitlements)
	have := map[string]bool{}
	for _, h := range next {
		have[entryKey(h)] = true
	}
	var mine []heldEntitlement
	for _, g := range roles.Grants {
		h := heldEntitlement{Entitlement: g.Entitlement, Source: replacementSource(r.ID), Until: until}
		if !have[entryKey(h)] {
			have[entryKey(h)] = true
			mine = append(mine, h)
		}
	}
	next = append(next, mine...)
	sortHeld(next)
	grant, _ := heldDiff(st.Entitlements, next)
	if err := e.child(ctx, ReplaceWorkflowName, EventReplace, ReplaceInput{
		EmployeeID: st.EmployeeID, ObjectID: st.ObjectID, ReplacementID: r.ID, Grant: grant,
	}, nil); err != nil {
		return err
	}
	st.Entitlements = next
	r.State, r.Entitlements, r.Error = ReplacementActive, distinct(mine), ""
	return nil
}

func (e *entity) replaceEnd(ctx workflow.Context, r *ReplacementStatus, now time.Time) error {
	st := e.st
	src := replacementSource(r.ID)
	var next []heldEntitlement
	for _, h := range st.Entitlements {
		if h.Source != src {
			next = append(next, h)
		}
	}
	_, revoke := heldDiff(st.Entitlements, next)
	if err := e.child(ctx, ReplaceWorkflowName, EventReplace, ReplaceInput{
		EmployeeID: st.EmployeeID, ObjectID: st.ObjectID, ReplacementID: r.ID, Revoke: revoke,
	}, nil); err != nil {
		return err
	}
	st.Entitlements = next
	r.State = ReplacementEnded
	if r.End.IsZero() || r.End.After(now) {
		r.End = now
	}
	return nil
}

func (e *entity) maybeRename(ctx workflow.Context, now time.Time) (bool, error) {
	st, p := e.st, e.pol
	person := personOf(*st.Employee)
	want, err := p.Names(person)
	if err != nil {
		st.HRNote = "names: " + err.Error()
		return false, nil
	}
	variant, err := p.Naming.IsVariant(person, p.Tenant.Domain, st.UPN)
	if err != nil {
		return false, nil
	}
	cur := st.Names
	differs := cur == nil || cur.GivenName != want.GivenName || cur.Surname != want.Surname || cur.DisplayName != want.DisplayName
	// An adopted account keeps the addresses people sign in with until the person's names
	// change; one the engine named follows the template.
	newAddress := st.UPN != "" && !variant && (differs || !st.AddressAdopted)
	if !differs && !newAddress {
		return false, nil
	}
	var res RenameResult
	if err := e.child(ctx, RenameWorkflowName, EventRename, RenameInput{
		EmployeeID: st.EmployeeID, ObjectID: st.ObjectID, Person: person, Naming: p.Naming, Domain: p.Tenant.Domain,
		CurrentUPN: st.UPN, NewAddress: newAddress,
	}, &res); err != nil {
		return true, err
	}
	st.Names = &res.Names
	st.UPN = res.Names.UPN
	if newAddress {
		st.AddressAdopted = false
	}
	return true, nil
}

func (e *entity) maybeMove(ctx workflow.Context, m moments, now time.Time) (bool, error) {
	st, p := e.st, e.pol
	v := m.view
	old := v
	if st.AppliedView != nil {
		old = *st.AppliedView
	}
	fields := orgFieldsChanged(old, v)
	managerChanged := v.ManagerEmployeeID != st.ManagerEmployeeID
	managerRetry := st.ManagerPending && st.ManagerRetryAt != nil && !now.Before(*st.ManagerRetryAt)
	transfer := !strings.EqualFold(old.Department, v.Department)
	var grace *time.Time
	if transfer && p.Lifecycle.TransferGraceDays > 0 {
		grace = ptrTime(now.AddDate(0, 0, p.Lifecycle.TransferGraceDays))
	}
	roles := roleEntries(p, v)
	next, grant, revoke := retarget(p, st.Entitlements, roles, now, grace)
	removalApproved := false
	switch {
	case len(revoke) > 0:
		// A removal of managed access asks the tenant-wide guard; while it
		// is held (or after it was rejected) the access stays, and the rest
		// of the move (attributes, manager, grants) goes ahead.
		ok, err := e.removalPermitted(ctx, removalRef(revoke, roles), revoke, now)
		if err != nil {
			return true, err
		}
		if !ok {
			next, revoke = keepRevoked(st.Entitlements, next, revoke), nil
		}
		removalApproved = ok && st.RemovalGuard != nil
	case st.RemovalGuard != nil:
		e.dropRemovalGuard(ctx) // nothing to remove any more
	}
	entChanged := heldSignature(next) != heldSignature(st.Entitlements)
	if len(fields) == 0 && !managerChanged && !managerRetry && !entChanged {
		return false, nil
	}
	in := MoveInput{
		EmployeeID: st.EmployeeID, ObjectID: st.ObjectID, Reason: moveReason(old, v, fields, managerChanged || managerRetry, entChanged),
		Spec: specOf(st.EmployeeID, v, p, m.start), Fields: fields,
		LinkManager: managerChanged || managerRetry, ManagerEmployeeID: v.ManagerEmployeeID,
		Grant: grant, Revoke: revoke, Sources: sourcesOf(next, st.Entitlements),
	}
	var res MoveResult
	if err := e.child(ctx, MoveWorkflowName, EventMove, in, &res); err != nil {
		return true, err
	}
	st.AppliedView = &v
	st.Entitlements = next
	if removalApproved {
		st.RemovalGuard = nil // the approved removal is done
	}
	if in.LinkManager {
		st.ManagerEmployeeID, st.ManagerObjectID = v.ManagerEmployeeID, res.ManagerObjectID
		e.managerOutcome(ctx, res.ManagerPending, now)
		if !res.ManagerPending && res.ManagerObjectID != "" {
			e.latePass(ctx, now)
		}
	}
	return true, nil
}

func moveReason(old, cur hr.View, fields []string, manager, entitlements bool) string {
	switch {
	case !strings.EqualFold(old.Department, cur.Department):
		return "transfer"
	case old.JobCode != cur.JobCode || old.JobTitle != cur.JobTitle:
		return "promotion"
	case len(fields) > 0:
		return "attributes"
	case manager:
		return "manager"
	case entitlements:
		return "entitlements"
	}
	return "sync"
}

func heldSignature(hs []heldEntitlement) string {
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		u := ""
		if h.Until != nil {
			u = h.Until.UTC().Format(time.RFC3339)
		}
		parts = append(parts, entryKey(h)+"\x00"+u)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x01")
}
