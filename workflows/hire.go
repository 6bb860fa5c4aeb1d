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
	"github.com/entralifecycle/engine/internal/policy"
)

// HireInput is what a hire (or rehire) needs, computed by the entity.
type HireInput struct {
	EmployeeID string `json:"employeeId"`
	// KnownObjectID is the account of an earlier employment, restored from
	// deleted items when nobody carries the employee id any more.
	KnownObjectID string `json:"knownObjectId,omitempty"`
	// Person, Naming and Domain choose the names of a new account.
	Person policy.Person `json:"person"`
	Naming policy.Naming `json:"naming"`
	Domain string        `json:"domain"`
	// Spec holds the organisational attributes; names are filled in here.
	Spec              activities.AccountSpec `json:"spec"`
	ManagerEmployeeID string                 `json:"managerEmployeeId,omitempty"`
	Entitlements      []policy.Entitlement   `json:"entitlements,omitempty"`
	// Sources tell the audit trail which rule grants each entitlement, keyed by
	// activities.SourceKey.
	Sources map[string]string `json:"sources,omitempty"`
	// Enable is true from the start moment on; before it the account stays disabled.
	Enable bool `json:"enable"`
	// TemporaryAccessPass issues a pass to the manager when the account is enabled.
	TemporaryAccessPass bool `json:"temporaryAccessPass"`
	// Looked is the lookup the entity made just before starting the hire
	// (LookUpHire with holdings); the hire then does not look up again.
	Looked *activities.LookUpHireResult `json:"looked,omitempty"`
}

// HireResult is the outcome of a hire. A hire that fails permanently is not
// a workflow error: Failed and Reason say what happened, after the partial
// grants were undone and the account left disabled.
type HireResult struct {
	Account         activities.Account      `json:"account"`
	Names           policy.Names            `json:"names"`
	ManagerObjectID string                  `json:"managerObjectId,omitempty"`
	ManagerPending  bool                    `json:"managerPending,omitempty"`
	Granted         []policy.Entitlement    `json:"granted,omitempty"`
	Enabled         bool                    `json:"enabled"`
	Pass            *activities.PassReceipt `json:"pass,omitempty"`
	Failed          bool                    `json:"failed,omitempty"`
	Reason          string                  `json:"reason,omitempty"`
	// Compensated lists what the saga undid after a failure.
	Compensated []string `json:"compensated,omitempty"`
	// WriteBack reports the write-back of the work address to HR (absent
	// for hires that ran before the step existed).
	WriteBack *activities.WriteBackResult `json:"writeBack,omitempty"`
	// Warnings say what the account could not take as HR has it (a value
	// shortened to Entra's limit, properties mastered on-premises).
	Warnings []string `json:"warnings,omitempty"`
	// AddressAdopted is true when the hire adopted an existing account
	// found by employee id: Names carries its own UPN and mail nickname,
	// which people already sign in and receive mail with, not the template's.
	AddressAdopted bool `json:"addressAdopted,omitempty"`
}

