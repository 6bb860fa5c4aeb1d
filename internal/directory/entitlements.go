package directory

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/google/uuid"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// Grant is a set of entitlements to give one user in one go.
type Grant struct {
	// ManagerID, when set, becomes the user's manager.
	ManagerID string
	// GroupIDs are groups to add the user to.
	GroupIDs []string
	// Licenses are skuPartNumbers to assign.
	Licenses []string
	// AppRoles are app roles to assign.
	AppRoles []AppRole
}

// Grant gives user userID everything in g with a single $batch request (20
// steps per envelope): manager, licences and app roles; group memberships go
// beside it, folded with concurrent additions to the same groups
// (Config.GroupAddWindow), or inside the $batch when folding is off.
// Names are resolved through the caches first. What the user already holds is
// success, so Grant can be repeated; on failure the first permanent error is
// returned (else the retryable one with the longest Retry-After) and what
// succeeded stays.
func (c *Client) Grant(ctx context.Context, userID string, g Grant) error {
	var steps []batchStep
	if g.ManagerID != "" {
		o := op{"set manager of " + userID + " to " + g.ManagerID, permUserReadWrite}
		ref := models.NewReferenceUpdate()
		ref.SetOdataId(ptr(c.baseURL + "/users/" + g.ManagerID))
		info, err := c.graph.Users().ByUserId(userID).Manager().Ref().ToPutRequestInformation(ctx, ref, nil)
		if err != nil {
			return newError(o, KindUnexpected, "build request", err)
		}
		steps = append(steps, batchStep{info: info, op: o})
	}
	if c.members == nil {
		gs, err := c.addGroupSteps(ctx, userID, g.GroupIDs)
		if err != nil {
			return err
		}
		steps = append(steps, gs...)
	}
	if len(g.Licenses) > 0 {
		info, o, err := c.assignLicenseRequest(ctx, userID, g.Licenses, nil)
		if err != nil {
			return err
		}
		steps = append(steps, batchStep{info: info, op: o})
	}
	if len(g.AppRoles) > 0 {
		resolved, err := c.ResolveAppRoles(ctx, g.AppRoles)
		if err != nil {
			return err
		}
		for _, r := range g.AppRoles {
			info, o, err := c.appRoleRequest(ctx, userID, r, resolved[r])
			if err != nil {
				return err
			}
			steps = append(steps, batchStep{info: info, op: o, done: duplicateAssignment})
		}
	}
	// Group additions, when folded with other hires' additions to the same
	// groups, run beside the $batch of the rest.
	var groupErr error
	var wg sync.WaitGroup
	if c.members != nil && len(g.GroupIDs) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			groupErr = c.addToGroupsFolded(ctx, userID, g.GroupIDs)
		}()
	}
	var errs []error
	if len(steps) > 0 {
		errs = c.runBatch(ctx, steps)
	}
	wg.Wait()
	if err := firstError(append(errs, groupErr)); err != nil {
		return err
	}
	c.log.Info("entitlements granted", "id", userID, "groups", len(g.GroupIDs), "licenses", g.Licenses, "appRoles", len(g.AppRoles), "manager", g.ManagerID != "")
	return nil
}

// Entitlements reads what user userID holds: direct group memberships,
// directly assigned licences and app role assignments. The three reads go
// in one $batch request; further pages, if any, follow @odata.nextLink.
func (c *Client) Entitlements(ctx context.Context, userID string) (Entitlements, error) {
	var e Entitlements
	err := c.withSelect(ctx, func(ctx context.Context) error {
		var err error
		e, err = c.entitlements(ctx, userID)
		return err
	})
	return e, err
}

func (c *Client) entitlements(ctx context.Context, userID string) (Entitlements, error) {
	e, _, err := c.holdings(ctx, userID, false)
	return e, err
}

// Holdings is what a user holds that a hire would otherwise write: what
// Entitlements reads, and the user's manager.
type Holdings struct {
	Entitlements
	// ManagerID is the object id of the user's manager, "" when none.
	ManagerID string
}

// Holdings reads what user userID holds — direct group memberships,
// licences, app role assignments and the manager — in one $batch request of
// four reads (further pages follow @odata.nextLink), so that a hire adopting
// an existing account writes only what is missing. A user without a manager
// answers 404 on GET /users/{id}/manager
// (https://learn.microsoft.com/graph/api/user-list-manager); as the other
// three reads of the same batch succeeded, the user exists and has none.
func (c *Client) Holdings(ctx context.Context, userID string) (Holdings, error) {
	var h Holdings
	err := c.withSelect(ctx, func(ctx context.Context) error {
		var err error
		h.Entitlements, h.ManagerID, err = c.holdings(ctx, userID, true)
		return err
	})
	return h, err
}

