package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// userSelect is the $select of every user read: employeeId and
// employeeLeaveDateTime, among others, are returned only when selected
// (https://learn.microsoft.com/graph/api/resources/user#properties).
var userSelect = []string{
	"id", "employeeId", "givenName", "surname", "displayName", "userPrincipalName",
	"mailNickname", "mail", "jobTitle", "department", "companyName", "employeeType",
	"employeeHireDate", "employeeLeaveDateTime", "employeeOrgData", "officeLocation",
	"usageLocation", "accountEnabled", "proxyAddresses",
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func fromModel(m models.Userable) User {
	u := User{
		ID:                str(m.GetId()),
		EmployeeID:        str(m.GetEmployeeId()),
		GivenName:         str(m.GetGivenName()),
		Surname:           str(m.GetSurname()),
		DisplayName:       str(m.GetDisplayName()),
		UserPrincipalName: str(m.GetUserPrincipalName()),
		MailNickname:      str(m.GetMailNickname()),
		Mail:              str(m.GetMail()),
		JobTitle:          str(m.GetJobTitle()),
		Department:        str(m.GetDepartment()),
		CompanyName:       str(m.GetCompanyName()),
		EmployeeType:      str(m.GetEmployeeType()),
		OfficeLocation:    str(m.GetOfficeLocation()),
		UsageLocation:     str(m.GetUsageLocation()),
		ProxyAddresses:    m.GetProxyAddresses(),
	}
	if t := m.GetEmployeeHireDate(); t != nil {
		u.EmployeeHireDate = t.UTC()
	}
	if t := m.GetEmployeeLeaveDateTime(); t != nil {
		u.EmployeeLeaveDateTime = t.UTC()
	}
	if org := m.GetEmployeeOrgData(); org != nil {
		u.CostCenter = str(org.GetCostCenter())
		u.Division = str(org.GetDivision())
	}
	if b := m.GetAccountEnabled(); b != nil {
		u.AccountEnabled = *b
	}
	if b := m.GetOnPremisesSyncEnabled(); b != nil {
		u.OnPremisesSyncEnabled = *b
	}
	return u
}

// attributesOf turns a full User into an update setting every attribute it
// has (used on create, where empty means "not given").
func attributesOf(u User) UserAttributes {
	var a UserAttributes
	set := func(v string) *string {
		if v == "" {
			return nil
		}
		return ptr(v)
	}
	a.EmployeeID = set(u.EmployeeID)
	a.GivenName = set(u.GivenName)
	a.Surname = set(u.Surname)
	a.DisplayName = set(u.DisplayName)
	a.UserPrincipalName = set(u.UserPrincipalName)
	a.MailNickname = set(u.MailNickname)
	a.Mail = set(u.Mail)
	a.JobTitle = set(u.JobTitle)
	a.Department = set(u.Department)
	a.CompanyName = set(u.CompanyName)
	a.EmployeeType = set(u.EmployeeType)
	if !u.EmployeeHireDate.IsZero() {
		a.EmployeeHireDate = ptr(u.EmployeeHireDate)
	}
	if !u.EmployeeLeaveDateTime.IsZero() {
		a.EmployeeLeaveDateTime = ptr(u.EmployeeLeaveDateTime)
	}
	a.CostCenter = set(u.CostCenter)
	a.Division = set(u.Division)
	a.OfficeLocation = set(u.OfficeLocation)
	a.UsageLocation = set(u.UsageLocation)
	a.AccountEnabled = ptr(u.AccountEnabled)
	return a
}

// toModel builds the SDK user for a partial update. Clearing an attribute
// needs an explicit JSON null, which the SDK writes for a nil entry of the
// model's additional data (its typed setters omit nil).
func toModel(a UserAttributes) models.Userable {
	m := models.NewUser()
	clear := map[string]any{}
	s := func(p *string, name string, set func(*string)) {
		if p == nil {
			return
		}
		if *p == "" {
			clear[name] = nil
			return
		}
		set(ptr(*p))
	}
	t := func(p *time.Time, name string, set func(*time.Time)) {
		if p == nil {
			return
		}
		if p.IsZero() {
			clear[name] = nil
			return
		}
		set(ptr(p.UTC()))
	}
	s(a.EmployeeID, "employeeId", m.SetEmployeeId)
	s(a.GivenName, "givenName", m.SetGivenName)
	s(a.Surname, "surname", m.SetSurname)
	s(a.DisplayName, "displayName", m.SetDisplayName)
	s(a.UserPrincipalName, "userPrincipalName", m.SetUserPrincipalName)
	s(a.MailNickname, "mailNickname", m.SetMailNickname)
	s(a.Mail, "mail", m.SetMail)
	s(a.JobTitle, "jobTitle", m.SetJobTitle)
	s(a.Department, "department", m.SetDepartment)
	s(a.CompanyName, "companyName", m.SetCompanyName)
	s(a.EmployeeType, "employeeType", m.SetEmployeeType)
	t(a.EmployeeHireDate, "employeeHireDate", m.SetEmployeeHireDate)
	t(a.EmployeeLeaveDateTime, "employeeLeaveDateTime", m.SetEmployeeLeaveDateTime)
	if a.CostCenter != nil || a.Division != nil {
		org := models.NewEmployeeOrgData()
		if a.CostCenter != nil && *a.CostCenter != "" {
			org.SetCostCenter(ptr(*a.CostCenter))
		}
		if a.Division != nil && *a.Division != "" {
			org.SetDivision(ptr(*a.Division))
		}
		m.SetEmployeeOrgData(org)
	}
	s(a.OfficeLocation, "officeLocation", m.SetOfficeLocation)
	s(a.UsageLocation, "usageLocation", m.SetUsageLocation)
	if a.AccountEnabled != nil {
		m.SetAccountEnabled(ptr(*a.AccountEnabled))
	}
	if len(clear) > 0 {
		m.SetAdditionalData(clear)
	}
	return m
}

// GetUser reads a user by object id or UPN.
func (c *Client) GetUser(ctx context.Context, id string) (User, error) {
	o := op{"get user " + id, permUserRead}
	var m models.Userable
	err := c.withSelect(ctx, func(ctx context.Context) error {
		var err error
		m, err = c.graph.Users().ByUserId(id).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: c.selectUser()},
		})
		return classify(o, err)
	})
	if err != nil {
		return User{}, err
	}
	return fromModel(m), nil
}