// Hire finds or creates the account (a rehire finds the disabled account or
// restores a deleted one), brings its attributes in line, links the manager
// (a manager without an account does not fail the hire), grants the
// entitlements, and — from the start moment on — enables it and hands a
// Temporary Access Pass to the manager. An account created ahead of its
// start moment is created disabled and enabled by Activate; one whose start
// moment has passed is created enabled (from versionHireConcurrent on; before,
// it was created disabled and enabled after its grants). One batched lookup
// finds the account, the manager and a free UPN; the update, manager link,
// grants and write-back to HR then run side by side.
// Long on purpose: splitting would risk the command order that recorded histories replay.
func Hire(ctx workflow.Context, in HireInput) (HireResult, error) {
	var res HireResult
	names, err := policy.Naming.Names(in.Naming, in.Person, in.Domain)
	if err != nil {
		res.Failed, res.Reason = true, fmt.Sprintf("deriving names: %v", err)
		return res, nil
	}
	res.Names = names

	// Histories recorded before versionHireConcurrent create the account disabled, run every
	// step one after the other and enable last.
	concurrent := workflow.GetVersion(ctx, versionHireConcurrent, workflow.DefaultVersion, 1) == 1

	spec := in.Spec
	spec.GivenName, spec.Surname, spec.DisplayName = names.GivenName, names.Surname, names.DisplayName

	var acc activities.Account
	var look activities.LookUpHireResult
	if concurrent && in.Looked != nil {
		// The entity looked up a moment ago, with the same question.
		look = *in.Looked
		acc = look.Account
	} else if concurrent {
		// One lookup answers what FindAccount, ChooseNames and the manager lookup asked
		// one after the other; for an account found by employee id it also reads what the
		// account holds, so that the hire writes only what is missing.
		if err := workflow.ExecuteActivity(graphReads(ctx), a.LookUpHire, activities.LookUpHireInput{
			EmployeeID: in.EmployeeID, KnownObjectID: in.KnownObjectID, ManagerEmployeeID: in.ManagerEmployeeID,
			Person: in.Person, Naming: in.Naming, Domain: in.Domain,
			Holdings: true, Entitlements: in.Entitlements, Spec: spec, Fields: hireFields(),
		}).Get(ctx, &look); err != nil {
			res.Failed, res.Reason = true, reason("look up the account", err)
			return res, nil
		}
		acc = look.Account
	} else if err := workflow.ExecuteActivity(graphReads(ctx), a.FindAccount, activities.FindAccountInput{
		EmployeeID: in.EmployeeID, KnownObjectID: in.KnownObjectID,
	}).Get(ctx, &acc); err != nil {
		res.Failed, res.Reason = true, reason("find the account", err)
		return res, nil
	}
	if !acc.Found {
		// Namesakes hired at the same moment may all find the same UPN free; the loser of
		// each race gets a conflict and chooses again, past every name it already lost, so a
		// wave of namesakes settles one name per round. Each lost race proves progress (one
		// more name is taken), so the bound only stops a hire that can never win.
		var taken []string
		limit := maxNameAttempts
		for attempt := 1; ; attempt++ {
			if concurrent && attempt == 1 {
				names = look.Names
			} else if err := workflow.ExecuteActivity(graphReads(ctx), a.ChooseNames, activities.ChooseNamesInput{
				Person: in.Person, Naming: in.Naming, Domain: in.Domain, Taken: taken,
			}).Get(ctx, &names); err != nil {
				res.Failed, res.Reason = true, reason("choose a user principal name", err)
				return res, nil
			}
			res.Names = names
			spec.UPN, spec.MailNickname, spec.Mail = names.UPN, names.MailNickname, names.UPN
			// From versionHireConcurrent on, an account whose start moment has passed is created
			// enabled: one PATCH less, and no moment where it exists without being usable.
			spec.Enabled = concurrent && in.Enable
			if spec.Enabled {
				spec.Due = activities.ProvisioningDue(true, in.Spec.HireDate, workflow.GetInfo(ctx).WorkflowStartTime)
			}
			// The lookup just found no account with the employee id: the create need not ask again.
			spec.KnownAbsent = concurrent && attempt == 1
			err := workflow.ExecuteActivity(graphWrites(ctx), a.CreateAccount, spec).Get(ctx, &acc)
			if err == nil {
				break
			}
			var appErr *temporal.ApplicationError
			conflict := errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeConflict
			if conflict && attempt == 1 {
				// Decided at the first conflict, so that histories without one carry no marker.
				if workflow.GetVersion(ctx, versionNamesakes, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
					limit = legacyNameAttempts
				}
			}
			if conflict && attempt < limit {
				taken = append(taken, names.UPN)
				continue
			}
			res.Failed, res.Reason = true, reason("create the account", err)
			if conflict {
				res.Reason = fmt.Sprintf("no free user principal name after %d attempts (lost races for %v): %s", attempt, taken, res.Reason)
			}
			return res, nil
		}
	} else {
		// An account found keeps the addresses people already sign in and receive mail with;
		// the entity records them as its names (a restored account is one the engine named).
		names.UPN, names.MailNickname = acc.UPN, acc.MailNickname
		res.Names = names
		res.AddressAdopted = !acc.Restored
	}
	res.Account = acc
	res.Warnings = addWarnings(res.Warnings, acc.Warnings...)

	// From here on the account exists: a permanent failure undoes the grants
	// and leaves the account disabled.
	steps := hireSteps
	if concurrent {
		steps = func(ctx workflow.Context, in HireInput, spec activities.AccountSpec, res *HireResult) error {
			return hireStepsConcurrent(ctx, in, spec, res, look)
		}
	}
	// An adopted account's compensation takes back only what this hire meant to add, never
	// what the account held before.
	undo := in.Entitlements
	if concurrent && look.Holdings != nil && adoptHoldings(ctx, res.Account) {
		undo = look.Holdings.Missing
	}
	if err := steps(ctx, in, spec, &res); err != nil {
		res.Failed, res.Reason = true, reason("hire", err)
		res.Compensated = compensateHire(ctx, acc.ObjectID, undo)
		res.Enabled = false
		res.Granted = nil
		return res, nil
	}
	if concurrent && look.Holdings != nil && adoptHoldings(ctx, res.Account) &&
		workflow.GetVersion(ctx, versionHireRecordsAdoption, workflow.DefaultVersion, 1) == 1 {
		// What the account held already is in the trail from now on, beside the grants
		// this hire made.
		recordAdoption(ctx, in, res.Account.ObjectID, heldOf(in.Entitlements, look.Holdings.Missing), EventHire)
	}
	if concurrent {
		// hireStepsConcurrent wrote the address back beside the other steps.
		return res, nil
	}
	if workflow.GetVersion(ctx, versionHRWriteBack, workflow.DefaultVersion, 1) == 1 {
		mail := res.Account.Mail
		if mail == "" {
			mail = spec.Mail
		}
		if mail == "" {
			mail = res.Account.UPN
		}
		res.WriteBack = writeBack(ctx, in.EmployeeID, mail, res.Account.UPN)
	}
	return res, nil
}

