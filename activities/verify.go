package activities

import (
	"context"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
)

// Outcomes of VerifyAccount (AccountCheck.State).
const (
	// AccountPresent: the object the entity holds exists and carries the
	// employee id.
	AccountPresent = "present"
	// AccountReplaced: the object is gone or no longer carries the employee
	// id, and another account does (someone recreated it by hand).
	AccountReplaced = "replaced"
	// AccountMissing: neither the object nor any account carrying the
	// employee id exists (deleted, or lost); it may still be in deleted items.
	AccountMissing = "missing"
)

// VerifyAccountInput names the account an entity believes it has.
type VerifyAccountInput struct {
	EmployeeID string `json:"employeeId"`
	ObjectID   string `json:"objectId"`
}

// AccountCheck is what the directory says about an entity's account.
type AccountCheck struct {
	State string `json:"state"`
	// Account is the account found (present or replaced).
	Account Account `json:"account,omitzero"`
}

// verifyConfirmDelay is how long VerifyAccount waits before it reads a
// second time when the account seems gone: Entra's directory replicas may
// briefly answer 404 for an object that exists (replication lag, see
// https://learn.microsoft.com/graph/best-practices-concept#handling-expected-errors),
// and a false "missing" would make the entity create an account again.
var verifyConfirmDelay = 2 * time.Second

// VerifyAccount checks an entity's account against the directory: it reads
// the object by id and looks for the account carrying the employee id. It
// writes nothing; the entity decides what to do (adopt, restore, create).
func (a *Activities) VerifyAccount(ctx context.Context, in VerifyAccountInput) (AccountCheck, error) {
	d, err := a.dir()
	if err != nil {
		return AccountCheck{}, err
	}
	chk, err := a.checkAccount(ctx, d, in)
	if err != nil || chk.State != AccountMissing {
		return chk, err
	}
	select {
	case <-ctx.Done():
		return AccountCheck{}, ctx.Err()
	case <-time.After(verifyConfirmDelay):
	}
	chk, err = a.checkAccount(ctx, d, in)
	if err == nil && chk.State == AccountMissing {
		a.log().Warn("the employee's account is gone from the directory", "employeeId", in.EmployeeID, "id", in.ObjectID)
	}
	return chk, err
}

func (a *Activities) checkAccount(ctx context.Context, d Directory, in VerifyAccountInput) (AccountCheck, error) {
	if in.ObjectID != "" {
		u, err := d.GetUser(ctx, in.ObjectID)
		switch {
		case err == nil && strings.EqualFold(u.EmployeeID, in.EmployeeID):
			return AccountCheck{State: AccountPresent, Account: accountOf(u)}, nil
		case err != nil && directory.KindOf(err) != directory.KindNotFound:
			return AccountCheck{}, graphError("read account "+in.ObjectID+" of employee "+in.EmployeeID, err)
		}
	}
	u, ok, err := d.FindUserByEmployeeID(ctx, in.EmployeeID)
	if err != nil {
		return AccountCheck{}, graphError("find account of employee "+in.EmployeeID, err)
	}
	if !ok {
		return AccountCheck{State: AccountMissing}, nil
	}
	if u.ID == in.ObjectID {
		return AccountCheck{State: AccountPresent, Account: accountOf(u)}, nil
	}
	return AccountCheck{State: AccountReplaced, Account: accountOf(u)}, nil
}