// findUsers lists the users matching one eq filter (at most two are read:
// enough to tell one from several).
func (c *Client) findUsers(ctx context.Context, o op, property, value string) ([]User, error) {
	// Lookups read the basic property set: whoever acts on the user reads it
	// by id (GetUser) with the extended one.
	cfg := &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
			Filter: ptr(eqFilter(property, value)),
			Select: userSelect,
			Top:    ptr(int32(2)),
		},
	}
	if NeedsAdvancedQuery(*cfg.QueryParameters.Filter) {
		cfg.Headers = abstractions.NewRequestHeaders()
		cfg.Headers.Add("ConsistencyLevel", "eventual")
		cfg.QueryParameters.Count = ptr(true)
	}
	resp, err := c.graph.Users().Get(ctx, cfg)
	if err != nil {
		return nil, classify(o, err)
	}
	var out []User
	for _, m := range resp.GetValue() {
		out = append(out, fromModel(m))
	}
	return out, nil
}

// findOne is findUsers for a property that should identify one user.
func (c *Client) findOne(ctx context.Context, o op, property, value string) (User, bool, error) {
	if value == "" {
		return User{}, false, newError(o, KindInvalidValue, property+" is empty", nil)
	}
	found, err := c.findUsers(ctx, o, property, value)
	if err != nil {
		return User{}, false, err
	}
	return single(o, property, value, found)
}