// versionHireConcurrent marks the change that creates an account whose start moment has
// passed enabled, skips the attribute update of an account the hire just created (the create
// set every attribute), and runs the attribute update, the manager link, the grants and the
// write-back to HR side by side (hireStepsConcurrent).
const versionHireConcurrent = "hire-concurrent"

// versionHireRecordsAdoption marks the change that appends, after a hire that adopted an
// account found by employee id, the adoption and the access the account held already to the
// audit trail (RecordAdoption).
const versionHireRecordsAdoption = "hire-records-adoption"

// heldOf is asked minus missing: what an adopted account held of what the hire asked.
func heldOf(asked, missing []policy.Entitlement) []policy.Entitlement {
	var out []policy.Entitlement
	for _, e := range asked {
		if !slices.Contains(missing, e) {
			out = append(out, e)
		}
	}
	return out
}

// versionHireAdoptHoldings marks the change that makes a hire adopting an account found by
// employee id write only what the account lacks: the lookup reads what it holds (groups,
// licences, app roles, manager, attributes) and the attribute update, the manager link and
// the grants run only for what is missing.
const versionHireAdoptHoldings = "hire-adopt-holdings"

// adoptHoldings reports whether the hire writes only what the found account lacks. It is
// asked only for an account the lookup found with its holdings, so histories of other hires
// carry no marker.
func adoptHoldings(ctx workflow.Context, acc activities.Account) bool {
	if acc.Created || acc.Restored {
		return false
	}
	return workflow.GetVersion(ctx, versionHireAdoptHoldings, workflow.DefaultVersion, 1) == 1
}

// hireFields are the attributes a hire brings in line on an account it did not create.
func hireFields() []string {
	fields := append([]string{}, activities.NameFields...)
	fields = append(fields, activities.OrgFields...)
	return append(fields, activities.FieldUsageLocation, activities.FieldHireDate, activities.FieldLeaveDateTime)
}

// versionHRWriteBack marks the change that added the write-back of the work
// address to HR at the end of a hire and of a rename that changes it.
const versionHRWriteBack = "hr-write-back"

// hrWrites is for the write-back to HR: retried on transient failures for a
// while, but an HR system that keeps refusing must not hold the lifecycle
// step for long; the failure is recorded in the result instead.
func hrWrites(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    2 * time.Minute,
			MaximumAttempts:    8,
		},
	})
}

