package activities

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/entralifecycle/engine/internal/directory"
)

// fakeUsers answers GetUser and FindUserByEmployeeID from a list of users.
type fakeUsers struct {
	Directory
	users   []directory.User
	getErr  error
	findErr error
	reads   int
}

func (f *fakeUsers) GetUser(_ context.Context, id string) (directory.User, error) {
	f.reads++
	if f.getErr != nil {
		return directory.User{}, f.getErr
	}
	for _, u := range f.users {
		if u.ID == id {
			return u, nil
		}
	}
	return directory.User{}, &directory.Error{Kind: directory.KindNotFound, Status: 404, Message: "not found"}
}

func (f *fakeUsers) FindUserByEmployeeID(_ context.Context, id string) (directory.User, bool, error) {
	f.reads++
	if f.findErr != nil {
		return directory.User{}, false, f.findErr
	}
	for _, u := range f.users {
		if u.EmployeeID == id {
			return u, true, nil
		}
	}
	return directory.User{}, false, nil
}

func TestVerifyAccount(t *testing.T) {
	verifyConfirmDelay = 0
	throttled := &directory.Error{Kind: directory.KindThrottled, Status: 429, Message: "slow down"}
	cases := []struct {
		name    string
		users   []directory.User
		getErr  error
		state   string
		id      string
		reads   int
		errType string
	}{
		{name: "present", users: []directory.User{{ID: "a", EmployeeID: "1001"}}, state: AccountPresent, id: "a", reads: 1},
		{name: "recreated by hand", users: []directory.User{{ID: "b", EmployeeID: "1001"}}, state: AccountReplaced, id: "b", reads: 2},
		{name: "object reused for someone else", users: []directory.User{{ID: "a", EmployeeID: "2002"}, {ID: "c", EmployeeID: "1001"}},
			state: AccountReplaced, id: "c", reads: 2},
		{name: "gone: read twice before saying so", state: AccountMissing, reads: 4},
		{name: "a throttled read is retried, not taken for missing", getErr: throttled, errType: "GraphThrottled", reads: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeUsers{users: tc.users, getErr: tc.getErr}
			acts := &Activities{Directory: f}
			chk, err := acts.VerifyAccount(context.Background(), VerifyAccountInput{EmployeeID: "1001", ObjectID: "a"})
			if tc.errType != "" {
				var app *temporal.ApplicationError
				if !errors.As(err, &app) || app.Type() != tc.errType || app.NonRetryable() {
					t.Fatalf("error %v, want a retryable %s", err, tc.errType)
				}
			} else if err != nil || chk.State != tc.state || chk.Account.ObjectID != tc.id {
				t.Fatalf("check %+v, %v; want %s %q", chk, err, tc.state, tc.id)
			}
			if f.reads != tc.reads {
				t.Errorf("%d reads, want %d", f.reads, tc.reads)
			}
		})
	}
}