// FindUserByEmployeeID returns the user whose employeeId is employeeID.
// Several users with the same employeeId are a KindConflict error.
func (c *Client) FindUserByEmployeeID(ctx context.Context, employeeID string) (User, bool, error) {
	return c.findOne(ctx, op{"find user by employeeId " + employeeID, permUserRead}, "employeeId", employeeID)
}

// FindUserByUPN returns the user whose userPrincipalName is upn.
func (c *Client) FindUserByUPN(ctx context.Context, upn string) (User, bool, error) {
	return c.findOne(ctx, op{"find user by userPrincipalName " + upn, permUserRead}, "userPrincipalName", upn)
}

// FindUserByMail returns the user whose mail is address.
func (c *Client) FindUserByMail(ctx context.Context, address string) (User, bool, error) {
	return c.findOne(ctx, op{"find user by mail " + address, permUserRead}, "mail", address)
}

// AddressTaken reports whether address is the UPN or the mail of a user
// other than exceptID (the collision check before choosing a UPN).
func (c *Client) AddressTaken(ctx context.Context, address, exceptID string) (bool, error) {
	o := op{"check address " + address, permUserRead}
	for _, prop := range []string{"userPrincipalName", "mail"} {
		found, err := c.findUsers(ctx, o, prop, address)
		if err != nil {
			return false, err
		}
		for _, u := range found {
			if u.ID != exceptID {
				return true, nil
			}
		}
	}
	return false, nil
}

// CreateUser creates u (EmployeeID, UserPrincipalName, DisplayName and
// MailNickname are required; AccountEnabled says whether it may sign in) with
// a random initial password that must be changed, and returns the created
// user and true. It is idempotent: when a user with u.EmployeeID exists it is
// returned with false and nothing is written; when the create is refused
// because the UPN is taken by a user with the same employeeId (the reply to
// an earlier attempt was lost) that user is returned with false.
//
// Under a context from WithKnownAbsent the lookup before the POST is left out:
// the caller has just found nobody with the employee id. A create refused
// because the UPN is taken still finds its own earlier account (see
// conflictHolder).
func (c *Client) CreateUser(ctx context.Context, u User) (User, bool, error) {
	o := op{"create user " + u.EmployeeID, permUserReadWrite}
	for _, req := range []struct{ v, name string }{
		{u.EmployeeID, "employeeId"}, {u.UserPrincipalName, "userPrincipalName"},
		{u.DisplayName, "displayName"}, {u.MailNickname, "mailNickname"},
	} {
		if req.v == "" {
			return User{}, false, newError(o, KindInvalidValue, req.name+" is required to create a user", nil)
		}
	}
	if !knownAbsent(ctx) {
		if existing, ok, err := c.FindUserByEmployeeID(ctx, u.EmployeeID); err != nil {
			return User{}, false, err
		} else if ok {
			c.log.Info("user already exists", "employeeId", u.EmployeeID, "id", existing.ID)
			return existing, false, nil
		}
	}

	m := toModel(attributesOf(u))
	pw, err := c.pwSource()
	if err != nil {
		return User{}, false, newError(o, KindUnexpected, "generate initial password", err)
	}
	profile := models.NewPasswordProfile()
	profile.SetPassword(&pw)
	profile.SetForceChangePasswordNextSignIn(ptr(true))
	m.SetPasswordProfile(profile)
	if !u.EmployeeLeaveDateTime.IsZero() {
		o.perm = permUserReadWrite + " and " + permLifeCycle + " (for employeeLeaveDateTime)"
	}

	created, err := c.graph.Users().Post(ctx, m, nil)
	if err == nil {
		// The reply holds only Graph's default property set (no employeeId,
		// for one), so the result is what was sent plus what Graph assigned.
		got := fromModel(created)
		out := u
		out.ID = got.ID
		out.ProxyAddresses = got.ProxyAddresses
		if got.Mail != "" {
			out.Mail = got.Mail
		}
		c.log.Info("user created", "employeeId", u.EmployeeID, "id", out.ID, "upn", out.UserPrincipalName)
		return out, true, nil
	}
	cerr := classify(o, err)
	if KindOf(cerr) != KindConflict {
		return User{}, false, cerr
	}
	// The UPN (or mail nickname) is taken: by this very person after a lost
	// reply, or by someone else.
	return c.conflictHolder(ctx, o, u, cerr)
}

