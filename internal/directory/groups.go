package directory

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// alreadyMember recognises Entra's answer to adding an existing member: 400
// "One or more added object references already exist for the following
// modified properties: 'members'." (https://learn.microsoft.com/graph/api/group-post-members).
func alreadyMember(e *Error) bool {
	return e.Status == 400 && strings.Contains(strings.ToLower(e.graphMessage), "already exist")
}

// notMember recognises the answer to removing a non-member (404).
func notMember(e *Error) bool { return e.Kind == KindNotFound }

func (c *Client) memberRef(userID string) models.ReferenceCreateable {
	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr(c.baseURL + "/directoryObjects/" + userID))
	return ref
}

func addMemberOp(groupID, userID string) op {
	return op{"add user " + userID + " to group " + groupID, permGroupMember}
}

func removeMemberOp(groupID, userID string) op {
	return op{"remove user " + userID + " from group " + groupID, permGroupMember}
}

// AddGroupMember adds user userID to group groupID. Already a member is
// success. Concurrent additions to the same group go to Graph together (see
// Config.GroupAddWindow).
func (c *Client) AddGroupMember(ctx context.Context, groupID, userID string) error {
	if c.members != nil {
		return c.members.add(ctx, groupID, userID)
	}
	return c.addGroupMemberRef(ctx, groupID, userID)
}

// RemoveGroupMember removes user userID from group groupID. Not a member is success.
func (c *Client) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	o := removeMemberOp(groupID, userID)
	err := classify(o, c.graph.Groups().ByGroupId(groupID).Members().ByDirectoryObjectId(userID).Ref().Delete(ctx, nil))
	if e, ok := err.(*Error); ok && notMember(e) {
		return nil
	}
	return err
}

// AddToGroups adds user userID to every group in groupIDs: together with
// concurrent additions to the same groups (Config.GroupAddWindow), else
// through $batch (20 per request). Groups the user is already in are success. On failure the
// error of the first permanent failure is returned, else the retryable one
// with the longest Retry-After; the adds that succeeded stay, so a retry
// finishes the rest.
func (c *Client) AddToGroups(ctx context.Context, userID string, groupIDs []string) error {
	if c.members != nil {
		return c.addToGroupsFolded(ctx, userID, groupIDs)
	}
	steps, err := c.addGroupSteps(ctx, userID, groupIDs)
	if err != nil {
		return err
	}
	return firstError(c.runBatch(ctx, steps))
}

// RemoveFromGroups removes user userID from every group in groupIDs through
// $batch. Groups the user is not in are success.
func (c *Client) RemoveFromGroups(ctx context.Context, userID string, groupIDs []string) error {
	steps := make([]batchStep, 0, len(groupIDs))
	for _, g := range groupIDs {
		o := removeMemberOp(g, userID)
		info, err := c.graph.Groups().ByGroupId(g).Members().ByDirectoryObjectId(userID).Ref().ToDeleteRequestInformation(ctx, nil)
		if err != nil {
			return newError(o, KindUnexpected, "build request", err)
		}
		steps = append(steps, batchStep{info: info, op: o, done: notMember})
	}
	return firstError(c.runBatch(ctx, steps))
}

func (c *Client) addGroupSteps(ctx context.Context, userID string, groupIDs []string) ([]batchStep, error) {
	steps := make([]batchStep, 0, len(groupIDs))
	for _, g := range groupIDs {
		o := addMemberOp(g, userID)
		info, err := c.graph.Groups().ByGroupId(g).Members().Ref().ToPostRequestInformation(ctx, c.memberRef(userID), nil)
		if err != nil {
			return nil, newError(o, KindUnexpected, "build request", err)
		}
		steps = append(steps, batchStep{info: info, op: o, done: alreadyMember})
	}
	return steps, nil
}

// GroupMemberships returns the groups user userID is a direct member of
// (memberOf, directory roles and administrative units left out). The caller
// keeps the managed ones.
func (c *Client) GroupMemberships(ctx context.Context, userID string) ([]Group, error) {
	o := op{"list group memberships of " + userID, permGroupRead + " and " + permUserRead}
	resp, err := c.graph.Users().ByUserId(userID).MemberOf().Get(ctx, &users.ItemMemberOfRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemMemberOfRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName"},
			Top:    ptr(int32(maxTop)),
		},
	})
	if err != nil {
		return nil, classify(o, err)
	}
	return c.groupPages(ctx, o, userID, resp)
}

// groupPages collects the groups of a memberOf page and of the pages its
// @odata.nextLink leads to.
func (c *Client) groupPages(ctx context.Context, o op, userID string, resp models.DirectoryObjectCollectionResponseable) ([]Group, error) {
	var out []Group
	for {
		for _, obj := range resp.GetValue() {
			if g, ok := obj.(models.Groupable); ok {
				out = append(out, Group{ID: str(g.GetId()), DisplayName: str(g.GetDisplayName())})
			}
		}
		next := str(resp.GetOdataNextLink())
		if next == "" {
			return out, nil
		}
		var err error
		if resp, err = c.graph.Users().ByUserId(userID).MemberOf().WithUrl(next).Get(ctx, nil); err != nil {
			return nil, classify(o, err)
		}
	}
}

// ListGroupMembers calls fn for every user that is a direct member of group
// groupID, 999 per page, following @odata.nextLink.
func (c *Client) ListGroupMembers(ctx context.Context, groupID string, fn func(User) error) error {
	o := op{"list members of group " + groupID, permGroupRead + " and " + permUserRead}
	resp, err := c.graph.Groups().ByGroupId(groupID).Members().Get(ctx, &groups.ItemMembersRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.ItemMembersRequestBuilderGetQueryParameters{Select: userSelect, Top: ptr(int32(maxTop))},
	})
	for {
		if err != nil {
			return classify(o, err)
		}
		for _, obj := range resp.GetValue() {
			if u, ok := obj.(models.Userable); ok {
				if ferr := fn(fromModel(u)); ferr != nil {
					return ferr
				}
			}
		}
		next := str(resp.GetOdataNextLink())
		if next == "" {
			return nil
		}
		resp, err = c.graph.Groups().ByGroupId(groupID).Members().WithUrl(next).Get(ctx, nil)
	}
}
