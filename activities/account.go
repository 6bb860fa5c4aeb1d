package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.temporal.io/sdk/activity"

	"github.com/entralifecycle/engine/internal/audit"
	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
)

// AccountSpec is what an account should look like: the attributes the engine
// manages, derived from HR and the policy by the workflow.
type AccountSpec struct {
	EmployeeID   string `json:"employeeId"`
	GivenName    string `json:"givenName,omitempty"`
	Surname      string `json:"surname,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
	UPN          string `json:"userPrincipalName,omitempty"`
	MailNickname string `json:"mailNickname,omitempty"`
	Mail         string `json:"mail,omitempty"`
	// Attributes are the organisational attributes (orgattr.Table); their
	// JSON names sit beside the others.
	orgattr.Attributes
	UsageLocation string `json:"usageLocation,omitempty"`
	// HireDate is the first working day's start; zero leaves it unset.
	HireDate time.Time `json:"hireDate,omitzero"`
	// LeaveDateTime is the moment access ends; zero leaves it unset.
	LeaveDateTime time.Time `json:"leaveDateTime,omitzero"`
	// Enabled says whether a created account may sign in.
	Enabled bool `json:"enabled"`
	// Due is, for an account created enabled, the moment its access became due
	// (ProvisioningDue); the audit record carries it for the provisioning latency.
	Due time.Time `json:"due,omitzero"`
	// KnownAbsent says the caller has just found no account carrying the
	// employee id: the first attempt of CreateAccount does not look again
	// (a retry does, in case the reply to the first was lost).
	KnownAbsent bool `json:"knownAbsent,omitempty"`
}

// Field names for UpdateAccountInput.Fields: the Graph property names. The
// organisational ones are orgattr.Properties.
const (
	FieldGivenName     = "givenName"
	FieldSurname       = "surname"
	FieldDisplayName   = "displayName"
	FieldUPN           = "userPrincipalName"
	FieldMailNickname  = "mailNickname"
	FieldMail          = "mail"
	FieldUsageLocation = "usageLocation"
	FieldHireDate      = "employeeHireDate"
	FieldLeaveDateTime = "employeeLeaveDateTime"
)

// NameFields are the attributes a personal-data change touches.
var NameFields = []string{FieldGivenName, FieldSurname, FieldDisplayName}

// AddressFields are the attributes a new UPN changes.
var AddressFields = []string{FieldUPN, FieldMailNickname, FieldMail}

// OrgFields are the attributes a promotion or transfer touches.
var OrgFields = orgattr.Properties()

func (s AccountSpec) user() directory.User {
	return directory.User{
		EmployeeID: s.EmployeeID, GivenName: s.GivenName, Surname: s.Surname, DisplayName: s.DisplayName,
		UserPrincipalName: s.UPN, MailNickname: s.MailNickname, Mail: s.Mail, JobTitle: s.JobTitle,
		Department: s.Department, CompanyName: s.CompanyName, EmployeeType: s.EmployeeType,
		EmployeeHireDate: s.HireDate, EmployeeLeaveDateTime: s.LeaveDateTime,
		CostCenter: s.CostCenter, Division: s.Division, UsageLocation: s.UsageLocation,
		AccountEnabled: s.Enabled,
	}
}

// Account is an Entra account as the workflows track it.
type Account struct {
	// Found is false when no account exists (FindAccount only).
	Found    bool   `json:"found"`
	ObjectID string `json:"objectId,omitempty"`
	UPN      string `json:"userPrincipalName,omitempty"`
	Mail     string `json:"mail,omitempty"`
	// MailNickname is the account's mail nickname as found (set by lookups).
	MailNickname string `json:"mailNickname,omitempty"`
	Enabled      bool   `json:"enabled"`
	// Created is true when this call created the account.
	Created bool `json:"created,omitempty"`
	// Restored is true when the account came back from deleted items.
	Restored bool `json:"restored,omitempty"`
	// Warnings say what the engine could not write as HR has it (a value
	// shortened to Entra's limit, properties mastered on-premises).
	Warnings []string `json:"warnings,omitempty"`
}

func accountOf(u directory.User) Account {
	return Account{Found: true, ObjectID: u.ID, UPN: u.UserPrincipalName, Mail: u.Mail, MailNickname: u.MailNickname, Enabled: u.AccountEnabled}
}

// FindAccountInput names the account to find.
type FindAccountInput struct {
	EmployeeID string `json:"employeeId"`
	// KnownObjectID is the account the engine created before (a rehire): when
	// nobody carries the employee id it is restored from deleted items.
	KnownObjectID string `json:"knownObjectId,omitempty"`
}

// FindAccount finds the account carrying the employee id; failing that, it
// restores the known account from deleted items. Found is false when there
// is none.
func (a *Activities) FindAccount(ctx context.Context, in FindAccountInput) (Account, error) {
	d, err := a.dir()
	if err != nil {
		return Account{}, err
	}
	u, ok, err := d.FindUserByEmployeeID(ctx, in.EmployeeID)
	if err != nil {
		return Account{}, graphError("find account of employee "+in.EmployeeID, err)
	}
	if ok {
		return accountOf(u), nil
	}
	if in.KnownObjectID == "" {
		return Account{}, nil
	}
	u, err = d.RestoreUser(ctx, in.KnownObjectID)
	if directory.KindOf(err) == directory.KindNotFound {
		a.log().Info("earlier account is gone for good", "employeeId", in.EmployeeID, "id", in.KnownObjectID)
		return Account{}, nil
	}
	if err != nil {
		return Account{}, graphError("restore account of employee "+in.EmployeeID, err)
	}
	acc := accountOf(u)
	acc.Restored = true
	a.log().Info("account restored", "employeeId", in.EmployeeID, "id", u.ID)
	return acc, nil
}

// CreateAccount creates the account (or returns the one that carries the
// employee id already: the call is idempotent).
func (a *Activities) CreateAccount(ctx context.Context, spec AccountSpec) (Account, error) {
	d, err := a.dir()
	if err != nil {
		return Account{}, err
	}
	if err := spec.Check(); err != nil {
		return Account{}, permanent("create account of employee "+spec.EmployeeID, ErrTypeInvalidInput, err)
	}
	spec, warnings := spec.Fitted()
	if spec.KnownAbsent && activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt == 1 {
		ctx = directory.WithKnownAbsent(ctx)
	}
	if spec.Enabled {
		ctx = WithDue(ctx, spec.Due)
	}
	u, created, err := d.CreateUser(ctx, spec.user())
	if err != nil {
		return Account{}, a.graphErrorOn(ctx, "create account of employee "+spec.EmployeeID, "the holder of "+spec.UPN, err)
	}
	acc := accountOf(u)
	acc.Created = created
	acc.Warnings = warnings
	return acc, nil
}

// UpdateAccountInput brings some attributes of an account in line.
type UpdateAccountInput struct {
	ObjectID string      `json:"objectId"`
	Spec     AccountSpec `json:"spec"`
	// Fields are the attributes (Field* names) to bring in line; the rest of
	// the account is left alone.
	Fields []string `json:"fields"`
}

// UpdateAccountResult lists the attributes that were changed.
type UpdateAccountResult struct {
	Changed []string `json:"changed,omitempty"`
	// Warnings say what could not be written as HR has it (see Account.Warnings).
	Warnings []string `json:"warnings,omitempty"`
}

// UpdateAccount reads the account and patches only those of the named
// attributes that differ, so a repeated call writes nothing.
func (a *Activities) UpdateAccount(ctx context.Context, in UpdateAccountInput) (UpdateAccountResult, error) {
	d, err := a.dir()
	if err != nil {
		return UpdateAccountResult{}, err
	}
	cur, err := d.GetUser(ctx, in.ObjectID)
	if err != nil {
		return UpdateAccountResult{}, a.graphErrorOn(ctx, "read account "+in.ObjectID, "account "+in.ObjectID, err)
	}
	diff, warnings, err := accountDiff(cur, in.Spec, in.Fields)
	if err != nil {
		return UpdateAccountResult{}, permanent("update account "+in.ObjectID, ErrTypeInvalidInput, err)
	}
	if diff.IsEmpty() {
		return UpdateAccountResult{Warnings: warnings}, nil
	}
	if err := d.PatchUser(ctx, in.ObjectID, diff); err != nil {
		if directory.KindOf(err) == directory.KindSyncedReadOnly {
			// Entra masters more of this account on-premises than the engine
			// knew: say so and go on, never retry a refusal that cannot heal.
			a.log().Warn("account synchronised from on-premises: update refused", "id", in.ObjectID, "fields", diff.Fields(), "error", err)
			return UpdateAccountResult{Warnings: append(warnings, syncedWarning(diff.Fields()))}, nil
		}
		return UpdateAccountResult{}, a.graphErrorOn(ctx, "update account "+in.ObjectID, "account "+in.ObjectID, err)
	}
	return UpdateAccountResult{Changed: diff.Fields(), Warnings: warnings}, nil
}

// accountDiff is what UpdateAccount would PATCH on cur to bring the named
// fields of spec in line (attributes mastered on-premises left out), with
// the warnings about values shortened to Entra's limits or kept by AD.
func accountDiff(cur directory.User, spec AccountSpec, fields []string) (directory.UserAttributes, []string, error) {
	want := cur
	if err := spec.checkFields(fields); err != nil {
		return directory.UserAttributes{}, nil, err
	}
	s, warnings := spec.Fitted()
	for _, f := range fields {
		switch f {
		case FieldGivenName:
			want.GivenName = s.GivenName
		case FieldSurname:
			want.Surname = s.Surname
		case FieldDisplayName:
			want.DisplayName = s.DisplayName
		case FieldUPN:
			want.UserPrincipalName = s.UPN
		case FieldMailNickname:
			want.MailNickname = s.MailNickname
		case FieldMail:
			want.Mail = s.Mail
		case FieldUsageLocation:
			want.UsageLocation = s.UsageLocation
		case FieldHireDate:
			want.EmployeeHireDate = s.HireDate
		case FieldLeaveDateTime:
			want.EmployeeLeaveDateTime = s.LeaveDateTime
		default:
			if !orgattr.IsProperty(f) {
				return directory.UserAttributes{}, nil, fmt.Errorf("unknown field %q", f)
			}
			orgattr.SetUser(&want, s.Attributes, f)
		}
	}
	diff := directory.Diff(cur, want)
	if cur.OnPremisesSyncEnabled {
		var kept []string
		diff, kept = withoutMastered(diff)
		if len(kept) > 0 {
			warnings = append(warnings, syncedWarning(kept))
		}
	}
	return diff, warnings, nil
}

// SetEnabledInput enables or disables sign-in.
type SetEnabledInput struct {
	ObjectID string `json:"objectId"`
	Enabled  bool   `json:"enabled"`
	// Since is the moment the change became due (the leave moment of an exit, the start of
	// a hire's access); the audit record keeps it, and the metrics observe the delay.
	Since time.Time `json:"since,omitzero"`
}

// SetAccountEnabled enables or disables sign-in (idempotent).
func (a *Activities) SetAccountEnabled(ctx context.Context, in SetEnabledInput) error {
	d, err := a.dir()
	if err != nil {
		return err
	}
	what, set := "disable", d.DisableUser
	if in.Enabled {
		what, set = "enable", d.EnableUser
	}
	err = set(WithDue(ctx, in.Since), in.ObjectID)
	if directory.KindOf(err) == directory.KindSyncedReadOnly {
		// A synchronised account's sign-in is governed by on-premises Active
		// Directory: the engine cannot change it and does not retry.
		a.log().Warn("account synchronised from on-premises: sign-in can only be "+what+"d there", "id", in.ObjectID, "error", err)
		return nil
	}
	return a.graphErrorOn(ctx, what+" account "+in.ObjectID, "account "+in.ObjectID, err)
}

// LinkManagerInput sets an account's manager by the manager's employee id.
type LinkManagerInput struct {
	ObjectID          string `json:"objectId"`
	ManagerEmployeeID string `json:"managerEmployeeId"`
	// ManagerObjectID, when the caller knows it already (LookUpHire), is
	// linked without looking the manager up again.
	ManagerObjectID string `json:"managerObjectId,omitempty"`
}

// LinkManagerResult says whether the manager was linked.
type LinkManagerResult struct {
	// Found is false when the manager has no account yet; nothing was changed.
	Found           bool   `json:"found"`
	ManagerObjectID string `json:"managerObjectId,omitempty"`
}

// LinkManager makes the manager's account the account's manager; with no
// manager employee id it clears the manager. A manager without an account
// is an answer (Found false), not a failure: the link is made later.
func (a *Activities) LinkManager(ctx context.Context, in LinkManagerInput) (LinkManagerResult, error) {
	d, err := a.dir()
	if err != nil {
		return LinkManagerResult{}, err
	}
	if in.ManagerEmployeeID == "" {
		return LinkManagerResult{Found: true}, a.graphErrorOn(ctx, "clear manager of "+in.ObjectID, "account "+in.ObjectID, d.ClearManager(ctx, in.ObjectID))
	}
	m := directory.User{ID: in.ManagerObjectID}
	if m.ID == "" {
		var ok bool
		var err error
		m, ok, err = d.FindUserByEmployeeID(ctx, in.ManagerEmployeeID)
		if err != nil {
			return LinkManagerResult{}, graphError("find manager "+in.ManagerEmployeeID, err)
		}
		if !ok {
			return LinkManagerResult{}, nil
		}
	}
	err = d.SetManager(ctx, in.ObjectID, m.ID)
	if err != nil && in.ManagerObjectID != "" && directory.KindOf(err) == directory.KindNotFound {
		// The manager id came from the hire's lookup; the manager's account may have gone
		// since. Ask again by employee id: gone means pending, another id is linked instead,
		// the same id means the 404 was about the new account (replication) and stands.
		again, ok, ferr := d.FindUserByEmployeeID(ctx, in.ManagerEmployeeID)
		switch {
		case ferr != nil:
			return LinkManagerResult{}, graphError("find manager "+in.ManagerEmployeeID, ferr)
		case !ok:
			return LinkManagerResult{}, nil
		case again.ID != m.ID:
			m = again
			err = d.SetManager(ctx, in.ObjectID, m.ID)
		}
	}
	if err != nil {
		if directory.KindOf(err) == directory.KindSyncedReadOnly {
			// The manager of a synchronised account flows from Active Directory.
			a.log().Warn("account synchronised from on-premises: the manager is set there", "id", in.ObjectID, "manager", m.ID, "error", err)
			return LinkManagerResult{Found: true, ManagerObjectID: m.ID}, nil
		}
		return LinkManagerResult{}, a.graphErrorOn(ctx, "set manager of "+in.ObjectID, "account "+in.ObjectID+" or manager "+m.ID, err)
	}
	return LinkManagerResult{Found: true, ManagerObjectID: m.ID}, nil
}

// EntitlementsInput names an account and entitlements to grant or revoke.
type EntitlementsInput struct {
	ObjectID     string               `json:"objectId"`
	Entitlements []policy.Entitlement `json:"entitlements"`
	// Sources tells, per entitlement (keyed by SourceKey), what grants it: "role:<rule>"
	// or "replacement:<id>". It reaches the audit trail as the change's reason.
	Sources map[string]string `json:"sources,omitempty"`
}

// SourceKey is the key of an entitlement in EntitlementsInput.Sources: its String form in
// lower case ("group:all staff", "appRole:salesforce/standard user" lowered).
func SourceKey(e policy.Entitlement) string { return strings.ToLower(e.String()) }

// withSources hands the entitlements' sources to the audit trail (see Audited).
func withSources(ctx context.Context, sources map[string]string) context.Context {
	if len(sources) == 0 {
		return ctx
	}
	n, _ := audit.NoteFrom(ctx)
	n.Sources = sources
	return audit.WithNote(ctx, n)
}

// split sorts entitlements by kind.
func split(es []policy.Entitlement) (groups, licenses []string, roles []directory.AppRole) {
	for _, e := range es {
		switch e.Kind {
		case policy.KindGroup:
			groups = append(groups, e.Name)
		case policy.KindLicense:
			licenses = append(licenses, e.Name)
		case policy.KindAppRole:
			roles = append(roles, directory.AppRole{App: e.App, Role: e.Role})
		}
	}
	return groups, licenses, roles
}

func groupIDs(m map[string]string, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, m[n])
	}
	return out
}

// GrantEntitlements gives an account groups, licences and app roles in one
// batch. What the account holds already is success, so it may be repeated.
func (a *Activities) GrantEntitlements(ctx context.Context, in EntitlementsInput) error {
	d, err := a.dir()
	if err != nil {
		return err
	}
	ctx = withSources(ctx, in.Sources)
	groups, licenses, roles := split(in.Entitlements)
	g := directory.Grant{Licenses: licenses, AppRoles: roles}
	if len(groups) > 0 {
		ids, err := d.ResolveGroups(ctx, groups)
		if err != nil {
			return graphError("resolve groups", err)
		}
		g.GroupIDs = groupIDs(ids, groups)
	}
	return a.graphErrorOn(ctx, "grant entitlements to "+in.ObjectID, "account "+in.ObjectID, d.Grant(ctx, in.ObjectID, g))
}

// RevokeEntitlements takes groups, licences and app roles from an account.
// What the account does not hold is success.
func (a *Activities) RevokeEntitlements(ctx context.Context, in EntitlementsInput) error {
	d, err := a.dir()
	if err != nil {
		return err
	}
	ctx = withSources(ctx, in.Sources)
	groups, licenses, roles := split(in.Entitlements)
	if len(groups) > 0 {
		ids, err := d.ResolveGroups(ctx, groups)
		if err != nil {
			return graphError("resolve groups", err)
		}
		if err := d.RemoveFromGroups(ctx, in.ObjectID, groupIDs(ids, groups)); err != nil {
			return graphError("remove "+in.ObjectID+" from groups", err)
		}
	}
	if len(licenses) > 0 {
		if err := d.RemoveLicenses(ctx, in.ObjectID, licenses); err != nil {
			return a.graphErrorOn(ctx, "remove licences of "+in.ObjectID, "account "+in.ObjectID, err)
		}
	}
	for _, r := range roles {
		if err := d.RemoveAppRole(ctx, in.ObjectID, r); err != nil {
			return graphError("remove app role of "+in.ObjectID, err)
		}
	}
	return nil
}

// ReadEntitlementsInput names the account to read and the app roles to
// recognise among its assignments (typically every app role the policy
// manages): Graph reports assignments by ids, and policies name roles by
// display name or value.
type ReadEntitlementsInput struct {
	ObjectID string               `json:"objectId"`
	AppRoles []policy.Entitlement `json:"appRoles,omitempty"`
}

// ReadEntitlements lists the groups, licences and app roles an account
// holds. App role assignments matching one of in.AppRoles are reported with
// that spelling; others with the names the directory knows, if any.
func (a *Activities) ReadEntitlements(ctx context.Context, in ReadEntitlementsInput) ([]policy.Entitlement, error) {
	d, err := a.dir()
	if err != nil {
		return nil, err
	}
	held, err := d.Entitlements(ctx, in.ObjectID)
	if err != nil {
		return nil, a.graphErrorOn(ctx, "read entitlements of "+in.ObjectID, "account "+in.ObjectID, err)
	}
	var out []policy.Entitlement
	for _, g := range held.Groups {
		out = append(out, policy.Group(g.DisplayName))
	}
	for _, l := range held.Licenses {
		out = append(out, policy.License(l))
	}
	known := map[string]policy.Entitlement{}
	if len(held.AppRoles) > 0 && len(in.AppRoles) > 0 {
		var want []directory.AppRole
		for _, e := range in.AppRoles {
			if e.Kind == policy.KindAppRole {
				want = append(want, directory.AppRole{App: e.App, Role: e.Role})
			}
		}
		resolved, err := d.ResolveAppRoles(ctx, want)
		if err != nil {
			return nil, graphError("resolve app roles", err)
		}
		for r, res := range resolved {
			known[strings.ToLower(res.ResourceID+"/"+res.AppRoleID)] = policy.AppRoleOf(r.App, r.Role)
		}
	}
	for _, r := range held.AppRoles {
		if e, ok := known[strings.ToLower(r.ResourceID+"/"+r.AppRoleID)]; ok {
			out = append(out, e)
		} else if r.Role.App != "" {
			out = append(out, policy.AppRoleOf(r.Role.App, r.Role.Role))
		}
	}
	slices.SortFunc(out, policy.Compare)
	return out, nil
}

// RevokeSessions invalidates an account's sign-in sessions.
func (a *Activities) RevokeSessions(ctx context.Context, objectID string) error {
	d, err := a.dir()
	if err != nil {
		return err
	}
	return a.graphErrorOn(ctx, "revoke sign-in sessions of "+objectID, "account "+objectID, d.RevokeSignInSessions(ctx, objectID))
}

// DeleteAccount soft-deletes an account (a deleted account is success).
func (a *Activities) DeleteAccount(ctx context.Context, objectID string) error {
	d, err := a.dir()
	if err != nil {
		return err
	}
	return graphError("delete account "+objectID, d.DeleteUser(ctx, objectID))
}

// ChooseNamesInput asks for a person's names with a free UPN.
type ChooseNamesInput struct {
	Person policy.Person `json:"person"`
	Naming policy.Naming `json:"naming"`
	Domain string        `json:"domain"`
	// ObjectID is the person's own account, whose addresses count as free.
	ObjectID string `json:"objectId,omitempty"`
	// OwnUPN is the person's current UPN, which counts as free.
	OwnUPN string `json:"ownUpn,omitempty"`
	// Taken are UPNs the caller knows are taken (it lost a create for them),
	// whatever the directory's lookups say: a just-created namesake may not
	// be visible to $filter yet. They count as taken without asking.
	Taken []string `json:"taken,omitempty"`
}

// addressChecker adapts the directory to policy.UPNChecker.
type addressChecker struct {
	d      Directory
	except string
	taken  []string
}

// UPNTaken reports whether another user holds upn as UPN or mail, or the
// caller knows it is taken.
func (c addressChecker) UPNTaken(ctx context.Context, upn string) (bool, error) {
	for _, t := range c.taken {
		if strings.EqualFold(t, upn) {
			return true, nil
		}
	}
	return c.d.AddressTaken(ctx, upn, c.except)
}

// ChooseNames derives the person's names and picks the lowest free UPN,
// asking the directory about each candidate.
func (a *Activities) ChooseNames(ctx context.Context, in ChooseNamesInput) (policy.Names, error) {
	d, err := a.dir()
	if err != nil {
		return policy.Names{}, err
	}
	own := func(upn string) bool { return in.OwnUPN != "" && strings.EqualFold(upn, in.OwnUPN) }
	names, err := in.Naming.UniqueUPN(ctx, in.Person, in.Domain, addressChecker{d: d, except: in.ObjectID, taken: in.Taken}, own)
	switch {
	case err == nil:
		return names, nil
	case errors.Is(err, policy.ErrNoUsableName), errors.Is(err, policy.ErrNoFreeUPN):
		return policy.Names{}, permanent("choose names", ErrTypeNoUsableName, err)
	}
	return policy.Names{}, graphError("choose names", err)
}

// Entra's length limits on the user properties the engine writes (see
// directory.MaxNamePart and the others, which cite the source).
const (
	// MaxEmployeeID is the longest employeeId.
	MaxEmployeeID = directory.MaxEmployeeID
	// MaxNamePart bounds givenName, surname, department, companyName,
	// employeeType and mailNickname.
	MaxNamePart = directory.MaxNamePart
	// MaxJobTitle bounds jobTitle.
	MaxJobTitle = directory.MaxJobTitle
	// MaxDisplayName bounds displayName.
	MaxDisplayName = directory.MaxDisplayName
	// MaxLocalPart bounds the part of a UPN or mail address before the @.
	MaxLocalPart = directory.MaxLocalPart
)

// Fitted returns the spec with every descriptive attribute (names, display
// name, job title, department, company, employee type) shortened to Entra's
// limit, and one warning per shortened attribute naming it, its limit and its
// full value. Identifiers are never shortened: see Check.
func (s AccountSpec) Fitted() (AccountSpec, []string) {
	var warnings []string
	fit := func(field string, v *string, max int) {
		short, cut := directory.FitUTF16(*v, max)
		if !cut {
			return
		}
		warnings = append(warnings, fmt.Sprintf("%s shortened to Entra's %d characters: %q (HR has %q)", field, max, short, *v))
		*v = short
	}
	fit(FieldGivenName, &s.GivenName, MaxNamePart)
	fit(FieldSurname, &s.Surname, MaxNamePart)
	fit(FieldDisplayName, &s.DisplayName, MaxDisplayName)
	for _, f := range orgattr.Table {
		if f.Max > 0 {
			fit(f.Name, f.In(&s.Attributes), f.Max)
		}
	}
	return s, warnings
}

// Check refuses identifiers Entra would refuse, which the engine must not
// shorten or change on its own: an employeeId over 16 characters, a UPN,
// mail or mail nickname that is not plain ASCII (Graph: "can't contain accent
// characters") or whose local part exceeds 64 characters.
func (s AccountSpec) Check() error { return s.checkFields(nil) }

// checkFields is Check for the named fields only (all when fields is nil;
// employeeId is checked only then, since updates never send it).
func (s AccountSpec) checkFields(fields []string) error {
	if fields != nil {
		keep := AccountSpec{}
		for _, f := range fields {
			switch f {
			case FieldUPN:
				keep.UPN = s.UPN
			case FieldMail:
				keep.Mail = s.Mail
			case FieldMailNickname:
				keep.MailNickname = s.MailNickname
			}
		}
		s = keep
	}
	var problems []string
	if n := utf8.RuneCountInString(s.EmployeeID); n > MaxEmployeeID {
		problems = append(problems, fmt.Sprintf("employeeId %q has %d characters; Entra allows %d (fix it in HR)", s.EmployeeID, n, MaxEmployeeID))
	}
	for _, a := range []struct{ field, v string }{{FieldUPN, s.UPN}, {FieldMail, s.Mail}, {FieldMailNickname, s.MailNickname}} {
		if a.v == "" {
			continue
		}
		for _, r := range a.v {
			if r > unicode.MaxASCII || unicode.IsSpace(r) {
				problems = append(problems, fmt.Sprintf("%s %q contains %q; Entra allows no accents or spaces there", a.field, a.v, r))
				break
			}
		}
		local, _, _ := strings.Cut(a.v, "@")
		if len(local) > MaxLocalPart {
			problems = append(problems, fmt.Sprintf("%s %q has %d characters before the @; Entra allows %d", a.field, a.v, len(local), MaxLocalPart))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// withoutMastered drops from an update the properties a user synchronised
// from on-premises Active Directory cannot take (directory.SyncMasteredFields)
// and returns the names of those dropped.
func withoutMastered(u directory.UserAttributes) (directory.UserAttributes, []string) {
	var dropped []string
	drop := func(set bool, name string) bool {
		if set && slices.Contains(directory.SyncMasteredFields, name) {
			dropped = append(dropped, name)
			return true
		}
		return false
	}
	if drop(u.EmployeeID != nil, "employeeId") {
		u.EmployeeID = nil
	}
	if drop(u.GivenName != nil, FieldGivenName) {
		u.GivenName = nil
	}
	if drop(u.Surname != nil, FieldSurname) {
		u.Surname = nil
	}
	if drop(u.DisplayName != nil, FieldDisplayName) {
		u.DisplayName = nil
	}
	if drop(u.UserPrincipalName != nil, FieldUPN) {
		u.UserPrincipalName = nil
	}
	if drop(u.MailNickname != nil, FieldMailNickname) {
		u.MailNickname = nil
	}
	if drop(u.Mail != nil, FieldMail) {
		u.Mail = nil
	}
	if drop(u.JobTitle != nil, orgattr.JobTitle) {
		u.JobTitle = nil
	}
	if drop(u.Department != nil, orgattr.Department) {
		u.Department = nil
	}
	if drop(u.CompanyName != nil, orgattr.CompanyName) {
		u.CompanyName = nil
	}
	if drop(u.EmployeeType != nil, orgattr.EmployeeType) {
		u.EmployeeType = nil
	}
	if drop(u.EmployeeHireDate != nil, FieldHireDate) {
		u.EmployeeHireDate = nil
	}
	if drop(u.CostCenter != nil || u.Division != nil, orgattr.OrgData) {
		u.CostCenter, u.Division = nil, nil
	}
	if drop(u.OfficeLocation != nil, "officeLocation") {
		u.OfficeLocation = nil
	}
	return u, dropped
}

// syncedWarning says which HR values an on-premises synchronised account
// does not take.
func syncedWarning(fields []string) string {
	return "the account is synchronised from on-premises Active Directory: " + strings.Join(fields, ", ") +
		" are mastered there and were not changed (update them in Active Directory); groups, licences and app roles are managed"
}

// passPolicyReader is implemented by directories that can read the tenant's
// Temporary Access Pass policy (*directory.Client does).
type passPolicyReader interface {
	TemporaryAccessPassPolicy(ctx context.Context) (directory.TemporaryAccessPassPolicy, error)
}

// passOptions chooses a pass inside the tenant's Temporary Access Pass
// policy: the lifetime the access policy asks for
// (lifecycle.temporaryAccessPassLifetimeMinutes), else the worker's
// TemporaryAccessPassLifetime, else DefaultTemporaryAccessPassLifetime,
// moved into the tenant's minimum and maximum with a warning; one-time when
// the tenant requires it. A lifetime or usability outside the tenant's
// policy would be refused with 400.
func (a *Activities) passOptions(ctx context.Context, d Directory) (directory.TemporaryAccessPassOptions, []string, error) {
	want := a.TemporaryAccessPassLifetime
	if a.Policy != nil {
		if p, err := a.Policy(ctx); err == nil && p.Lifecycle.TemporaryAccessPassLifetimeMinutes > 0 {
			want = time.Duration(p.Lifecycle.TemporaryAccessPassLifetimeMinutes) * time.Minute
		}
	}
	if want <= 0 {
		want = DefaultTemporaryAccessPassLifetime
	}
	tenant := directory.DefaultTemporaryAccessPassPolicy
	if r, ok := d.(passPolicyReader); ok {
		var err error
		if tenant, err = r.TemporaryAccessPassPolicy(ctx); err != nil {
			return directory.TemporaryAccessPassOptions{}, nil, graphError("read the Temporary Access Pass policy", err)
		}
	}
	var warnings []string
	lifetime, moved := tenant.Clamp(want)
	if moved {
		warnings = append(warnings, fmt.Sprintf("Temporary Access Pass lifetime %s is outside the tenant's %s to %s: issued for %s",
			want, tenant.Minimum, tenant.Maximum, lifetime))
	}
	return directory.TemporaryAccessPassOptions{Lifetime: lifetime, UsableOnce: tenant.UsableOnce}, warnings, nil
}

// hireLooker is implemented by directories that answer a hire's lookups in
// one request (*directory.Client, and the audit decorator over it).
type hireLooker interface {
	LookUpHire(ctx context.Context, q directory.HireLookup) (directory.HireLookupResult, error)
}

// lookAheadNames is how many candidate UPNs (the base and its first numbered
// variants) a hire's lookup checks at once; further ones are asked one by one.
const lookAheadNames = 3

// LookUpHireInput is what a hire looks up before it writes.
type LookUpHireInput struct {
	EmployeeID string `json:"employeeId"`
	// KnownObjectID is the account of an earlier employment (see FindAccountInput).
	KnownObjectID     string `json:"knownObjectId,omitempty"`
	ManagerEmployeeID string `json:"managerEmployeeId,omitempty"`
	// Person, Naming and Domain give the names to choose for a new account.
	Person policy.Person `json:"person"`
	Naming policy.Naming `json:"naming"`
	Domain string        `json:"domain"`
	// Holdings asks, for an account found by employee id, what it already
	// holds of Entitlements, which manager it has, and whether Fields of
	// Spec are in line (LookUpHireResult.Holdings), so the hire writes only
	// what is missing.
	Holdings     bool                 `json:"holdings,omitempty"`
	Entitlements []policy.Entitlement `json:"entitlements,omitempty"`
	Spec         AccountSpec          `json:"spec,omitzero"`
	Fields       []string             `json:"fields,omitempty"`
	// HRHolds, when set, is the work contact HR's record holds: for an account
	// found, the result says whether the hire must write its addresses back.
	HRHolds *hr.WorkContact `json:"hrHolds,omitempty"`
}

// HireHoldings is what an account found by a hire's lookup already holds.
type HireHoldings struct {
	// Missing are the entitlements asked for that the account does not hold.
	Missing []policy.Entitlement `json:"missing,omitempty"`
	// ManagerObjectID is the account's manager now ("" when none).
	ManagerObjectID string `json:"managerObjectId,omitempty"`
	// AttributesInLine is true when every asked field already has the
	// value the spec gives it (UpdateAccount would write nothing).
	AttributesInLine bool `json:"attributesInLine"`
	// Warnings are those UpdateAccount would report (values shortened).
	Warnings []string `json:"warnings,omitempty"`
}

// LookUpHireResult is what a hire found: the account (Found false when
// there is none), the names with the lowest free UPN when there is none, and
// the manager's account.
type LookUpHireResult struct {
	Account Account      `json:"account"`
	Names   policy.Names `json:"names"`
	// ManagerFound is false when the manager has no account yet (or none was named).
	ManagerFound    bool   `json:"managerFound"`
	ManagerObjectID string `json:"managerObjectId,omitempty"`
	// Holdings, when asked for and the account was found by employee id.
	Holdings *HireHoldings `json:"holdings,omitempty"`
	// WriteBackNeeded, for an account found when HRHolds was given, is true
	// when writing the account's addresses back would change what HR holds
	// (hr.NeedsWriteBack; false for a source without write-back).
	WriteBackNeeded bool `json:"writeBackNeeded,omitempty"`
}

// HireContact is the work contact a hire writes back to HR for account acc:
// its mail (else the spec's, else its UPN) and its UPN.
func HireContact(acc Account, spec AccountSpec) hr.WorkContact {
	mail := acc.Mail
	if mail == "" {
		mail = spec.Mail
	}
	if mail == "" {
		mail = acc.UPN
	}
	return hr.WorkContact{Email: mail, UPN: acc.UPN}
}

// LookUpHire answers, in one Graph round trip where the directory can
// ($batch of three reads), what FindAccount, ChooseNames and the manager
// lookup of LinkManager answer in up to seven: the account carrying the
// employee id, the manager's account, and whether the first candidate UPNs
// are taken. An account found is returned as FindAccount would (including
// the restore of KnownObjectID when nobody carries the id); otherwise Names
// holds the lowest free UPN.
func (a *Activities) LookUpHire(ctx context.Context, in LookUpHireInput) (LookUpHireResult, error) {
	d, err := a.dir()
	if err != nil {
		return LookUpHireResult{}, err
	}
	l, ok := d.(hireLooker)
	if !ok {
		return a.lookUpHireOneByOne(ctx, d, in)
	}
	candidates, err := candidateUPNs(in.Naming, in.Person, in.Domain, lookAheadNames)
	if err != nil {
		return LookUpHireResult{}, permanent("choose names", ErrTypeNoUsableName, err)
	}
	found, err := l.LookUpHire(ctx, directory.HireLookup{EmployeeID: in.EmployeeID, ManagerEmployeeID: in.ManagerEmployeeID, Addresses: candidates})
	if errors.Is(err, errNoHireLookup) {
		return a.lookUpHireOneByOne(ctx, d, in)
	}
	if err != nil {
		return LookUpHireResult{}, graphError("look up hire "+in.EmployeeID, err)
	}
	out := LookUpHireResult{ManagerFound: found.ManagerFound}
	if found.ManagerFound {
		out.ManagerObjectID = found.Manager.ID
	}
	if found.Found {
		out.Account = accountOf(found.Account)
		if in.Holdings {
			h, err := a.hireHoldings(ctx, d, found.Account, in)
			if err != nil {
				return LookUpHireResult{}, err
			}
			out.Holdings = &h
		}
		if in.HRHolds != nil {
			out.WriteBackNeeded = hr.NeedsWriteBack(a.HR, *in.HRHolds, HireContact(out.Account, in.Spec))
		}
		return out, nil
	}
	if in.KnownObjectID != "" {
		acc, err := a.FindAccount(ctx, FindAccountInput{EmployeeID: in.EmployeeID, KnownObjectID: in.KnownObjectID})
		if err != nil || acc.Found {
			out.Account = acc
			return out, err
		}
	}
	known := map[string]bool{}
	for _, c := range candidates {
		known[strings.ToLower(c)] = len(found.Holders[strings.ToLower(c)]) > 0
	}
	names, err := in.Naming.UniqueUPN(ctx, in.Person, in.Domain, prefetched{known: known, next: addressChecker{d: d}}, nil)
	switch {
	case err == nil:
		out.Names = names
		return out, nil
	case errors.Is(err, policy.ErrNoUsableName), errors.Is(err, policy.ErrNoFreeUPN):
		return LookUpHireResult{}, permanent("choose names", ErrTypeNoUsableName, err)
	}
	return LookUpHireResult{}, graphError("choose names", err)
}

// lookUpHireOneByOne is LookUpHire for a directory without the batched lookup.
func (a *Activities) lookUpHireOneByOne(ctx context.Context, d Directory, in LookUpHireInput) (LookUpHireResult, error) {
	var out LookUpHireResult
	if in.ManagerEmployeeID != "" {
		m, ok, err := d.FindUserByEmployeeID(ctx, in.ManagerEmployeeID)
		if err != nil {
			return LookUpHireResult{}, graphError("find manager "+in.ManagerEmployeeID, err)
		}
		out.ManagerFound, out.ManagerObjectID = ok, m.ID
	}
	acc, err := a.FindAccount(ctx, FindAccountInput{EmployeeID: in.EmployeeID, KnownObjectID: in.KnownObjectID})
	if err != nil || acc.Found {
		out.Account = acc
		return out, err
	}
	out.Names, err = a.ChooseNames(ctx, ChooseNamesInput{Person: in.Person, Naming: in.Naming, Domain: in.Domain})
	return out, err
}

// holdingsReader is implemented by directories that read what an account
// holds in one request (*directory.Client, and the audit decorator over it).
type holdingsReader interface {
	Holdings(ctx context.Context, userID string) (directory.Holdings, error)
}

// errNoHoldings is the audit decorator's answer when the directory it wraps
// has no batched read of an account's holdings.
var errNoHoldings = errors.New("the directory has no batched read of holdings")

// hireHoldings reads what account u holds (one $batch where the directory
// can) and compares it with what the hire in asks for. Group names and app
// roles are compared by the ids they resolve to (cached), licences by
// skuPartNumber; a licence held through a group counts as held, as
// everywhere in the engine.
func (a *Activities) hireHoldings(ctx context.Context, d Directory, u directory.User, in LookUpHireInput) (HireHoldings, error) {
	var held directory.Holdings
	err := errNoHoldings
	if r, ok := d.(holdingsReader); ok {
		held, err = r.Holdings(ctx, u.ID)
	}
	if errors.Is(err, errNoHoldings) {
		held.Entitlements, err = d.Entitlements(ctx, u.ID)
		if err == nil {
			held.ManagerID, err = d.ManagerID(ctx, u.ID)
		}
	}
	if err != nil {
		return HireHoldings{}, a.graphErrorOn(ctx, "read what "+u.ID+" holds", "account "+u.ID, err)
	}
	out := HireHoldings{ManagerObjectID: held.ManagerID}
	diff, warnings, err := accountDiff(u, in.Spec, in.Fields)
	if err != nil {
		return HireHoldings{}, permanent("update account "+u.ID, ErrTypeInvalidInput, err)
	}
	out.AttributesInLine, out.Warnings = diff.IsEmpty(), warnings

	groups, _, roles := split(in.Entitlements)
	heldGroups := map[string]bool{}
	for _, g := range held.Groups {
		heldGroups[strings.ToLower(g.ID)] = true
	}
	heldLicences := map[string]bool{}
	for _, l := range held.Licenses {
		heldLicences[strings.ToLower(l)] = true
	}
	heldRoles := map[string]bool{}
	for _, r := range held.AppRoles {
		heldRoles[strings.ToLower(r.ResourceID+"/"+r.AppRoleID)] = true
	}
	groupIDs := map[string]string{}
	if len(groups) > 0 {
		if groupIDs, err = d.ResolveGroups(ctx, groups); err != nil {
			return HireHoldings{}, graphError("resolve groups", err)
		}
	}
	resolved := map[directory.AppRole]directory.ResolvedAppRole{}
	if len(roles) > 0 {
		if resolved, err = d.ResolveAppRoles(ctx, roles); err != nil {
			return HireHoldings{}, graphError("resolve app roles", err)
		}
	}
	for _, e := range in.Entitlements {
		var has bool
		switch e.Kind {
		case policy.KindGroup:
			id, ok := groupIDs[e.Name]
			has = ok && heldGroups[strings.ToLower(id)]
		case policy.KindLicense:
			has = heldLicences[strings.ToLower(e.Name)]
		case policy.KindAppRole:
			r, ok := resolved[directory.AppRole{App: e.App, Role: e.Role}]
			has = ok && heldRoles[strings.ToLower(r.ResourceID+"/"+r.AppRoleID)]
		}
		if !has {
			out.Missing = append(out.Missing, e)
		}
	}
	return out, nil
}

// errNoHireLookup is the audit decorator's answer when the directory it
// wraps has no batched lookup.
var errNoHireLookup = errors.New("the directory has no batched hire lookup")

// candidateUPNs returns the first n UPNs UniqueUPN would try, in order.
func candidateUPNs(n policy.Naming, p policy.Person, domain string, count int) ([]string, error) {
	rec := &recordingChecker{limit: count}
	_, err := n.UniqueUPN(context.Background(), p, domain, rec, nil)
	if err != nil && !errors.Is(err, errEnoughCandidates) && !errors.Is(err, policy.ErrNoFreeUPN) {
		return nil, err
	}
	return rec.seen, nil
}

// errEnoughCandidates stops recordingChecker's walk.
var errEnoughCandidates = errors.New("enough candidates")

// recordingChecker calls every candidate taken and records it, up to limit.
type recordingChecker struct {
	limit int
	seen  []string
}

func (r *recordingChecker) UPNTaken(_ context.Context, upn string) (bool, error) {
	if len(r.seen) >= r.limit {
		return false, errEnoughCandidates
	}
	r.seen = append(r.seen, upn)
	return true, nil
}

// prefetched answers for the candidates a lookup already checked and asks
// next about the others.
type prefetched struct {
	known map[string]bool
	next  policy.UPNChecker
}

func (p prefetched) UPNTaken(ctx context.Context, upn string) (bool, error) {
	if taken, ok := p.known[strings.ToLower(upn)]; ok {
		return taken, nil
	}
	return p.next.UPNTaken(ctx, upn)
}
