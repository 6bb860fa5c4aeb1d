package activities

import (
	"context"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
)

// A manager id handed over by the hire's lookup may be stale by the time the link is
// made: the link asks again by employee id, links the account found, or reports the
// manager pending when there is none, instead of failing the hire on a 404.
func TestLinkManagerWithStaleManagerID(t *testing.T) {
	acts, _, _, ids := newDoubleEnv(t)
	ctx := context.Background()
	u, created, err := acts.Directory.CreateUser(ctx, directory.User{
		DisplayName: "New Nina", UserPrincipalName: "nina@contoso.example", MailNickname: "nina",
		EmployeeID: "5003", UsageLocation: "NL",
	})
	if err != nil || !created {
		t.Fatalf("create: %v (created %v)", err, created)
	}
	gone := "0badc0de-0000-4000-8000-000000000000"
	greta := ids.Users["greta@contoso.example"]
	tests := []struct {
		name, managerEmployeeID string
		wantFound               bool
		wantManager             string
	}{
		{"manager's account under another id", "5002", true, greta},
		{"manager has no account any more", "5999", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := acts.LinkManager(ctx, LinkManagerInput{ObjectID: u.ID, ManagerEmployeeID: tc.managerEmployeeID, ManagerObjectID: gone})
			if err != nil {
				t.Fatalf("link: %v", err)
			}
			if res.Found != tc.wantFound || res.ManagerObjectID != tc.wantManager {
				t.Fatalf("got found=%v manager=%q, want found=%v manager=%q", res.Found, res.ManagerObjectID, tc.wantFound, tc.wantManager)
			}
		})
	}
	if m, err := acts.Directory.(*directory.Client).ManagerID(ctx, u.ID); err != nil || m != greta {
		t.Fatalf("manager in Entra: %q %v, want %s", m, err, greta)
	}
}
