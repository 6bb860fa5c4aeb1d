package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/entralifecycle/engine/internal/lifecycle"
)

// registerUpdates installs the replacement updates. Each validates its
// request before it is accepted, records it, wakes the main loop and answers
// once the loop has acted on it, with the replacement's status then.
func (e *entity) registerUpdates(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReplace, e.replace, workflow.UpdateHandlerOptions{
		Validator: e.validateReplace,
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateExtend, e.extend, workflow.UpdateHandlerOptions{
		Validator: e.validateExtend,
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateEndReplacement, e.endReplacement, workflow.UpdateHandlerOptions{
		Validator: e.validateEnd,
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandler(ctx, UpdateReconcile, e.reconcileUpdate)
}

// syntaxLoc is used to check moments before the policy's zone is known.
var syntaxLoc = time.UTC

func (e *entity) validateReplace(req ReplaceRequest) error {
	var errs []error
	if strings.TrimSpace(req.ReplacementID) == "" {
		errs = append(errs, errors.New("replacementId is required"))
	}
	switch strings.TrimSpace(req.ReplacedEmployeeID) {
	case "":
		errs = append(errs, errors.New("replacedEmployeeId is required"))
	case e.st.EmployeeID:
		errs = append(errs, errors.New("an employee cannot replace themselves"))
	}
	var from, until time.Time
	var err error
	if req.From != "" {
		if from, err = parseMoment(req.From, syntaxLoc, false); err != nil {
			errs = append(errs, fmt.Errorf("from: %w", err))
		}
	}
	if req.Until != "" {
		if until, err = parseMoment(req.Until, syntaxLoc, true); err != nil {
			errs = append(errs, fmt.Errorf("until: %w", err))
		}
	}
	if !from.IsZero() && !until.IsZero() && !until.After(from) {
		errs = append(errs, errors.New("until must be after from"))
	}
	if r := e.replacement(req.ReplacementID); r != nil && r.ReplacedEmployeeID != req.ReplacedEmployeeID {
		errs = append(errs, fmt.Errorf("replacement %s exists for employee %s", r.ID, r.ReplacedEmployeeID))
	}
	if e.st.Status == StatusLeft || e.st.Status == StatusDeleted {
		errs = append(errs, fmt.Errorf("employee %s has left and cannot substitute", e.st.EmployeeID))
	}
	return errors.Join(errs...)
}

func (e *entity) replace(ctx workflow.Context, req ReplaceRequest) (ReplacementStatus, error) {
	if err := workflow.Await(ctx, func() bool { return e.pol != nil }); err != nil {
		return ReplacementStatus{}, err
	}
	if r := e.replacement(req.ReplacementID); r != nil {
		return *r, nil // a repeated request: the replacement is already planned
	}
	loc := e.pol.Location()
	now := workflow.Now(ctx)
	start := now
	if req.From != "" {
		start, _ = parseMoment(req.From, loc, false)
	}
	var end time.Time
	if req.Until != "" {
		end, _ = parseMoment(req.Until, loc, true)
	}
	e.st.Replacements = append(e.st.Replacements, ReplacementStatus{
		ID: req.ReplacementID, ReplacedEmployeeID: req.ReplacedEmployeeID, Start: start, End: end, State: ReplacementScheduled,
	})
	return e.waitApplied(ctx, req.ReplacementID)
}

func (e *entity) validateExtend(req ExtendRequest) error {
	r := e.replacement(req.ReplacementID)
	switch {
	case r == nil:
		return fmt.Errorf("no replacement %q", req.ReplacementID)
	case r.State == ReplacementEnded:
		return fmt.Errorf("replacement %s has ended", r.ID)
	case req.Until == "":
		return errors.New("until is required")
	}
	until, err := parseMoment(req.Until, syntaxLoc, true)
	if err != nil {
		return fmt.Errorf("until: %w", err)
	}
	if !until.After(r.Start) {
		return errors.New("until must be after the replacement's start")
	}
	return nil
}

func (e *entity) extend(ctx workflow.Context, req ExtendRequest) (ReplacementStatus, error) {
	if err := workflow.Await(ctx, func() bool { return e.pol != nil }); err != nil {
		return ReplacementStatus{}, err
	}
	r := e.replacement(req.ReplacementID)
	if r == nil || r.State == ReplacementEnded {
		return ReplacementStatus{}, temporal.NewApplicationError("replacement "+req.ReplacementID+" is not running", ErrTypeReplacementNotRunning)
	}
	until, _ := parseMoment(req.Until, e.pol.Location(), true)
	r.End = until
	e.setReplacementUntil(r.ID, until)
	return e.waitApplied(ctx, req.ReplacementID)
}

func (e *entity) validateEnd(req EndReplacementRequest) error {
	r := e.replacement(req.ReplacementID)
	switch {
	case r == nil:
		return fmt.Errorf("no replacement %q", req.ReplacementID)
	case r.State == ReplacementEnded:
		return fmt.Errorf("replacement %s has ended", r.ID)
	}
	if req.At != "" {
		if _, err := parseMoment(req.At, syntaxLoc, false); err != nil {
			return fmt.Errorf("at: %w", err)
		}
	}
	return nil
}

func (e *entity) endReplacement(ctx workflow.Context, req EndReplacementRequest) (ReplacementStatus, error) {
	if err := workflow.Await(ctx, func() bool { return e.pol != nil }); err != nil {
		return ReplacementStatus{}, err
	}
	r := e.replacement(req.ReplacementID)
	if r == nil || r.State == ReplacementEnded {
		return ReplacementStatus{}, temporal.NewApplicationError("replacement "+req.ReplacementID+" is not running", ErrTypeReplacementNotRunning)
	}
	at := workflow.Now(ctx)
	if req.At != "" {
		at, _ = parseMoment(req.At, e.pol.Location(), false)
	}
	if r.End.IsZero() || at.Before(r.End) {
		r.End = at
		e.setReplacementUntil(r.ID, at)
	}
	return e.waitApplied(ctx, req.ReplacementID)
}

// setReplacementUntil moves the expiry of a replacement's held entitlements.
func (e *entity) setReplacementUntil(id string, until time.Time) {
	src := replacementSource(id)
	for i := range e.st.Entitlements {
		if e.st.Entitlements[i].Source == src {
			e.st.Entitlements[i].Until = ptrTime(until)
		}
	}
}

// waitApplied wakes the main loop and waits until it has acted on this
// request, then answers with the replacement's status.
func (e *entity) waitApplied(ctx workflow.Context, id string) (ReplacementStatus, error) {
	e.requestSeq++
	seq := e.requestSeq
	e.wake = true
	e.st.Blocked, e.st.RetryAt = false, nil
	if err := workflow.Await(ctx, func() bool { return e.handledSeq >= seq }); err != nil {
		return ReplacementStatus{}, err
	}
	if r := e.replacement(id); r != nil {
		return *r, nil
	}
	return ReplacementStatus{}, fmt.Errorf("replacement %s vanished", id)
}

func (e *entity) replacement(id string) *ReplacementStatus {
	for i := range e.st.Replacements {
		if e.st.Replacements[i].ID == id {
			return &e.st.Replacements[i]
		}
	}
	return nil
}

// timers lists the future moments the entity will act at, soonest first.
func (e *entity) timers(now time.Time) []pendingTimer {
	st, p := e.st, e.pol
	var out []pendingTimer
	add := func(what string, at time.Time) {
		if at.After(now) {
			out = append(out, pendingTimer{What: what, At: at})
		}
	}
	if st.Blocked && st.RetryAt != nil {
		add("retry after failure", *st.RetryAt)
	}
	if st.ManagerPending && st.ManagerRetryAt != nil {
		add("look for manager "+st.ManagerEmployeeID, *st.ManagerRetryAt)
	}
	if st.Status == StatusDeleted && st.DeletedAt != nil {
		add("end of the restore window", st.DeletedAt.Add(restoreWindow))
	}
	if st.Employee != nil && p != nil {
		// The lifecycle moments (create, start, leave, dated HR changes,
		// deletion) are the lifecycle rules' own timers.
		acct := st.account()
		if acct.Has() && !st.hasAccount() {
			acct.State = lifecycle.NoAccount // a status without an object id
		}
		for _, t := range lifecycle.Due(st.Employee, p, acct, now).Timers {
			add(t.What, t.At)
		}
	}
	for _, h := range st.Entitlements {
		if h.Until != nil && !strings.HasPrefix(h.Source, "replacement:") {
			add("end of grace: "+h.String()+" ("+h.Source+")", *h.Until)
		}
	}
	for _, r := range st.Replacements {
		if r.State == ReplacementScheduled {
			add("replacement "+r.ID+" starts", r.Start)
		}
		if r.State != ReplacementEnded && !r.End.IsZero() {
			add("replacement "+r.ID+" ends", r.End)
		}
	}
	slices.SortStableFunc(out, func(x, y pendingTimer) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return strings.Compare(x.What, y.What)
	})
	return out
}

// nextTimer is the soonest timer after now, zero when there is none.
func nextTimer(ts []pendingTimer, now time.Time) time.Time {
	for _, t := range ts {
		if t.At.After(now) {
			return t.At
		}
	}
	return time.Time{}
}

// upsertSearchAttributes keeps the entity's search attributes current.
func (e *entity) upsertSearchAttributes(ctx workflow.Context) {
	st := e.st
	dept := ""
	if st.AppliedView != nil {
		dept = st.AppliedView.Department
	}
	status := e.lifecycleStatus()
	sig := fmt.Sprint(status, "|", dept, "|", st.LastEvent, "|", st.LastEventAt)
	if sig == e.lastSA {
		return
	}
	e.lastSA = sig
	updates := []temporal.SearchAttributeUpdate{
		EmployeeIDKey.ValueSet(st.EmployeeID),
		LifecycleStatusKey.ValueSet(string(status)),
	}
	if dept != "" {
		updates = append(updates, DepartmentKey.ValueSet(dept))
	}
	if st.LastEvent != "" {
		updates = append(updates, LifecycleEventKey.ValueSet(st.LastEvent))
	}
	if st.LastEventAt != nil {
		updates = append(updates, EffectiveDateKey.ValueSet(*st.LastEventAt))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("could not update search attributes", "error", err)
	}
}