// holdings reads the entitlements of userID and, when withManager, its
// manager's object id, in one $batch. Long on purpose: the batch's requests and
// the reading of their answers sit side by side, so each answer is read by the
// request that asked for it.
func (c *Client) holdings(ctx context.Context, userID string, withManager bool) (Entitlements, string, error) {
	o := op{"read entitlements of " + userID, permUserRead + " and " + permGroupRead}
	user := c.graph.Users().ByUserId(userID)
	memberInfo, err1 := user.MemberOf().ToGetRequestInformation(ctx, &users.ItemMemberOfRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemMemberOfRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}, Top: ptr(int32(maxTop))},
	})
	licenceInfo, err2 := user.ToGetRequestInformation(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: c.selectLicenses()},
	})
	roleInfo, err3 := user.AppRoleAssignments().ToGetRequestInformation(ctx, nil)
	infos := []*abstractions.RequestInformation{memberInfo, licenceInfo, roleInfo}
	var err4 error
	if withManager {
		var managerInfo *abstractions.RequestInformation
		managerInfo, err4 = user.Manager().ToGetRequestInformation(ctx, &users.ItemManagerRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemManagerRequestBuilderGetQueryParameters{Select: []string{"id"}},
		})
		infos = append(infos, managerInfo)
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return Entitlements{}, "", newError(o, KindUnexpected, "build requests", err)
	}
	batch := msgraphcore.NewBatchRequest(c.adapter)
	ids := make([]string, len(infos))
	for i, info := range infos {
		item, err := batch.AddBatchRequestStep(*info)
		if err != nil {
			return Entitlements{}, "", newError(o, KindUnexpected, "build batch", err)
		}
		ids[i] = str(item.GetId())
	}
	resp, err := batch.Send(ctx, c.adapter)
	if err != nil {
		return Entitlements{}, "", classify(o, err)
	}
	noManager := false
	for i, id := range ids {
		item := resp.GetResponseById(id)
		if item == nil || item.GetStatus() == nil {
			return Entitlements{}, "", newError(o, KindUnexpected, "the batch response lacks an answer", nil)
		}
		if status := int(*item.GetStatus()); status >= 400 {
			if i == 3 && status == 404 {
				noManager = true
				continue
			}
			code, msg := batchErrorBody(item.GetBody())
			return Entitlements{}, "", fromStatus(o, status, code, msg, mapHeader(item.GetHeaders(), "Retry-After"), nil)
		}
	}

	var e Entitlements
	members, err := msgraphcore.GetBatchResponseById[models.DirectoryObjectCollectionResponseable](resp, ids[0], models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return Entitlements{}, "", newError(o, KindUnexpected, "read memberOf from the batch", err)
	}
	if e.Groups, err = c.groupPages(ctx, o, userID, members); err != nil {
		return Entitlements{}, "", err
	}
	u, err := msgraphcore.GetBatchResponseById[models.Userable](resp, ids[1], models.CreateUserFromDiscriminatorValue)
	if err != nil {
		return Entitlements{}, "", newError(o, KindUnexpected, "read assignedLicenses from the batch", err)
	}
	all, inherited := licenceAssignment(u)
	for _, id := range all {
		e.Licenses = append(e.Licenses, c.skuPartNumber(ctx, id))
	}
	for _, id := range inherited {
		e.InheritedLicenses = append(e.InheritedLicenses, c.skuPartNumber(ctx, id))
	}
	roles, err := msgraphcore.GetBatchResponseById[models.AppRoleAssignmentCollectionResponseable](resp, ids[2], models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return Entitlements{}, "", newError(o, KindUnexpected, "read appRoleAssignments from the batch", err)
	}
	if e.AppRoles, err = c.appRolePages(ctx, o, userID, roles); err != nil {
		return Entitlements{}, "", err
	}
	manager := ""
	if withManager && !noManager {
		m, err := msgraphcore.GetBatchResponseById[models.DirectoryObjectable](resp, ids[3], models.CreateDirectoryObjectFromDiscriminatorValue)
		if err != nil {
			return Entitlements{}, "", newError(o, KindUnexpected, "read the manager from the batch", err)
		}
		manager = str(m.GetId())
	}
	return e, manager, nil
}