// writeBack runs the WriteBack activity. Its failure does not undo the
// lifecycle step (the account is right; HR only lacks the address): the
// result says what happened.
func writeBack(ctx workflow.Context, employeeID, mail, upn string) *activities.WriteBackResult {
	var out activities.WriteBackResult
	if err := workflow.ExecuteActivity(hrWrites(ctx), a.WriteBack, activities.WriteBackInput{
		EmployeeID: employeeID, Email: mail, UPN: upn,
	}).Get(ctx, &out); err != nil {
		return &activities.WriteBackResult{Supported: true, Note: reason("write the work address back to HR", err)}
	}
	return &out
}

// versionPassOnlyWhenEnabledHere marks the change that stopped issuing a Temporary Access
// Pass for an adopted account that was already enabled.
const versionPassOnlyWhenEnabledHere = "pass-only-when-enabled-here"

// maxNameAttempts bounds how often a hire chooses a new UPN after losing a race for one.
// Every lost race takes one more name out of the running, so fifty covers a wave of far more
// namesakes than any organisation hires at once.
const maxNameAttempts = 50

// legacyNameAttempts is the bound of histories recorded before versionNamesakes.
const legacyNameAttempts = 5

// versionNamesakes marks the change that lets a hire choose past the names it lost (up to
// maxNameAttempts instead of legacyNameAttempts).
const versionNamesakes = "namesakes-choose-past-taken"

// hireSteps are the hire's steps after the account exists.
func hireSteps(ctx workflow.Context, in HireInput, spec activities.AccountSpec, res *HireResult) error {
	id := res.Account.ObjectID
	fields := append([]string{}, activities.NameFields...)
	fields = append(fields, activities.OrgFields...)
	fields = append(fields, activities.FieldUsageLocation, activities.FieldHireDate, activities.FieldLeaveDateTime)
	var upd activities.UpdateAccountResult
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.UpdateAccount, activities.UpdateAccountInput{
		ObjectID: id, Spec: spec, Fields: fields,
	}).Get(ctx, &upd); err != nil {
		return err
	}
	res.Warnings = addWarnings(res.Warnings, upd.Warnings...)
	if in.ManagerEmployeeID != "" {
		var link activities.LinkManagerResult
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.LinkManager, activities.LinkManagerInput{
			ObjectID: id, ManagerEmployeeID: in.ManagerEmployeeID,
		}).Get(ctx, &link); err != nil {
			return err
		}
		res.ManagerObjectID, res.ManagerPending = link.ManagerObjectID, !link.Found
	}
	if len(in.Entitlements) > 0 {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.GrantEntitlements, activities.EntitlementsInput{
			ObjectID: id, Entitlements: in.Entitlements, Sources: in.Sources,
		}).Get(ctx, nil); err != nil {
			return err
		}
		res.Granted = in.Entitlements
	}
	if in.Enable != res.Account.Enabled || res.Account.Created {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.SetAccountEnabled, activities.SetEnabledInput{
			ObjectID: id, Enabled: in.Enable, Since: activities.ProvisioningDue(in.Enable, in.Spec.HireDate, workflow.GetInfo(ctx).WorkflowStartTime),
		}).Get(ctx, nil); err != nil {
			return err
		}
	}
	res.Enabled = in.Enable
	if in.Enable && in.TemporaryAccessPass {
		// A pass is a working credential: it goes to the manager only for an account this hire
		// enabled (new, or found disabled), never for an account someone already signs in to.
		enabledHere := res.Account.Created || !res.Account.Enabled
		if workflow.GetVersion(ctx, versionPassOnlyWhenEnabledHere, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			enabledHere = true
		}
		if enabledHere {
			res.Pass = issuePass(ctx, in.EmployeeID, res.Account.ObjectID, spec.DisplayName, res.Account.UPN, res.ManagerObjectID)
		}
	}
	return nil
}