// conflictHolder finds who holds the address a create was refused for. The
// refusal proves a holder exists, but Entra ID is eventually consistent: a
// user created seconds ago (by an earlier attempt whose reply was lost) may
// not be returned by a $filter yet, so the holder is read by key first
// (GET /users/{upn}), then by mail. The holder carrying u's employeeId is
// the account an earlier attempt created and is returned with false. A
// holder that is someone else makes the KindConflict error name it. When no
// holder is visible at all, the answer is KindNotYetVisible: the caller waits
// and tries again rather than choosing another name, which would create a
// second account for the same person.
func (c *Client) conflictHolder(ctx context.Context, o op, u User, cerr error) (User, bool, error) {
	var de *Error
	errors.As(cerr, &de)
	holder, err := c.GetUser(ctx, u.UserPrincipalName)
	found := err == nil
	if err != nil && KindOf(err) != KindNotFound {
		return User{}, false, errors.Join(cerr, err)
	}
	if !found {
		var ferr error
		holder, found, ferr = c.FindUserByMail(ctx, u.UserPrincipalName)
		if ferr != nil {
			return User{}, false, errors.Join(cerr, ferr)
		}
	}
	switch {
	case found && strings.EqualFold(holder.EmployeeID, u.EmployeeID):
		c.log.Info("user found after a conflicting create", "employeeId", u.EmployeeID, "id", holder.ID)
		return holder, false, nil
	case found:
		if de != nil {
			de.Message = fmt.Sprintf("userPrincipalName %s belongs to another user (id %s, employeeId %q): choose another UPN (Graph said: %s)",
				u.UserPrincipalName, holder.ID, holder.EmployeeID, de.Message)
		}
		return User{}, false, cerr
	}
	msg := fmt.Sprintf("%s is taken but no user holding it is visible yet (Entra replication lag, or a deleted user keeps it)", u.UserPrincipalName)
	if de != nil {
		msg += " (Graph said: " + de.Message + ")"
	}
	return User{}, false, &Error{Kind: KindNotYetVisible, Op: o.name, Message: msg, Err: cerr}
}

// PatchUser sends the non-nil attributes of a to user id (object id or
// UPN). An empty update sends nothing.
func (c *Client) PatchUser(ctx context.Context, id string, a UserAttributes) error {
	fields := a.Fields()
	if len(fields) == 0 {
		return nil
	}
	o := op{"update user " + id + " (" + strings.Join(fields, ", ") + ")", permUserReadWrite}
	if a.EmployeeLeaveDateTime != nil {
		o.perm = permLifeCycle + " (to set employeeLeaveDateTime) and " + permUserReadWrite
	} else if a.AccountEnabled != nil && len(fields) == 1 {
		o.perm = permEnableDisable
	}
	if _, err := c.graph.Users().ByUserId(id).Patch(ctx, toModel(a), nil); err != nil {
		return classify(o, err)
	}
	c.log.Info("user updated", "id", id, "fields", fields)
	return nil
}

// UpdateUser brings user id's attributes to desired (see Diff) with one
// read and, when anything differs, one PATCH of the changed attributes only.
// It returns the names of the properties it changed.
func (c *Client) UpdateUser(ctx context.Context, id string, desired User) ([]string, error) {
	cur, err := c.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	d := Diff(cur, desired)
	if d.IsEmpty() {
		return nil, nil
	}
	if err := c.PatchUser(ctx, id, d); err != nil {
		return nil, err
	}
	return d.Fields(), nil
}