// assignedSKUIDs reads the skuIds assigned to a user, and those of them it
// holds only through a group.
func (c *Client) assignedSKUIDs(ctx context.Context, userID string) (all, inherited []string, err error) {
	o := op{"read licences of " + userID, permUserRead}
	var m models.Userable
	err = c.withSelect(ctx, func(ctx context.Context) error {
		var err error
		m, err = c.graph.Users().ByUserId(userID).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: c.selectLicenses()},
		})
		return classify(o, err)
	})
	if err != nil {
		return nil, nil, err
	}
	all, inherited = licenceAssignment(m)
	return all, inherited, nil
}

// Licenses returns the skuPartNumbers assigned directly to user userID.
func (c *Client) Licenses(ctx context.Context, userID string) ([]string, error) {
	ids, _, err := c.assignedSKUIDs(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, c.skuPartNumber(ctx, id))
	}
	return out, nil
}

// assignLicenseRequest builds one assignLicense call. Graph needs both
// addLicenses and removeLicenses, empty or not
// (https://learn.microsoft.com/graph/api/user-assignlicense).
func (c *Client) assignLicenseRequest(ctx context.Context, userID string, add, remove []string) (*abstractions.RequestInformation, op, error) {
	o := op{"assign licences " + strings.Join(add, ", ") + " to " + userID, permLicense}
	if len(add) == 0 {
		o.name = "remove licences " + strings.Join(remove, ", ") + " from " + userID
	}
	body, err := c.assignLicenseBody(ctx, o, add, remove)
	if err != nil {
		return nil, o, err
	}
	info, err := c.graph.Users().ByUserId(userID).AssignLicense().ToPostRequestInformation(ctx, body, nil)
	if err != nil {
		return nil, o, newError(o, KindUnexpected, "build request", err)
	}
	return info, o, nil
}

func (c *Client) assignLicenseBody(ctx context.Context, o op, add, remove []string) (users.ItemAssignLicensePostRequestBodyable, error) {
	ids, err := c.ResolveSKUs(ctx, append(append([]string{}, add...), remove...))
	if err != nil {
		return nil, err
	}
	addList := make([]models.AssignedLicenseable, 0, len(add))
	for _, pn := range add {
		id, err := parseUUID(o, "skuId of "+pn, ids[pn])
		if err != nil {
			return nil, err
		}
		l := models.NewAssignedLicense()
		l.SetSkuId(&id)
		l.SetDisabledPlans([]uuid.UUID{})
		addList = append(addList, l)
	}
	removeList := make([]uuid.UUID, 0, len(remove))
	for _, pn := range remove {
		id, err := parseUUID(o, "skuId of "+pn, ids[pn])
		if err != nil {
			return nil, err
		}
		removeList = append(removeList, id)
	}
	body := users.NewItemAssignLicensePostRequestBody()
	body.SetAddLicenses(addList)
	body.SetRemoveLicenses(removeList)
	return body, nil
}

// AssignLicenses assigns the licences named by skuPartNumber to user
// userID. Licences already assigned are left as they are. The user needs a
// usageLocation (KindUsageLocationMissing otherwise); a SKU without free
// seats is KindNoSeats.
func (c *Client) AssignLicenses(ctx context.Context, userID string, skuPartNumbers []string) error {
	if len(skuPartNumbers) == 0 {
		return nil
	}
	o := op{"assign licences " + strings.Join(skuPartNumbers, ", ") + " to " + userID, permLicense}
	body, err := c.assignLicenseBody(ctx, o, skuPartNumbers, nil)
	if err != nil {
		return err
	}
	if _, err := c.graph.Users().ByUserId(userID).AssignLicense().Post(ctx, body, nil); err != nil {
		return classify(o, err)
	}
	c.log.Info("licences assigned", "id", userID, "skus", skuPartNumbers)
	return nil
}

