package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// HireLookup names what a hire needs to know before it writes: its own
// account (by employee id), its manager's account (by the manager's employee
// id, optional) and which candidate addresses are taken.
type HireLookup struct {
	EmployeeID        string
	ManagerEmployeeID string
	// Addresses are candidate UPNs; each is taken when some user has it as
	// userPrincipalName or mail.
	Addresses []string
}

// HireLookupResult is the answer to a HireLookup.
type HireLookupResult struct {
	// Account is the user carrying EmployeeID, when Found.
	Account User
	Found   bool
	// Manager is the user carrying ManagerEmployeeID, when ManagerFound.
	Manager      User
	ManagerFound bool
	// Holders maps each taken address (lower case) to the ids of the users
	// holding it as userPrincipalName or mail; a free address is absent.
	Holders map[string][]string
}

// maxLookupAddresses bounds HireLookup.Addresses: with the "in" operator a
// request is limited to 15 expressions in the filter clause by default
// (https://learn.microsoft.com/graph/filter-query-parameter, note on "in").
const maxLookupAddresses = 15

// LookUpHire answers a HireLookup with one $batch of three $filter reads,
// one round trip instead of one per question: employeeId in (the hire's,
// the manager's); userPrincipalName in (the addresses); mail in (the
// addresses). employeeId, userPrincipalName and mail all support $filter
// with "in" in a basic query (https://learn.microsoft.com/graph/api/resources/user#properties).
// Several users with the hire's or the manager's employee id are a
// KindConflict error, as for FindUserByEmployeeID.
func (c *Client) LookUpHire(ctx context.Context, q HireLookup) (HireLookupResult, error) {
	var out HireLookupResult
	err := c.withSelect(ctx, func(ctx context.Context) error {
		var err error
		out, err = c.lookUpHire(ctx, q)
		return err
	})
	return out, err
}

func (c *Client) lookUpHire(ctx context.Context, q HireLookup) (HireLookupResult, error) {
	o := op{"look up hire " + q.EmployeeID, permUserRead}
	if q.EmployeeID == "" {
		return HireLookupResult{}, newError(o, KindInvalidValue, "employeeId is empty", nil)
	}
	if len(q.Addresses) > maxLookupAddresses {
		return HireLookupResult{}, newError(o, KindInvalidValue, fmt.Sprintf("%d addresses; at most %d", len(q.Addresses), maxLookupAddresses), nil)
	}
	ids := []string{q.EmployeeID}
	if q.ManagerEmployeeID != "" && q.ManagerEmployeeID != q.EmployeeID {
		ids = append(ids, q.ManagerEmployeeID)
	}
	filters := []string{inFilter("employeeId", ids)}
	if len(q.Addresses) > 0 {
		filters = append(filters, inFilter("userPrincipalName", q.Addresses), inFilter("mail", q.Addresses))
	}
	lists, err := c.batchUserLists(ctx, o, filters)
	if err != nil {
		return HireLookupResult{}, err
	}

	var out HireLookupResult
	var errs []error
	out.Account, out.Found, err = onlyOne(o, "employeeId", q.EmployeeID, lists[0])
	errs = append(errs, err)
	if len(ids) > 1 {
		out.Manager, out.ManagerFound, err = onlyOne(o, "employeeId", q.ManagerEmployeeID, lists[0])
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return HireLookupResult{}, err
	}
	for i := 1; i < len(lists); i++ {
		for _, u := range lists[i] {
			for _, a := range q.Addresses {
				if strings.EqualFold(a, u.UserPrincipalName) || strings.EqualFold(a, u.Mail) {
					if out.Holders == nil {
						out.Holders = map[string][]string{}
					}
					k := strings.ToLower(a)
					out.Holders[k] = appendNew(out.Holders[k], u.ID)
				}
			}
		}
	}
	return out, nil
}

// batchUserLists runs one user query per filter in a single $batch: the
// first selects userSelect, the others only id, userPrincipalName and mail.
// Each answer must fit one page.
func (c *Client) batchUserLists(ctx context.Context, o op, filters []string) ([][]User, error) {
	batch := msgraphcore.NewBatchRequest(c.adapter)
	stepIDs := make([]string, len(filters))
	for i, f := range filters {
		sel := userSelect
		if i > 0 {
			sel = []string{"id", "userPrincipalName", "mail"}
		}
		info, err := c.graph.Users().ToGetRequestInformation(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: ptr(f), Select: sel, Top: ptr(int32(maxTop))},
		})
		if err != nil {
			return nil, newError(o, KindUnexpected, "build request", err)
		}
		item, err := batch.AddBatchRequestStep(*info)
		if err != nil {
			return nil, newError(o, KindUnexpected, "build batch", err)
		}
		stepIDs[i] = str(item.GetId())
	}
	resp, err := batch.Send(ctx, c.adapter)
	if err != nil {
		return nil, classify(o, err)
	}
	lists := make([][]User, len(filters))
	for i, id := range stepIDs {
		item := resp.GetResponseById(id)
		if item == nil || item.GetStatus() == nil {
			return nil, newError(o, KindUnexpected, "the batch response lacks an answer", nil)
		}
		if status := int(*item.GetStatus()); status >= 400 {
			code, msg := batchErrorBody(item.GetBody())
			return nil, fromStatus(o, status, code, msg, mapHeader(item.GetHeaders(), "Retry-After"), nil)
		}
		page, err := msgraphcore.GetBatchResponseById[models.UserCollectionResponseable](resp, id, models.CreateUserCollectionResponseFromDiscriminatorValue)
		if err != nil {
			return nil, newError(o, KindUnexpected, "read the batch answer", err)
		}
		if str(page.GetOdataNextLink()) != "" {
			return nil, newError(o, KindUnexpected, "more than one page of users for "+filters[i], nil)
		}
		for _, m := range page.GetValue() {
			lists[i] = append(lists[i], fromModel(m))
		}
	}
	return lists, nil
}

// onlyOne picks the user of list whose property (employeeId) is value: none,
// one, or a KindConflict error naming two.
func onlyOne(o op, property, value string, list []User) (User, bool, error) {
	var found []User
	for _, u := range list {
		if strings.EqualFold(u.EmployeeID, value) {
			found = append(found, u)
		}
	}
	return single(o, property, value, found)
}

// single is the one user of found, none, or a conflict naming two of them when a value that
// should be unique (an employee id, a UPN) is held by several.
func single(o op, property, value string, found []User) (User, bool, error) {
	switch len(found) {
	case 0:
		return User{}, false, nil
	case 1:
		return found[0], true, nil
	default:
		return User{}, false, newError(o, KindConflict,
			fmt.Sprintf("several users have %s %q (%s and %s): give it to one only", property, value, found[0].UserPrincipalName, found[1].UserPrincipalName), nil)
	}
}

// inFilter returns "property in ('a', 'b')".
func inFilter(property string, values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = odataLiteral(v)
	}
	return property + " in (" + strings.Join(quoted, ", ") + ")"
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
