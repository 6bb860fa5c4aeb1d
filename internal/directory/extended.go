package directory

import (
	"context"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Properties read besides the basic set: whether a user is synchronised from
// on-premises (onPremisesSyncEnabled) and how each licence is assigned
// (licenseAssignmentStates, whose assignedByGroup names the group a licence
// is inherited from; msgraph-sdk-go models.LicenseAssignmentState and
// https://learn.microsoft.com/graph/api/resources/licenseassignmentstate).
// Both are ordinary v1.0 user properties that Graph returns only with
// $select. A Graph endpoint that does not know them (an older simulator)
// answers 400 "Could not find a property named …"; the client then reads
// without them once and for all, and logs a warning.
const (
	propSyncEnabled   = "onPremisesSyncEnabled"
	propLicenseStates = "licenseAssignmentStates"
)

// selectUser is the $select of a user read.
func (c *Client) selectUser() []string {
	if c.basicSelect.Load() {
		return userSelect
	}
	return append(append(make([]string, 0, len(userSelect)+1), userSelect...), propSyncEnabled)
}

// selectLicenses is the $select of a licence read.
func (c *Client) selectLicenses() []string {
	if c.basicSelect.Load() {
		return []string{"id", "assignedLicenses"}
	}
	return []string{"id", "assignedLicenses", propLicenseStates}
}

// unknownProperty reports Graph's refusal of a $select naming an extended
// property it does not know.
func unknownProperty(err error) bool {
	var msg string
	if e, ok := err.(*Error); ok {
		msg = e.graphMessage
	} else if err != nil {
		msg = err.Error()
	}
	if !strings.Contains(msg, "Could not find a property named") {
		return false
	}
	return strings.Contains(msg, propSyncEnabled) || strings.Contains(msg, propLicenseStates)
}

// withSelect runs read, and once more with the basic $select when the
// endpoint does not know the extended properties.
func (c *Client) withSelect(ctx context.Context, read func(context.Context) error) error {
	err := read(ctx)
	if err == nil || c.basicSelect.Load() || !unknownProperty(err) {
		return err
	}
	c.basicSelect.Store(true)
	c.log.Warn("the Graph endpoint does not know onPremisesSyncEnabled / licenseAssignmentStates: synced users and inherited licences cannot be recognised")
	return read(ctx)
}

// licenceAssignment splits a user's licences (skuIds) into all assigned and
// those held only through a group: a skuId with a licenseAssignmentState
// whose assignedByGroup is set and none without it is inherited only.
func licenceAssignment(m models.Userable) (all, inheritedOnly []string) {
	for _, l := range m.GetAssignedLicenses() {
		if id := l.GetSkuId(); id != nil {
			all = append(all, id.String())
		}
	}
	direct, group := map[string]bool{}, map[string]bool{}
	var order []string
	for _, st := range m.GetLicenseAssignmentStates() {
		id := st.GetSkuId()
		if id == nil {
			continue
		}
		k := strings.ToLower(id.String())
		if !direct[k] && !group[k] {
			order = append(order, id.String())
		}
		if g := st.GetAssignedByGroup(); g != nil && *g != "" {
			group[k] = true
		} else {
			direct[k] = true
		}
	}
	for _, id := range order {
		k := strings.ToLower(id)
		if group[k] && !direct[k] {
			inheritedOnly = append(inheritedOnly, id)
		}
	}
	return all, inheritedOnly
}

// ExtendedUserProperties reports whether user reads ask for
// onPremisesSyncEnabled and licenseAssignmentStates: true until the endpoint
// refused them once (an older simulator), after which synced users and
// inherited licences cannot be recognised. That refusal costs one request.
func (c *Client) ExtendedUserProperties() bool { return !c.basicSelect.Load() }