// hireStepsConcurrent are the hire's steps after the account exists, from
// versionHireConcurrent on. The attribute update (only for an account the hire
// found or restored: a created one has every attribute already), the manager
// link, the grants and the write-back of the work address to HR do not depend
// on one another and run side by side; the account is enabled (when it was
// found disabled) and the Temporary Access Pass issued once they all succeeded.
// The manager found by LookUpHire is linked without a second lookup. Long on
// purpose: every step started is waited for in one place, so a failure's
// compensation never races a grant still in flight.
func hireStepsConcurrent(ctx workflow.Context, in HireInput, spec activities.AccountSpec, res *HireResult, look activities.LookUpHireResult) error {
	id := res.Account.ObjectID
	// By default every step runs (each reads before it writes, or tolerates what is held).
	// From versionHireAdoptHoldings on, an account the lookup found with its holdings gets
	// only the steps for what it lacks; Graph's "already a member / assigned" stays
	// tolerated for anything granted meanwhile.
	update, link, grant := !res.Account.Created, in.ManagerEmployeeID != "", in.Entitlements
	grantAfterUpdate := false
	if h := look.Holdings; h != nil && adoptHoldings(ctx, res.Account) {
		if h.AttributesInLine {
			update = false
			res.Warnings = addWarnings(res.Warnings, h.Warnings...)
		}
		if link && look.ManagerFound && strings.EqualFold(h.ManagerObjectID, look.ManagerObjectID) {
			link = false
			res.ManagerObjectID = look.ManagerObjectID
		}
		grant = h.Missing
		// Licensing needs the usage location the update may be about to set: a licence
		// waits for the update.
		grantAfterUpdate = update && slices.ContainsFunc(grant, func(e policy.Entitlement) bool { return e.Kind == policy.KindLicense })
	}
	var updF, linkF, grantF, wbF workflow.Future
	if update {
		updF = workflow.ExecuteActivity(graphWrites(ctx), a.UpdateAccount, activities.UpdateAccountInput{
			ObjectID: id, Spec: spec, Fields: hireFields(),
		})
	}
	if link {
		linkF = workflow.ExecuteActivity(graphWrites(ctx), a.LinkManager, activities.LinkManagerInput{
			ObjectID: id, ManagerEmployeeID: in.ManagerEmployeeID, ManagerObjectID: look.ManagerObjectID,
		})
	}
	startGrant := func() {
		grantF = workflow.ExecuteActivity(graphWrites(ctx), a.GrantEntitlements, activities.EntitlementsInput{
			ObjectID: id, Entitlements: grant, Sources: in.Sources,
		})
	}
	if len(grant) > 0 && !grantAfterUpdate {
		startGrant()
	}
	// The same contact LookUpHire compared with HR's to tell whether a write-back is needed.
	contact := activities.HireContact(res.Account, spec)
	wbF = workflow.ExecuteActivity(hrWrites(ctx), a.WriteBack, activities.WriteBackInput{
		EmployeeID: in.EmployeeID, Email: contact.Email, UPN: contact.UPN,
	})

	// Every started step is waited for, so a failure's compensation never
	// races a grant still in flight; the first failure (in this order) wins.
	var errs []error
	if updF != nil {
		var upd activities.UpdateAccountResult
		if err := updF.Get(ctx, &upd); err != nil {
			errs = append(errs, err)
		} else if grantAfterUpdate {
			startGrant()
		}
		res.Warnings = addWarnings(res.Warnings, upd.Warnings...)
	}
	if linkF != nil {
		var link activities.LinkManagerResult
		if err := linkF.Get(ctx, &link); err != nil {
			errs = append(errs, err)
		}
		res.ManagerObjectID, res.ManagerPending = link.ManagerObjectID, !link.Found
	}
	if grantF != nil {
		if err := grantF.Get(ctx, nil); err != nil {
			errs = append(errs, err)
		} else {
			res.Granted = in.Entitlements
		}
	} else if len(in.Entitlements) > 0 && len(grant) == 0 {
		// Everything asked for was held already.
		res.Granted = in.Entitlements
	}
	var wb activities.WriteBackResult
	if err := wbF.Get(ctx, &wb); err != nil {
		wb = activities.WriteBackResult{Supported: true, Note: reason("write the work address back to HR", err)}
	}
	res.WriteBack = &wb
	if len(errs) > 0 {
		return errs[0]
	}

	if in.Enable != res.Account.Enabled {
		if err := workflow.ExecuteActivity(graphWrites(ctx), a.SetAccountEnabled, activities.SetEnabledInput{
			ObjectID: id, Enabled: in.Enable, Since: activities.ProvisioningDue(in.Enable, in.Spec.HireDate, workflow.GetInfo(ctx).WorkflowStartTime),
		}).Get(ctx, nil); err != nil {
			return err
		}
	}
	res.Enabled = in.Enable
	if in.Enable && in.TemporaryAccessPass && (res.Account.Created || !res.Account.Enabled) {
		// A pass goes to the manager only for an account this hire enabled (new, or found
		// disabled), never for an account someone already signs in to.
		res.Pass = issuePass(ctx, in.EmployeeID, id, spec.DisplayName, res.Account.UPN, res.ManagerObjectID)
	}
	return nil
}