// EnableUser allows sign-in. Enabling an enabled account is success.
func (c *Client) EnableUser(ctx context.Context, id string) error {
	return c.PatchUser(ctx, id, UserAttributes{AccountEnabled: ptr(true)})
}

// DisableUser blocks sign-in. Disabling a disabled account is success: the
// PATCH is idempotent, so no read precedes it.
func (c *Client) DisableUser(ctx context.Context, id string) error {
	return c.PatchUser(ctx, id, UserAttributes{AccountEnabled: ptr(false)})
}

// SetManager makes managerID the manager of id (PUT manager/$ref, which
// replaces any previous manager and is idempotent;
// https://learn.microsoft.com/graph/api/user-post-manager).
func (c *Client) SetManager(ctx context.Context, id, managerID string) error {
	o := op{"set manager of " + id + " to " + managerID, permUserReadWrite}
	ref := models.NewReferenceUpdate()
	ref.SetOdataId(ptr(c.baseURL + "/users/" + managerID))
	if err := c.graph.Users().ByUserId(id).Manager().Ref().Put(ctx, ref, nil); err != nil {
		return classify(o, err)
	}
	return nil
}

// ClearManager removes id's manager. A user without a manager is success.
func (c *Client) ClearManager(ctx context.Context, id string) error {
	o := op{"clear manager of " + id, permUserReadWrite}
	err := classify(o, c.graph.Users().ByUserId(id).Manager().Ref().Delete(ctx, nil))
	if KindOf(err) == KindNotFound {
		return nil
	}
	return err
}

// ManagerID returns the object id of id's manager, "" when it has none.
func (c *Client) ManagerID(ctx context.Context, id string) (string, error) {
	o := op{"get manager of " + id, permUserRead}
	m, err := c.graph.Users().ByUserId(id).Manager().Get(ctx, &users.ItemManagerRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemManagerRequestBuilderGetQueryParameters{Select: []string{"id"}},
	})
	if err != nil {
		err = classify(o, err)
		if KindOf(err) == KindNotFound {
			// 404 means "no manager" when the user exists; tell the two apart.
			if _, gerr := c.GetUser(ctx, id); gerr != nil {
				return "", gerr
			}
			return "", nil
		}
		return "", err
	}
	return str(m.GetId()), nil
}

// DeleteUser soft-deletes the user: it moves to deleted items, restorable
// for 30 days (https://learn.microsoft.com/graph/api/user-delete). A user
// already gone is success.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	o := op{"delete user " + id, permUserDeleteRestor}
	err := classify(o, c.graph.Users().ByUserId(id).Delete(ctx, nil))
	if KindOf(err) == KindNotFound {
		return nil
	}
	if err == nil {
		c.log.Info("user deleted", "id", id)
	}
	return err
}

// RestoreUser brings a soft-deleted user back
// (https://learn.microsoft.com/graph/api/directory-deleteditems-restore). A
// user that is not deleted (restored before) is success; a user gone for good
// is KindNotFound.
func (c *Client) RestoreUser(ctx context.Context, id string) (User, error) {
	o := op{"restore user " + id, permUserDeleteRestor}
	_, err := c.graph.Directory().DeletedItems().ByDirectoryObjectId(id).Restore().Post(ctx, nil)
	if err != nil {
		err = classify(o, err)
		if KindOf(err) != KindNotFound {
			return User{}, err
		}
		u, gerr := c.GetUser(ctx, id)
		if gerr != nil {
			if KindOf(gerr) == KindNotFound {
				return User{}, newError(o, KindNotFound, "the user is neither active nor in deleted items (deleted more than 30 days ago?)", err)
			}
			return User{}, gerr
		}
		return u, nil
	}
	c.log.Info("user restored", "id", id)
	return c.GetUser(ctx, id)
}