// RemoveLicenses removes the licences named by skuPartNumber from user
// userID. Licences the user does not hold are skipped (one read first), so
// removing twice is success. Licences the user holds only through a group
// (group-based licensing) are never removed directly, which Entra refuses
// with 400 "User license is inherited from a group membership and it cannot
// be removed directly from the user"
// (https://learn.microsoft.com/entra/identity/users/licensing-group-advanced
// and https://github.com/KelvinTegelaar/CIPP/issues/4090): they are skipped
// and reported by RemoveLicensesReport.
func (c *Client) RemoveLicenses(ctx context.Context, userID string, skuPartNumbers []string) error {
	_, err := c.RemoveLicensesReport(ctx, userID, skuPartNumbers)
	return err
}

// RemoveLicensesReport is RemoveLicenses that also returns the licences it
// left because the user inherits them from a group.
func (c *Client) RemoveLicensesReport(ctx context.Context, userID string, skuPartNumbers []string) (inherited []string, err error) {
	if len(skuPartNumbers) == 0 {
		return nil, nil
	}
	ids, err := c.ResolveSKUs(ctx, skuPartNumbers)
	if err != nil {
		return nil, err
	}
	held, viaGroup, err := c.assignedSKUIDs(ctx, userID)
	if err != nil {
		return nil, err
	}
	var remove []string
	for _, pn := range skuPartNumbers {
		switch {
		case containsFold(viaGroup, ids[pn]):
			inherited = append(inherited, pn)
		case containsFold(held, ids[pn]):
			remove = append(remove, pn)
		}
	}
	if len(inherited) > 0 {
		c.log.Info("licences inherited from a group left in place", "id", userID, "skus", inherited)
	}
	if len(remove) == 0 {
		return inherited, nil
	}
	o := op{"remove licences " + strings.Join(remove, ", ") + " from " + userID, permLicense}
	body, err := c.assignLicenseBody(ctx, o, nil, remove)
	if err != nil {
		return inherited, err
	}
	if _, err := c.graph.Users().ByUserId(userID).AssignLicense().Post(ctx, body, nil); err != nil {
		err = classify(o, err)
		if KindOf(err) == KindInheritedLicense {
			// The states read a moment ago did not show the group yet.
			c.log.Info("licences inherited from a group left in place", "id", userID, "skus", remove, "graph", err)
			return append(inherited, remove...), nil
		}
		return inherited, err
	}
	c.log.Info("licences removed", "id", userID, "skus", remove)
	return inherited, nil
}

// duplicateAssignment recognises Entra's answer to assigning an app role
// the user already holds: 400 "Permission being assigned already exists on
// the object".
func duplicateAssignment(e *Error) bool {
	return e.Status == 400 && strings.Contains(strings.ToLower(e.graphMessage), "already exists")
}

func (c *Client) appRoleRequest(ctx context.Context, userID string, r AppRole, res ResolvedAppRole) (*abstractions.RequestInformation, op, error) {
	o := op{"assign app role " + r.String() + " to " + userID, permAppRole}
	body, err := appRoleBody(o, userID, res)
	if err != nil {
		return nil, o, err
	}
	info, err := c.graph.Users().ByUserId(userID).AppRoleAssignments().ToPostRequestInformation(ctx, body, nil)
	if err != nil {
		return nil, o, newError(o, KindUnexpected, "build request", err)
	}
	return info, o, nil
}

func appRoleBody(o op, userID string, res ResolvedAppRole) (models.AppRoleAssignmentable, error) {
	principal, err := parseUUID(o, "user id", userID)
	if err != nil {
		return nil, err
	}
	resource, err := parseUUID(o, "service principal id", res.ResourceID)
	if err != nil {
		return nil, err
	}
	role, err := parseUUID(o, "app role id", res.AppRoleID)
	if err != nil {
		return nil, err
	}
	a := models.NewAppRoleAssignment()
	a.SetPrincipalId(&principal)
	a.SetResourceId(&resource)
	a.SetAppRoleId(&role)
	return a, nil
}

// AssignAppRole gives user userID (an object id) an app role
// (https://learn.microsoft.com/graph/api/user-post-approleassignments). A role
// already held is success.
func (c *Client) AssignAppRole(ctx context.Context, userID string, r AppRole) error {
	resolved, err := c.ResolveAppRoles(ctx, []AppRole{r})
	if err != nil {
		return err
	}
	o := op{"assign app role " + r.String() + " to " + userID, permAppRole}
	body, err := appRoleBody(o, userID, resolved[r])
	if err != nil {
		return err
	}
	_, err = c.graph.Users().ByUserId(userID).AppRoleAssignments().Post(ctx, body, nil)
	if err = classify(o, err); err != nil {
		if e, ok := err.(*Error); ok && duplicateAssignment(e) {
			return nil
		}
		return err
	}
	c.log.Info("app role assigned", "id", userID, "role", r.String())
	return nil
}