// addWarnings appends the warnings list does not hold yet, in order.
func addWarnings(list []string, more ...string) []string {
	for _, w := range more {
		if !slices.Contains(list, w) {
			list = append(list, w)
		}
	}
	return list
}

// issuePass hands a Temporary Access Pass to the manager. A failure to do so
// does not undo the hire: the receipt says why no pass was sent.
func issuePass(ctx workflow.Context, employeeID, objectID, displayName, upn, managerID string) *activities.PassReceipt {
	var receipt activities.PassReceipt
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.IssueTemporaryAccessPass, activities.IssuePassInput{
		ObjectID: objectID, EmployeeID: employeeID, DisplayName: displayName, UPN: upn, ManagerObjectID: managerID,
	}).Get(ctx, &receipt); err != nil {
		receipt = activities.PassReceipt{Reason: reason("issue a Temporary Access Pass", err)}
	}
	return &receipt
}

// compensateHire is the hire saga's undo: revoke what the hire meant to
// grant (revoking what is not held is success) and disable the account. It
// runs on a disconnected context so that it also runs when the hire is
// cancelled, and reports what it did.
func compensateHire(ctx workflow.Context, objectID string, grants []policy.Entitlement) []string {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	var done []string
	if len(grants) > 0 {
		if err := workflow.ExecuteActivity(graphWrites(dctx), a.RevokeEntitlements, activities.EntitlementsInput{
			ObjectID: objectID, Entitlements: grants,
		}).Get(dctx, nil); err != nil {
			done = append(done, "revoking the grants failed: "+err.Error())
		} else {
			done = append(done, fmt.Sprintf("revoked %d entitlements", len(grants)))
		}
	}
	if err := workflow.ExecuteActivity(graphWrites(dctx), a.SetAccountEnabled, activities.SetEnabledInput{
		ObjectID: objectID, Enabled: false,
	}).Get(dctx, nil); err != nil {
		done = append(done, "disabling the account failed: "+err.Error())
	} else {
		done = append(done, "account disabled")
	}
	return done
}

// reason renders an activity failure for a result: the application error's
// message and type when there is one.
func reason(what string, err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return fmt.Sprintf("%s: %s (%s)", what, app.Error(), app.Type())
	}
	return fmt.Sprintf("%s: %v", what, err)
}

// ActivateInput enables an account created ahead of the start moment.
type ActivateInput struct {
	EmployeeID          string `json:"employeeId"`
	ObjectID            string `json:"objectId"`
	DisplayName         string `json:"displayName"`
	UPN                 string `json:"userPrincipalName"`
	ManagerObjectID     string `json:"managerObjectId,omitempty"`
	TemporaryAccessPass bool   `json:"temporaryAccessPass"`
}

// ActivateResult reports the pass handed to the manager, if any.
type ActivateResult struct {
	Pass *activities.PassReceipt `json:"pass,omitempty"`
}

// Activate enables the account at the start moment and hands a Temporary
// Access Pass to the manager.
func Activate(ctx workflow.Context, in ActivateInput) (ActivateResult, error) {
	if err := workflow.ExecuteActivity(graphWrites(ctx), a.SetAccountEnabled, activities.SetEnabledInput{
		ObjectID: in.ObjectID, Enabled: true, Since: workflow.GetInfo(ctx).WorkflowStartTime,
	}).Get(ctx, nil); err != nil {
		return ActivateResult{}, fmt.Errorf("enable the account: %w", err)
	}
	var res ActivateResult
	if in.TemporaryAccessPass {
		res.Pass = issuePass(ctx, in.EmployeeID, in.ObjectID, in.DisplayName, in.UPN, in.ManagerObjectID)
	}
	return res, nil
}