// ListUsers calls fn for every user in the tenant, reading 999 per page with
// $select and following @odata.nextLink
// (https://learn.microsoft.com/graph/paging). fn's error stops the listing
// and is returned.
func (c *Client) ListUsers(ctx context.Context, fn func(User) error) error {
	return c.withSelect(ctx, func(ctx context.Context) error {
		return c.listUsers(ctx, c.selectUser(), func(m models.Userable) error { return fn(fromModel(m)) })
	})
}

// ListUsersWithLicenses is ListUsers with every user's licences read in the
// same pages (User.Licenses, and User.InheritedLicenses for those held only
// through a group, from licenseAssignmentStates): assignedLicenses is added to the $select
// (https://learn.microsoft.com/graph/api/user-list, "assignedLicenses" under
// https://learn.microsoft.com/graph/api/resources/user#properties), so one
// paged listing gives reconciliation both the accounts and their licences.
// Graph returns skuIds; User.Licenses holds their skuPartNumbers, named
// through the cached subscribedSkus (read first: when that fails the listing
// fails, rather than report licences nobody can match). A skuId the tenant no
// longer subscribes to is kept as the id.
func (c *Client) ListUsersWithLicenses(ctx context.Context, fn func(User) error) error {
	skus, err := c.SubscribedSKUs(ctx)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(skus))
	for _, s := range skus {
		names[strings.ToLower(s.ID)] = s.SkuPartNumber
	}
	name := func(id string) string {
		if n, ok := names[strings.ToLower(id)]; ok {
			return n
		}
		return id
	}
	// A page read with the extended $select is not repeated after the
	// fallback: the first page fails before fn sees any user.
	return c.withSelect(ctx, func(ctx context.Context) error {
		sel := append(c.selectUser(), c.selectLicenses()[1:]...)
		return c.listUsers(ctx, sel, func(m models.Userable) error {
			u := fromModel(m)
			all, inherited := licenceAssignment(m)
			u.Licenses = make([]string, 0, len(all))
			for _, id := range all {
				u.Licenses = append(u.Licenses, name(id))
			}
			for _, id := range inherited {
				u.InheritedLicenses = append(u.InheritedLicenses, name(id))
			}
			return fn(u)
		})
	})
}

// listUsers pages through GET /users with the given $select, 999 a page.
func (c *Client) listUsers(ctx context.Context, sel []string, fn func(models.Userable) error) error {
	o := op{"list users", permUserRead}
	resp, err := c.graph.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: sel, Top: ptr(int32(maxTop))},
	})
	for {
		if err != nil {
			return classify(o, err)
		}
		for _, m := range resp.GetValue() {
			if ferr := fn(m); ferr != nil {
				return ferr
			}
		}
		next := str(resp.GetOdataNextLink())
		if next == "" {
			return nil
		}
		resp, err = c.graph.Users().WithUrl(next).Get(ctx, nil)
	}
}

// randomPassword makes an initial password of 24 characters from all four
// character classes (Entra's complexity rule needs three of four). Nobody
// ever sees it: the person signs in with a Temporary Access Pass.
func randomPassword() (string, error) {
	classes := []string{"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#$%^&*-_=+?"}
	all := strings.Join(classes, "")
	pick := func(set string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, err
		}
		return set[n.Int64()], nil
	}
	out := make([]byte, 0, 24)
	for _, cls := range classes {
		b, err := pick(cls)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for len(out) < 24 {
		b, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	// Shuffle so the class order is not fixed.
	for i := len(out) - 1; i > 0; i-- {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		j := n.Int64()
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

type knownAbsentKey struct{}

// WithKnownAbsent marks a context whose caller has just looked for the user
// by employee id and found none: CreateUser then skips its own lookup (one
// Graph read and one round trip less per hire).
func WithKnownAbsent(ctx context.Context) context.Context {
	return context.WithValue(ctx, knownAbsentKey{}, true)
}

func knownAbsent(ctx context.Context) bool {
	v, _ := ctx.Value(knownAbsentKey{}).(bool)
	return v
}