// AppRoleAssignments lists user userID's app role assignments.
func (c *Client) AppRoleAssignments(ctx context.Context, userID string) ([]AppRoleAssignment, error) {
	o := op{"list app role assignments of " + userID, permUserRead}
	resp, err := c.graph.Users().ByUserId(userID).AppRoleAssignments().Get(ctx, nil)
	if err != nil {
		return nil, classify(o, err)
	}
	return c.appRolePages(ctx, o, userID, resp)
}

// appRolePages collects assignments from a first page and the pages its
// @odata.nextLink leads to.
func (c *Client) appRolePages(ctx context.Context, o op, userID string, resp models.AppRoleAssignmentCollectionResponseable) ([]AppRoleAssignment, error) {
	var out []AppRoleAssignment
	for {
		for _, a := range resp.GetValue() {
			as := AppRoleAssignment{ID: str(a.GetId())}
			if id := a.GetResourceId(); id != nil {
				as.ResourceID = id.String()
			}
			if id := a.GetAppRoleId(); id != nil {
				as.AppRoleID = id.String()
			}
			as.Role = c.roleName(as.ResourceID, as.AppRoleID)
			if as.Role.App == "" {
				as.Role.App = str(a.GetResourceDisplayName())
			}
			out = append(out, as)
		}
		next := str(resp.GetOdataNextLink())
		if next == "" {
			return out, nil
		}
		var err error
		if resp, err = c.graph.Users().ByUserId(userID).AppRoleAssignments().WithUrl(next).Get(ctx, nil); err != nil {
			return nil, classify(o, err)
		}
	}
}

// ListAppRoleAssignedTo calls fn for every assignment of service principal
// spID's app roles (to users, groups and service principals), 999 a page,
// following @odata.nextLink
// (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto):
// the bulk read reconciliation uses to see who holds a role. Assignments
// carry ids; the role is named (its value, else its display name) from the
// application cached by ResolveAppRoles, so resolve the application first.
func (c *Client) ListAppRoleAssignedTo(ctx context.Context, spID string, fn func(principalID string, a AppRoleAssignment) error) error {
	o := op{"list assignments of application " + spID, permAppRead}
	sp := c.graph.ServicePrincipals().ByServicePrincipalId(spID)
	resp, err := sp.AppRoleAssignedTo().Get(ctx, &serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ItemAppRoleAssignedToRequestBuilderGetQueryParameters{Top: ptr(int32(maxTop))},
	})
	for {
		if err != nil {
			return classify(o, err)
		}
		for _, a := range resp.GetValue() {
			as := AppRoleAssignment{ID: str(a.GetId()), ResourceID: spID}
			if id := a.GetAppRoleId(); id != nil {
				as.AppRoleID = id.String()
			}
			as.Role = c.roleName(spID, as.AppRoleID)
			principal := ""
			if id := a.GetPrincipalId(); id != nil {
				principal = id.String()
			}
			if ferr := fn(principal, as); ferr != nil {
				return ferr
			}
		}
		next := str(resp.GetOdataNextLink())
		if next == "" {
			return nil
		}
		resp, err = sp.AppRoleAssignedTo().WithUrl(next).Get(ctx, nil)
	}
}

// RemoveAppRole takes an app role from user userID. A role not held is
// success.
func (c *Client) RemoveAppRole(ctx context.Context, userID string, r AppRole) error {
	resolved, err := c.ResolveAppRoles(ctx, []AppRole{r})
	if err != nil {
		return err
	}
	want := resolved[r]
	held, err := c.AppRoleAssignments(ctx, userID)
	if err != nil {
		return err
	}
	o := op{"remove app role " + r.String() + " from " + userID, permAppRole}
	for _, a := range held {
		if !strings.EqualFold(a.ResourceID, want.ResourceID) || !strings.EqualFold(a.AppRoleID, want.AppRoleID) {
			continue
		}
		err := classify(o, c.graph.Users().ByUserId(userID).AppRoleAssignments().ByAppRoleAssignmentId(a.ID).Delete(ctx, nil))
		if err != nil && KindOf(err) != KindNotFound {
			return err
		}
		c.log.Info("app role removed", "id", userID, "role", r.String())
	}
	return nil
}
