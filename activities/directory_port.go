// Package activities holds the Temporal activities of the lifecycle engine: thin, idempotent adapters over the directory and HR ports.
package activities

import (
	"context"

	"github.com/entralifecycle/engine/internal/directory"
)

// Directory is what the activities need of Entra ID. Every method is
// idempotent, and every failure is a *directory.Error whose Type() is a
// stable name and whose RetryAfter tells the next retry delay
// (directory.IsRetryable, directory.RetryAfter). *directory.Client
// implements it on Microsoft Graph.
type Directory interface {
	// FindUserByEmployeeID finds the user carrying an HR employee id.
	FindUserByEmployeeID(ctx context.Context, employeeID string) (directory.User, bool, error)
	// FindUserByUPN finds a user by userPrincipalName.
	FindUserByUPN(ctx context.Context, upn string) (directory.User, bool, error)
	// FindUserByMail finds a user by mail address.
	FindUserByMail(ctx context.Context, address string) (directory.User, bool, error)
	// AddressTaken reports whether an address is another user's UPN or mail.
	AddressTaken(ctx context.Context, address, exceptID string) (bool, error)
	// GetUser reads a user by object id or UPN.
	GetUser(ctx context.Context, id string) (directory.User, error)

	// CreateUser creates a user, or returns the one that exists (false).
	CreateUser(ctx context.Context, u directory.User) (directory.User, bool, error)
	// PatchUser sends only the attributes set in a.
	PatchUser(ctx context.Context, id string, a directory.UserAttributes) error
	// UpdateUser brings a user's attributes to desired, sending only changes.
	UpdateUser(ctx context.Context, id string, desired directory.User) ([]string, error)
	// EnableUser allows sign-in.
	EnableUser(ctx context.Context, id string) error
	// DisableUser blocks sign-in.
	DisableUser(ctx context.Context, id string) error
	// SetManager sets a user's manager.
	SetManager(ctx context.Context, id, managerID string) error
	// ClearManager removes a user's manager.
	ClearManager(ctx context.Context, id string) error
	// ManagerID returns a user's manager's object id, "" when none.
	ManagerID(ctx context.Context, id string) (string, error)

	// GroupMemberships lists the groups a user is a direct member of.
	GroupMemberships(ctx context.Context, userID string) ([]directory.Group, error)
	// AddGroupMember adds a user to a group.
	AddGroupMember(ctx context.Context, groupID, userID string) error
	// RemoveGroupMember removes a user from a group.
	RemoveGroupMember(ctx context.Context, groupID, userID string) error
	// AddToGroups adds a user to several groups in batches.
	AddToGroups(ctx context.Context, userID string, groupIDs []string) error
	// RemoveFromGroups removes a user from several groups in batches.
	RemoveFromGroups(ctx context.Context, userID string, groupIDs []string) error

	// Licenses lists the skuPartNumbers assigned to a user.
	Licenses(ctx context.Context, userID string) ([]string, error)
	// AssignLicenses assigns licences by skuPartNumber.
	AssignLicenses(ctx context.Context, userID string, skuPartNumbers []string) error
	// RemoveLicenses removes licences by skuPartNumber.
	RemoveLicenses(ctx context.Context, userID string, skuPartNumbers []string) error

	// AppRoleAssignments lists a user's app role assignments.
	AppRoleAssignments(ctx context.Context, userID string) ([]directory.AppRoleAssignment, error)
	// AssignAppRole gives a user an app role.
	AssignAppRole(ctx context.Context, userID string, r directory.AppRole) error
	// RemoveAppRole takes an app role from a user.
	RemoveAppRole(ctx context.Context, userID string, r directory.AppRole) error

	// Grant gives a user a manager, groups, licences and app roles in one batch.
	Grant(ctx context.Context, userID string, g directory.Grant) error
	// Entitlements reads a user's groups, licences and app roles.
	Entitlements(ctx context.Context, userID string) (directory.Entitlements, error)

	// RevokeSignInSessions invalidates a user's sessions.
	RevokeSignInSessions(ctx context.Context, id string) error
	// CreateTemporaryAccessPass issues a Temporary Access Pass.
	CreateTemporaryAccessPass(ctx context.Context, id string, opts directory.TemporaryAccessPassOptions) (directory.TemporaryAccessPass, error)
	// SendMail sends a notification.
	SendMail(ctx context.Context, m directory.Mail) error

	// DeleteUser soft-deletes a user.
	DeleteUser(ctx context.Context, id string) error
	// RestoreUser restores a soft-deleted user.
	RestoreUser(ctx context.Context, id string) (directory.User, error)

	// ResolveGroups maps group display names to ids.
	ResolveGroups(ctx context.Context, names []string) (map[string]string, error)
	// ResolveSKUs maps skuPartNumbers to skuIds.
	ResolveSKUs(ctx context.Context, partNumbers []string) (map[string]string, error)
	// ResolveAppRoles maps app roles by name to ids.
	ResolveAppRoles(ctx context.Context, roles []directory.AppRole) (map[directory.AppRole]directory.ResolvedAppRole, error)
}
