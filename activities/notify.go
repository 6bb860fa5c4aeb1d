package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
)

// IssuePassInput asks for a Temporary Access Pass for a new starter, handed
// to their manager.
type IssuePassInput struct {
	ObjectID        string `json:"objectId"`
	EmployeeID      string `json:"employeeId"`
	DisplayName     string `json:"displayName"`
	UPN             string `json:"userPrincipalName"`
	ManagerObjectID string `json:"managerObjectId"`
	// Start is when the pass becomes usable; zero means now.
	Start time.Time `json:"start,omitzero"`
}

// PassReceipt is the redacted record of an issued pass: it never holds the
// secret, so it may sit in workflow history.
type PassReceipt struct {
	// Issued is false when no pass was issued (Reason says why).
	Issued   bool      `json:"issued"`
	ID       string    `json:"id,omitempty"`
	SentTo   string    `json:"sentTo,omitempty"`
	Start    time.Time `json:"start,omitzero"`
	Lifetime string    `json:"lifetime,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	// Warnings say how the pass differs from what the policy asked for (its
	// lifetime moved into the tenant's allowed range).
	Warnings []string `json:"warnings,omitempty"`
}

// IssueTemporaryAccessPass creates a Temporary Access Pass and mails it to
// the manager in the same activity, so the secret never leaves it: the
// result is a receipt without the pass. Without a manager mailbox no pass is
// issued (a pass nobody receives is a loose credential). A retry issues a new
// pass (the directory replaces the old one), so the manager always receives
// the pass that works.
func (a *Activities) IssueTemporaryAccessPass(ctx context.Context, in IssuePassInput) (PassReceipt, error) {
	d, err := a.dir()
	if err != nil {
		return PassReceipt{}, err
	}
	if in.ManagerObjectID == "" {
		return PassReceipt{Reason: "no manager to hand the pass to"}, nil
	}
	mgr, err := d.GetUser(ctx, in.ManagerObjectID)
	if err != nil {
		return PassReceipt{}, graphError("read manager "+in.ManagerObjectID, err)
	}
	to := mailbox(mgr)
	if to == "" {
		return PassReceipt{Reason: "the manager has no mailbox"}, nil
	}
	opts, warnings, err := a.passOptions(ctx, d)
	if err != nil {
		return PassReceipt{}, err
	}
	opts.Start = in.Start
	tap, err := d.CreateTemporaryAccessPass(ctx, in.ObjectID, opts)
	if err != nil {
		return PassReceipt{}, graphError("create Temporary Access Pass for "+in.ObjectID, err)
	}
	start := tap.Start
	if start.IsZero() {
		start = a.now()
	}
	body := fmt.Sprintf("Hello %s,\n\n%s (%s) starts today. Their first sign-in uses this Temporary Access Pass:\n\n    %s\n\n"+
		"It is valid from %s for %s. Please hand it over in person; it lets them register their own sign-in methods.\n",
		firstNonEmpty(mgr.GivenName, mgr.DisplayName), in.DisplayName, in.UPN, tap.Pass,
		start.UTC().Format(time.RFC1123), tap.Lifetime)
	if err := d.SendMail(ctx, directory.Mail{To: []string{to}, Subject: "Temporary Access Pass for " + in.DisplayName, Body: body}); err != nil {
		return PassReceipt{}, graphError("mail the Temporary Access Pass of "+in.ObjectID+" to the manager", err)
	}
	a.log().Info("Temporary Access Pass issued and sent to the manager", "employeeId", in.EmployeeID, "tap", tap, "to", to)
	return PassReceipt{Issued: true, ID: tap.ID, SentTo: to, Start: start, Lifetime: tap.Lifetime.String(), Warnings: warnings}, nil
}

// NotifyInput is a message to an employee's manager.
type NotifyInput struct {
	ManagerObjectID string `json:"managerObjectId"`
	Subject         string `json:"subject"`
	Body            string `json:"body"`
}

// NotifyResult says where the message went.
type NotifyResult struct {
	Sent   bool   `json:"sent"`
	SentTo string `json:"sentTo,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// NotifyManager mails the manager. Without a manager or mailbox nothing is
// sent and the result says so. Graph gives no message id: a retry after a
// lost reply may deliver twice.
func (a *Activities) NotifyManager(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	d, err := a.dir()
	if err != nil {
		return NotifyResult{}, err
	}
	if in.ManagerObjectID == "" {
		return NotifyResult{Reason: "no manager"}, nil
	}
	mgr, err := d.GetUser(ctx, in.ManagerObjectID)
	if directory.KindOf(err) == directory.KindNotFound {
		return NotifyResult{Reason: "the manager's account is gone"}, nil
	}
	if err != nil {
		return NotifyResult{}, graphError("read manager "+in.ManagerObjectID, err)
	}
	to := mailbox(mgr)
	if to == "" {
		return NotifyResult{Reason: "the manager has no mailbox"}, nil
	}
	if err := d.SendMail(ctx, directory.Mail{To: []string{to}, Subject: in.Subject, Body: in.Body}); err != nil {
		return NotifyResult{}, graphError("notify the manager", err)
	}
	return NotifyResult{Sent: true, SentTo: to}, nil
}

func mailbox(u directory.User) string {
	if u.Mail != "" {
		return u.Mail
	}
	return ""
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
